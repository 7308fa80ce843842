import type { ListKind } from './catalog.js';
import { PluginError } from './errors.js';
import { errorMessage } from './helpers.js';
import { ensureReady, type HostCore } from './host-core.js';
import type { RegisteredListFilter } from './boot.js';
import type { Principal } from './principal.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { ListEntries, ListTransform, ListView, ListedItems, ServerListStatus, ToolEntry } from './types.js';

// Merged lists and the per-caller views of them (plugins' list filters).

/** Options of the list calls (`listTools` ...). */
export interface ListOptions {
  /** Re-list every server first (servers whose last listing failed are retried anyway). */
  refresh?: boolean;
  /** Who the list is for: plugins' list filters (`api.filterList`) hide entries per caller. The gateway sets it. */
  caller?: string;
  /** The authenticated principal behind `caller`, for filters that decide by scope or claim. The gateway sets it. */
  principal?: Principal;
}

/** A merged list with the per-server status in `_meta['mcp-bridge/servers']`. */
export type MergedList<K extends string, T> = { [P in K]: T[] } & {
  _meta: { 'mcp-bridge/servers': Record<string, ServerListStatus> };
};

/**
 * One list as `caller` sees it. With no filter for the kind this is the plain map it always was
 * (no view object, no extra pass); with filters, one pass that filters and maps together.
 */
export function listView<K extends ListKind, T>(
  s: HostCore,
  kind: K,
  entries: readonly ListEntries[K][],
  who: Pick<ListOptions, 'caller' | 'principal'>,
  item: (entry: ListEntries[K]) => T,
): T[] {
  const filters = s.listFilters[kind];
  if (filters === undefined) return entries.map(item);
  const { caller } = who;
  const view: ListView = { caller, principal: who.principal };
  const out: T[] = [];
  let current: RegisteredListFilter | undefined;
  try {
    outer: for (const entry of entries) {
      for (current of filters) if (!current.filter(entry, view)) continue outer;
      out.push(item(entry));
    }
  } catch (error) {
    // Fail closed: a filter that throws must not leak what it was meant to hide.
    throw new PluginError('PLUGIN_LIST_FILTER_FAILED', current!.plugin, `its ${kind} list filter threw: ${errorMessage(error)}`, {
      cause: error,
      data: { kind, caller },
    });
  }
  return out;
}

/** Whether `entry` is in the `kind` list built for `who` (every list filter keeps it). */
export function visibleIn<K extends ListKind>(
  s: HostCore,
  kind: K,
  entry: ListEntries[K],
  who: Pick<ListOptions, 'caller' | 'principal'> | undefined,
): boolean {
  if (s.listFilters[kind] === undefined) return true;
  return listView(s, kind, [entry], who ?? {}, () => true).length === 1;
}

/** Waits out the start grace, then re-lists the servers whose `kinds` failed (every server with `refresh`). */
export async function freshen(s: HostCore, kinds: readonly ListKind[], refresh: boolean | undefined): Promise<void> {
  ensureReady(s);
  await s.watch.awaitGrace();
  const failed = (server: string, kind: ListKind): boolean => {
    // A server still starting is being listed already (its snapshot lists, if any, are `stale` meanwhile).
    if (s.watch.isStarting(server)) return false;
    const status = s.catalog.fetchStatus(server, kind)?.status;
    return status !== undefined && status !== 'ok' && status !== 'pending';
  };
  const servers = [...s.upstreams.keys()].filter((srv) => refresh || kinds.some((k) => failed(srv, k)));
  await Promise.all(servers.map((srv) => s.sync.refresh(srv, kinds)));
}

/** One list as it is listed to `who`: filtered ({@link listView}), then {@link listed}. */
export function listFor<K extends ListKind>(
  s: HostCore,
  kind: K,
  entries: readonly ListEntries[K][],
  who: Pick<ListOptions, 'caller' | 'principal'>,
  item: (entry: ListEntries[K]) => ListedItems[K],
): ListedItems[K][] {
  return listed(s, kind, listView(s, kind, entries, who, item), who);
}

/**
 * A filtered list as it is listed to `who`: plugins' own tools first (shadowing catalog tools of the
 * same name), then the plugins' list transforms in order. Nothing to do when no plugin added either.
 */
export function listed<K extends ListKind>(
  s: HostCore,
  kind: K,
  items: ListedItems[K][],
  who: Pick<ListOptions, 'caller' | 'principal'>,
): ListedItems[K][] {
  let out = items;
  if (kind === 'tools' && s.pluginTools.size > 0) {
    const own = [...s.pluginTools.values()].map((t) => t.tool);
    out = [...own, ...(out as Tool[]).filter((t) => !s.pluginTools.has(t.name))] as ListedItems[K][];
  }
  const transforms = s.listTransforms[kind];
  if (transforms === undefined) return out;
  const view: ListView = { caller: who.caller, principal: who.principal };
  for (const { plugin, transform } of transforms) {
    try {
      out = (transform as unknown as ListTransform<K>)(out, view);
    } catch (error) {
      // Fail closed, as a throwing list filter does.
      throw new PluginError('PLUGIN_LIST_FILTER_FAILED', plugin, `its ${kind} list transform threw: ${errorMessage(error)}`, {
        cause: error,
        data: { kind, caller: who.caller },
      });
    }
    if (!Array.isArray(out)) {
      throw new PluginError('PLUGIN_LIST_FILTER_FAILED', plugin, `its ${kind} list transform returned ${typeof out}, not an array`, {
        data: { kind, caller: who.caller },
      });
    }
  }
  return out;
}

/** The catalog's tool entries `who` may see (every list filter keeps them); list transforms do not apply. */
export function visibleTools(s: HostCore, who: ListView | undefined): readonly ToolEntry[] {
  ensureReady(s);
  return listView(s, 'tools', s.catalog.tools(), who ?? { caller: undefined }, (e) => e);
}
