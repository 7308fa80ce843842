import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type {
  CallToolResult,
  CompleteResult,
  GetPromptResult,
  Implementation,
  ListPromptsResult,
  ListResourcesResult,
  ListResourceTemplatesResult,
  ListToolsResult,
  Progress,
  Prompt,
  ReadResourceResult,
  Resource,
  ResourceTemplate,
  ServerCapabilities,
  Tool,
} from '@modelcontextprotocol/sdk/types.js';
import type { Connection, ConnectOptions, ServerConfig, TransportKind } from '@mcp-bridge/transports';
import type { Bridge } from './bridge.js';
import type { CallLink, CallOrigin } from './call-link.js';

/** The pipeline phases, outermost first. */
export const PHASES = ['observe', 'policy', 'validate', 'cache', 'retry', 'route', 'upstream'] as const;
/** One phase of the call pipeline. See {@link PHASES} for the order. */
export type Phase = (typeof PHASES)[number];

/** MCP methods that go through the pipeline (any other string is allowed for extensions). */
export type McpMethod =
  | 'tools/call'
  | 'tools/list'
  | 'resources/list'
  | 'resources/templates/list'
  | 'resources/read'
  | 'resources/subscribe'
  | 'resources/unsubscribe'
  | 'prompts/list'
  | 'prompts/get'
  | 'completion/complete'
  | 'logging/setLevel'
  | 'ping'
  | (string & {});

/**
 * Per-call state that plugins extend by declaration merging.
 *
 * @example
 * ```ts
 * declare module '@mcp-bridge/core' {
 *   interface CallState { cacheHit?: boolean }
 * }
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface CallState {}

/** Health of one upstream as the host sees it; the health plugin refines it. */
export type HealthState = 'healthy' | 'degraded' | 'unhealthy';

/** Connection status of one upstream. */
export type UpstreamStatus = 'idle' | 'connecting' | 'ready' | 'failed' | 'closed';

/**
 * One concrete connection target. A logical server has one upstream, or several replicas
 * (added by the load balancer) that share the server's name and catalog.
 */
export interface Upstream {
  /** Unique id: the server name, or `server#n` for replicas. */
  readonly id: string;
  /** The logical server this upstream belongs to. */
  readonly server: string;
  /** Its validated config. */
  readonly config: UpstreamConfig;
  /** Transport kind derived from the config. */
  readonly kind: TransportKind;
  /** Connection status, kept by the pool. */
  status: UpstreamStatus;
  /** Health, kept by the host (and refined by health plugins). */
  health: HealthState;
  /** The last connection or call failure, for reports. */
  lastError: Error | undefined;
  /** Calls in flight on this upstream (maintained by the host; used by pickers). */
  inFlight: number;
  /** What the upstream said it can do at its last initialize (`undefined` until it connected). */
  capabilities: ServerCapabilities | undefined;
  /** Name and version the upstream reported at its last initialize. */
  serverInfo: Implementation | undefined;
}

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

/**
 * What a server entry says about how far to believe and how to call it, besides its transport:
 * typed and validated here, so no plugin reads them through casts.
 */
export interface ServerPolicyFields {
  /**
   * The server's tool annotations (`readOnlyHint`, `idempotentHint`) are believed: retry, caching and
   * hedging of `tools/call` rely on them (see `ToolEntry.safety`). A server is trusted only when every
   * one of its replicas is. Default false.
   */
  trusted?: boolean;
  /** Per-server call settings. */
  settings?: ServerSettings;
}

/** Per-server call settings (`settings` in a server entry). */
export interface ServerSettings {
  /** Default time limit of each request to this server, ms. */
  timeout?: number;
  /** At most this many retries of a call to this server. */
  retries?: number;
}

/** A server's validated config: its transport fields and {@link ServerPolicyFields} (validated by core's config parsing). */
export type UpstreamConfig = ServerConfig & ServerPolicyFields;

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
}

/**
 * A per-caller view filter registered with `api.filterList(kind, filter)`: return false to leave an
 * entry out of the list built for `view.caller`. Runs synchronously for every entry of every list
 * call, so keep it cheap (no I/O). It hides entries only; refuse calls in a `policy` middleware.
 */
export type ListFilter<K extends ListKind> = (entry: ListEntries[K], view: ListView) => boolean;

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

/**
 * Continuation of the pipeline; re-entrant (retry may call it again). A middleware may pass a
 * derived context (`{ ...ctx, upstream: undefined, signal }`) to run the rest of the pipeline with
 * it, so two attempts can run at once (hedging) without sharing `upstream` or `signal`.
 */
export type Next<R = unknown> = (ctx?: CallContext) => Promise<R>;

/**
 * The result type of each MCP method, so `next()` in a middleware limited to one method is typed
 * (`methods: ['tools/call']` gives `next(): Promise<CallToolResult>`). Extensions may add methods
 * by declaration merging.
 */
export interface MethodResults {
  'tools/call': CallToolResult;
  'tools/list': ListToolsResult;
  'resources/list': ListResourcesResult;
  'resources/templates/list': ListResourceTemplatesResult;
  'resources/read': ReadResourceResult;
  'prompts/list': ListPromptsResult;
  'prompts/get': GetPromptResult;
  'completion/complete': CompleteResult;
}

/**
 * What `next()` resolves to for a middleware limited to methods `M`: the union of their results, or
 * `unknown` when any of them has no known result type (or no `methods` were given).
 */
export type ResultOf<M> = string extends M ? unknown : M extends keyof MethodResults ? MethodResults[M] : unknown;

/**
 * The single object a call carries through the pipeline.
 */
export interface CallContext {
  /** Process-unique call id. */
  readonly id: number;
  /** The MCP method. */
  readonly method: McpMethod;
  /** The target logical server. */
  readonly server: string;
  /** Params in upstream form (names already mapped back); replaceable by plugins. */
  params: Record<string, unknown>;
  /** For `tools/call`: the catalog entry of the tool. */
  readonly tool: ToolEntry | undefined;
  /**
   * The caller's cancellation, `undefined` when the caller gave none. The overall time limit is
   * `deadline`, not part of this signal: a combined signal would cost two allocations on every call.
   */
  signal: AbortSignal | undefined;
  /** Absolute deadline (epoch ms) of the whole call across attempts: the caller's `timeout`, or the bridge's `requestTimeout`. */
  deadline: number;
  /** Time limit of one attempt in ms (set by a retry plugin); the terminal sends `min(attemptTimeout, deadline - now)`. */
  attemptTimeout: number | undefined;
  /** Why the call runs: `caller` (client API, gateway), `catalog` (the host's list refreshes), `revalidate` (a cache refresh), `probe` (a health probe). */
  readonly origin: CallOrigin;
  /** The downstream call this one serves (`CallOptions.link`; the gateway sets it): the terminal reports every upstream request to it. Keep it on derived contexts. */
  readonly link?: CallLink | undefined;
  /** A replica pin (`CallOptions.upstream`, an upstream id): every attempt goes to that replica, chosen before the `route` phase. */
  readonly pin?: string | undefined;
  /** Attempt number, 1-based; incremented each time the call enters the `route` phase. */
  attempt: number;
  /** The upstream chosen for the current attempt (set by `route`; already set when entering it for a pinned call). */
  upstream: Upstream | undefined;
  /** Upstream ids already tried by this call. */
  readonly tried: Set<string>;
  /** Progress callback of the caller, forwarded to the upstream request. */
  onprogress: ((progress: Progress) => void) | undefined;
  /** Per-call state bag, typed by declaration merging of {@link CallState}. */
  readonly state: CallState;
  /** Who made the call (for per-caller policy); set by the gateway. */
  caller: string | undefined;
  /** The bridge running the call. */
  readonly bridge: Bridge;
}

/**
 * A pipeline middleware. `M` is inferred from `methods`, which types `next()`:
 *
 * @example
 * ```ts
 * api.use({
 *   phase: 'observe',
 *   methods: ['tools/call'],
 *   handle: async (ctx, next) => {
 *     const result = await next(); // CallToolResult
 *     if (result.isError) console.warn(ctx.tool?.name, 'failed');
 *     return result;
 *   },
 * });
 * ```
 */
export interface Middleware<M extends McpMethod = McpMethod> {
  /** Shown in errors and traces; defaults to the plugin name. */
  name?: string;
  /** The phase it occupies. */
  phase: Phase;
  /** Within a phase: `before` entries run first, then unmarked ones, then `after`; ties keep plugin order. */
  order?: 'before' | 'after';
  /** Only these methods (default: every method). */
  methods?: readonly M[];
  /** Only for these tools (exposed names), or a predicate. Implies `methods: ['tools/call']`. */
  tools?: readonly string[] | ((tool: ToolEntry) => boolean);
  /** The middleware body: return without `next()` to short-circuit; call `next()` again to retry. */
  handle(ctx: CallContext, next: Next<ResultOf<M>>): Promise<unknown>;
}

/**
 * Lifecycle events, typed by declaration merging. Plugins declare their own:
 *
 * @example
 * ```ts
 * declare module '@mcp-bridge/core' {
 *   interface BridgeEvents { 'retry:attempt': { ctx: CallContext; attempt: number; delayMs: number } }
 * }
 * ```
 */
export interface BridgeEvents {
  'upstream:add': { server: string; upstream: Upstream };
  'upstream:remove': { server: string; upstream: Upstream };
  'upstream:health': { server: string; upstream: Upstream; state: HealthState; previous: HealthState; reason?: string };
  'connect:before': { server: string; upstream: Upstream; attempt: number };
  'connect:after': { server: string; upstream: Upstream; connection: Connection; durationMs: number };
  'connect:error': { server: string; upstream: Upstream; error: Error; durationMs: number };
  /** Every notification an upstream sends (progress is delivered to the caller instead). */
  notification: { server: string; upstream: Upstream; method: string; params: Record<string, unknown> | undefined };
  'catalog:changed': { server: string; kinds: readonly ('tools' | 'resources' | 'prompts')[] };
  /**
   * A list entry of a server was repaired (e.g. an input schema without `type: "object"`) or dropped
   * (invalid beyond repair) instead of failing the server's whole list. Reported when the list changes.
   */
  'catalog:warning': { server: string; kind: 'tools' | 'prompts' | 'resources' | 'templates'; name: string; problem: string; action: 'repaired' | 'dropped' };
  'call:error': { ctx: CallContext; error: unknown };
  /**
   * A client for an upstream was created and is not connected yet: the place to register handlers
   * for server-to-client requests (sampling, elicitation, roots). Runs once per connection attempt.
   */
  'client:created': { server: string; upstream: Upstream; client: Client };
  'host:ready': { servers: readonly string[] };
  /**
   * A server's first listing settled: it is no longer `starting`. `ok: false` with the error of its
   * first failed list when it did not come up (it is retried on use, or in the background).
   */
  'server:started': { server: string; ok: boolean; durationMs: number; error?: string };
  'host:close': Record<string, never>;
}

/** An event listener. */
export type Listener<E extends keyof BridgeEvents> = (payload: BridgeEvents[E]) => void;

/**
 * Picks the upstream for one attempt among a server's replicas.
 */
export interface Balancer {
  /** Return the upstream to use, or `undefined` when none can take the call. */
  pick(ctx: CallContext, candidates: readonly Upstream[]): Upstream | undefined;
}

/** Connects upstreams on behalf of a pool (transport + client handlers + connect events). */
export interface PoolHost {
  /** Open a new connection to the upstream. */
  connect(upstream: Upstream, signal?: AbortSignal): Promise<Connection>;
  /** Tell the host an upstream's connection status changed. */
  statusChanged(upstream: Upstream, status: UpstreamStatus, error?: Error): void;
}

/** Runs requests on upstream sessions: owns connections, their lifetime and concurrency. */
export interface Pool {
  /** Run `fn` with a connected client of `upstream`. Connects lazily. */
  run<T>(upstream: Upstream, ctx: CallContext, fn: (client: Client, ctx: CallContext) => Promise<T>): Promise<T>;
  /** Connect now (used at start to build the catalog). */
  warm(upstream: Upstream): Promise<void>;
  /** The live connection, if any (for status and stderr). */
  connection(upstream: Upstream): Connection | undefined;
  /** Drop an upstream's sessions (upstream removed). */
  release(upstream: Upstream): Promise<void>;
  /** Close every session. */
  close(): Promise<void>;
}

/** Factory of a pool, given the host it connects through. */
export type PoolFactory = (host: PoolHost) => Pool;

/** What a health policy may change: an upstream's health, with the event that goes with it. */
export interface HealthHost {
  setHealth(upstream: Upstream, state: HealthState, reason?: string): void;
}

/**
 * Passive health: turns connection and call outcomes into an upstream's health. Core's default
 * marks an upstream unhealthy when its connection fails or a call fails at the transport level,
 * and healthy again when it connects or a call succeeds; the health plugin replaces it with
 * thresholds, ejection times and probes.
 */
export interface HealthPolicy {
  /** A connection to the upstream opened. */
  connected(upstream: Upstream): void;
  /** A connection failed to open, or was lost. */
  disconnected(upstream: Upstream, error: Error | undefined): void;
  /**
   * An attempt ended. `error` is undefined on success, including results the upstream marked
   * `isError` and JSON-RPC errors it sent: the upstream answered, so it is alive.
   */
  attempted(upstream: Upstream, ctx: CallContext, error: unknown): void;
}

/** Factory of a health policy, given what it may change. */
export type HealthPolicyFactory = (host: HealthHost) => HealthPolicy;

/** Opens connections by transport kind. */
export interface TransportService {
  connect(server: string, config: ServerConfig, options: ConnectOptions): Promise<Connection>;
}

/** Naming requests for one kind of catalog entry. */
export interface NameRequest {
  readonly server: string;
  readonly name: string;
}

/** Assigns exposed names (tools, prompts) and URIs (resources) for the merged catalog. */
export interface Namer {
  /**
   * Exposed names for `items`, in the same order. An entry may be `undefined` to hide it, or an
   * Error to report it against its server (for example a collision under the `error` policy).
   */
  names(kind: 'tool' | 'prompt', items: readonly NameRequest[]): (string | Error | undefined)[];
  /** Exposed URIs (or URI templates) for resources, same contract as {@link Namer.names}. */
  uris(kind: 'resource' | 'template', items: readonly NameRequest[]): (string | Error | undefined)[];
}

/**
 * Exclusive strategy slots. Core ships a default for each; a plugin that lists a slot in
 * `provides` replaces it. Plugins may add slots by declaration merging.
 */
export interface Services {
  balancer: Balancer;
  pool: PoolFactory;
  transport: TransportService;
  namer: Namer;
  health: HealthPolicyFactory;
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
  /** The bridge being built. Calls are only possible after `start()` resolves. */
  readonly bridge: Bridge;
  /** Aborted when the bridge closes: tie timers and sockets to it. */
  readonly signal: AbortSignal;
  /** Listen to a lifecycle event; returns an unsubscribe function. */
  on<E extends keyof BridgeEvents>(event: E, listener: Listener<E>): () => void;
  /** Emit a lifecycle event (the plugin's own, declared by merging). */
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
 * A plugin: a plain object, usually returned by a factory that closes over its options.
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
