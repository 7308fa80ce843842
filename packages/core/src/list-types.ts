import type { Principal } from './principal.js';
import type { Prompt, Resource, ResourceTemplate, Tool } from '@modelcontextprotocol/sdk/types.js';

// The catalog vocabulary: entries of the merged lists, list kinds, per-caller views and filters.
// A leaf of types.ts (which re-exports it): it imports nothing from core, so no type loop.

/** Tool entry of the merged catalog. */
export interface ToolEntry {
  /** Name as exposed by the bridge. */
  readonly name: string;
  /** Logical server that provides it. */
  readonly server: string;
  /** Name on the upstream. */
  readonly upstreamName: string;
  /** The tool as exposed (name rewritten). */
  readonly tool: Tool;
  /**
   * False for a tool called by upstream name (`server/tool`) that the catalog does not list: its
   * annotations are unknown, so plugins must treat it as unsafe (not read-only, not idempotent).
   */
  readonly listed: boolean;
  /** Whether calls to it may be repeated, cached or hedged: computed once by the catalog, trust-aware. */
  readonly safety: ToolSafety;
}

/**
 * What a tool's annotations allow, decided once by the catalog with one rule for all replicas:
 * annotations are believed only from a server whose every replica has `trusted: true`; a tool the
 * catalog does not list has no known annotations (all false).
 */
export interface ToolSafety {
  /** `readOnlyHint` from a trusted server: safe to repeat, cache and hedge. */
  readonly readOnly: boolean;
  /** `readOnlyHint` or `idempotentHint` from a trusted server: safe to repeat. */
  readonly idempotent: boolean;
  /**
   * What the annotations claim, whoever the server: for a plugin given its own list of servers to
   * trust (retry's and the cache's `trusted` option). Never believe it otherwise.
   */
  readonly claimed: { readonly readOnly: boolean; readonly idempotent: boolean };
}

/** Prompt entry of the merged catalog. */
export interface PromptEntry {
  readonly name: string;
  readonly server: string;
  readonly upstreamName: string;
  readonly prompt: Prompt;
}

/** Resource entry of the merged catalog. */
export interface ResourceEntry {
  readonly uri: string;
  readonly server: string;
  readonly upstreamUri: string;
  readonly resource: Resource;
}

/** Resource template entry of the merged catalog. */
export interface ResourceTemplateEntry {
  readonly uriTemplate: string;
  readonly server: string;
  readonly upstreamUriTemplate: string;
  readonly template: ResourceTemplate;
}

/** The catalog entry type of each list kind (`templates` are resource templates). */
export interface ListEntries {
  tools: ToolEntry;
  prompts: PromptEntry;
  resources: ResourceEntry;
  templates: ResourceTemplateEntry;
}

/** One of the four merged lists: `tools`, `prompts`, `resources`, `templates`. */
export type ListKind = keyof ListEntries;

/** Who a merged list is being built for. */
export interface ListView {
  /** The caller given to `listTools({ caller })` and friends (the gateway passes its session's caller); `undefined` for an anonymous list. */
  readonly caller: string | undefined;
  /** The authenticated principal behind `caller` (scopes, claims), when the gateway gave one. */
  readonly principal?: Principal | undefined;
}

/**
 * A per-caller view filter registered with `api.filterList(kind, filter)`: return false to leave an
 * entry out of the list built for `view.caller`. Runs synchronously for every entry of every list
 * call, so keep it cheap (no I/O). It hides entries only; refuse calls in a `policy` middleware.
 */
export type ListFilter<K extends ListKind> = (entry: ListEntries[K], view: ListView) => boolean;

/** The listed item type of each list kind (what a client receives). */
export interface ListedItems {
  tools: Tool;
  prompts: Prompt;
  resources: Resource;
  templates: ResourceTemplate;
}

/**
 * A list transform registered with `api.transformList(kind, transform)`: rewrites a list as it is
 * listed to `view.caller`, after the list filters (add, drop, reorder items). Only the listing
 * changes: calls by name and visibility checks still see the filtered catalog. Runs synchronously on
 * every list call; return a new array or the one given.
 */
export type ListTransform<K extends ListKind> = (items: ListedItems[K][], view: ListView) => ListedItems[K][];

/** Listing status of one server, reported in merged lists under `_meta['mcp-bridge/servers']`. */
export interface ServerListStatus {
  status: 'ok' | 'error' | 'timeout' | 'unavailable' | 'circuit-open' | 'stale' | 'pending';
  /** Human-readable reason when not ok. */
  error?: string;
  /** Error code when not ok. */
  code?: string;
  /** When the list was last fetched successfully (epoch ms). */
  updatedAt?: number;
}
