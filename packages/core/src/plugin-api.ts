import type { Connection } from '@mcp-bridge/transports';
import type { CallToolResult, Progress, Tool } from '@modelcontextprotocol/sdk/types.js';
import type { ResourceTarget } from './catalog.js';
import type { BridgeEvents, Listener } from './event-types.js';
import type { Principal } from './principal.js';
import type {
  CallLink,
  CallOrigin,
  ListFilter,
  ListKind,
  ListTransform,
  ListView,
  McpMethod,
  Middleware,
  Services,
  ToolEntry,
  Upstream,
} from './types.js';

/** `new` → `starting` → `ready` → `closing` → `closed` (or `failed` when start failed). */
export type BridgeState = 'new' | 'starting' | 'ready' | 'closing' | 'closed' | 'failed';

/** Options every client call accepts. */
export interface CallOptions {
  /** Cancels the call; the upstream receives `notifications/cancelled`. */
  signal?: AbortSignal;
  /** Overall time limit in ms across every attempt (default: the bridge's `requestTimeout`). */
  timeout?: number;
  /** Progress from the upstream. */
  onprogress?: (progress: Progress) => void;
  /** Who is calling (per-caller policy, cache partitions); set by the gateway. */
  caller?: string;
  /** The authenticated principal behind `caller` (its id is the caller), with its scopes and claims; set by the gateway. */
  principal?: Principal;
  /**
   * Fields merged into the request's `params._meta`, e.g. the W3C `traceparent`/`tracestate` of a
   * downstream request, so a tracing plugin continues the caller's trace. Cache keys ignore `_meta`.
   */
  meta?: Record<string, unknown>;
  /** Why the call runs (default `caller`): a health probe says `probe`, a cache refresh `revalidate`. */
  origin?: CallOrigin;
  /** The downstream call this one serves (the gateway sets it); its `signal` is the call's when `signal` is not given. */
  link?: CallLink;
  /** Pins every attempt to this replica (an upstream id of the server), whatever the balancer would pick. */
  upstream?: string;
}

/**
 * The host as plugins see it (`api.host`): the few read and act methods plugins need, nothing that
 * adds or removes servers or closes the host. Upstreams are read-only views.
 *
 * @example
 * ```ts
 * setup(api) {
 *   const host = api.host;
 *   api.on('host:ready', () => console.log(host.servers().map((s) => `${s}: ${host.upstreams(s).length} upstream(s)`)));
 * }
 * ```
 */
export interface HostView {
  /** The host's lifecycle state: the catalog methods and `request` need `ready`. */
  readonly state: BridgeState;
  /** Names of the configured servers (valid ones), in config order. */
  servers(): readonly string[];
  /** The upstreams of a server (one, or its replicas), read-only; empty for an unknown server. */
  upstreams(server: string): readonly Upstream[];
  /** The catalog's tool entries (exposed name, server, upstream name). Throws before `ready`. */
  tools(): readonly ToolEntry[];
  /**
   * The catalog's tool entries `who` may see: those every plugin's list filter keeps (access rules
   * per caller and principal). List transforms do not apply: this is what the caller may call (a plugin
   * calls one as `bridge.callTool` would: `request(entry.server, 'tools/call', { name: entry.upstreamName, ... })`
   * with the caller's options, after checking it is here). Throws before `ready`.
   */
  visibleTools(who?: ListView): readonly ToolEntry[];
  /** The server and upstream URI behind an exposed resource URI, if any. */
  resolveResource(uri: string): ResourceTarget | undefined;
  /**
   * Sends one request to one logical server through the whole pipeline (health probes, cache
   * revalidation). Names in `params` must be upstream names.
   */
  request(server: string, method: McpMethod, params?: Record<string, unknown>, options?: CallOptions): Promise<unknown>;
  /** The live connection of an upstream, if any (its `closed` promise, stderr tail, pid). */
  connection(upstream: Upstream): Connection | undefined;
  /** Hides a server's catalog entries, or shows them again (with `catalog:changed`); false when nothing changed. */
  setServerHidden(server: string, hidden: boolean): boolean;
  /** True when {@link HostView.setServerHidden} hid the server's entries. */
  isServerHidden(server: string): boolean;
}

/** The handler of a plugin's own tool: the call's arguments and the caller's options. */
export type PluginToolCall = (args: Record<string, unknown>, options: CallOptions) => Promise<CallToolResult>;

/** A tool a plugin serves itself ({@link PluginApi.addTool}). */
export interface PluginTool {
  /** The tool as listed; its name must match `^[a-zA-Z0-9_-]{1,64}$`. */
  readonly tool: Tool;
  /** Runs a call. */
  readonly call: PluginToolCall;
}

/**
 * Properties plugins add to the bridge object (with `api.expose`), typed by declaration merging.
 *
 * @example
 * ```ts
 * declare module '@mcp-bridge/core' { interface BridgeExtensions { cache: CacheControl } }
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface BridgeExtensions {}

/** What a plugin's `setup` receives. */
export interface PluginApi {
  /** The plugin's own name (for messages). */
  readonly plugin: string;
  /**
   * What a plugin may read and do on the host: servers, read-only upstreams, the catalog, requests
   * through the pipeline. Calls are only possible after `start()` resolves. Middleware that needs it
   * closes over `api.host` from setup (a call's context does not carry the host).
   */
  readonly host: HostView;
  /** Aborted when the bridge closes: tie timers and sockets to it. */
  readonly signal: AbortSignal;
  /** Listen to a lifecycle event; returns an unsubscribe function. */
  on<E extends keyof BridgeEvents>(event: E, listener: Listener<E>): () => void;
  /**
   * Emit a lifecycle event: the plugin's own, declared by merging. Core events (`upstream:add`,
   * `call:error` ...) are the host's alone: emitting one throws a `PluginError` (`PLUGIN_INVALID`) naming the plugin and the event.
   */
  emit<E extends keyof BridgeEvents>(event: E, payload: BridgeEvents[E]): void;
  /** True when someone listens: build costly payloads only then. */
  hasListeners(event: keyof BridgeEvents): boolean;
  /** Add a middleware to the pipeline. Only during setup. */
  use<M extends McpMethod>(middleware: Middleware<M>): void;
  /**
   * Hide catalog entries per caller: `filter` runs on every entry of the `kind` list each time a list is
   * built (`bridge.listTools({ caller })` ..., the gateway's `tools/list`), and an entry is listed only
   * when every plugin's filter returns true. Only during setup. Lists cost nothing extra when no
   * plugin registered a filter for that kind.
   *
   * @example
   * ```ts
   * api.filterList('tools', (entry, { caller }) => caller === 'admin' || !entry.name.startsWith('admin_'));
   * ```
   */
  filterList<K extends ListKind>(kind: K, filter: ListFilter<K>): void;
  /**
   * Rewrite a list as it is listed to a caller, after the list filters (see {@link ListTransform}):
   * e.g. list a few tools instead of the whole catalog. Transforms run in plugin order. Only during setup.
   */
  transformList<K extends ListKind>(kind: K, transform: ListTransform<K>): void;
  /**
   * Serve a tool of the plugin's own, in-process: listed in every tool list (before list transforms,
   * first, shadowing a catalog tool of the same name) and called by its name with the caller's
   * options (`bridge.callTool`, the gateway's `tools/call`). Its handler runs outside the pipeline:
   * to reach upstream tools it calls `api.host.request`. Only during setup.
   */
  addTool(tool: PluginTool): void;
  /** Provide a service slot listed in the plugin's `provides`. Only during setup. */
  provide<K extends keyof Services>(slot: K, implementation: Services[K]): void;
  /** The service in a slot (a provider's, or core's default). */
  service<K extends keyof Services>(slot: K): Services[K];
  /** Attach a value to the bridge object (e.g. `bridge.cache`). Only during setup. */
  expose<K extends keyof BridgeExtensions>(key: K, value: BridgeExtensions[K]): void;
  /** Register a cleanup; cleanups run in reverse plugin order on close. */
  onClose(cleanup: () => void | Promise<void>): void;
}

/**
 * A plugin: a plain object, usually returned by a factory that closes over its options
 * (`definePlugin()` builds that factory).
 *
 * @example
 * ```ts
 * export function timing(): Plugin {
 *   return {
 *     name: 'mcp-bridge-plugin-timing', version: '1.0.0', core: '^0.1.0',
 *     setup(api) {
 *       api.use({ phase: 'observe', async handle(ctx, next) {
 *         const t = performance.now();
 *         try { return await next() } finally { console.log(ctx.method, performance.now() - t) }
 *       } })
 *     },
 *   }
 * }
 * ```
 */
export interface Plugin {
  /** Unique name: `@mcp-bridge/x` for first-party, `mcp-bridge-plugin-x` for third parties. */
  name: string;
  /** The plugin's own version (semver). */
  version: string;
  /** Semver range of `@mcp-bridge/core` it supports. */
  core?: string;
  /** Hard dependencies: plugin names, or names with version ranges. */
  dependsOn?: readonly string[] | Readonly<Record<string, string>>;
  /** Soft ordering: set up after these plugins when they are present. */
  after?: readonly string[];
  /** Service slots this plugin provides (exactly one provider per slot). */
  provides?: readonly (keyof Services)[];
  /** Service slots this plugin needs. */
  requires?: readonly (keyof Services)[];
  /** Per-plugin setup timeout in ms (default: the bridge's `setupTimeout`). */
  setupTimeout?: number;
  /** Register hooks, middleware and services. */
  setup(api: PluginApi): void | Promise<void>;
}
