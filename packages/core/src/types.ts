import type { Principal } from './principal.js';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type {
  CallToolResult,
  CompleteResult,
  GetPromptResult,
  ListPromptsResult,
  ListResourcesResult,
  ListResourceTemplatesResult,
  ListToolsResult,
  Progress,
  ReadResourceResult,
} from '@modelcontextprotocol/sdk/types.js';
import type { Connection, ConnectOptions, ServerConfig } from '@mcp-bridge/transports';
import type { RequestSignal } from './request-signal.js';
import type { ToolEntry } from './list-types.js';
import type { HealthState, Upstream, UpstreamStatus } from './upstream-types.js';

// The vocabularies of their own files, re-exported so `./types.js` imports keep working.
export type {
  ListEntries,
  ListFilter,
  ListKind,
  ListTransform,
  ListView,
  ListedItems,
  PromptEntry,
  ResourceEntry,
  ResourceTemplateEntry,
  ServerListStatus,
  ToolEntry,
  ToolSafety,
} from './list-types.js';
export type {
  HealthState,
  ServerPolicyFields,
  ServerSettings,
  SessionsMode,
  Upstream,
  UpstreamConfig,
  UpstreamStatus,
} from './upstream-types.js';

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
  /** The authenticated principal behind `caller` (same id), with its scopes and claims, when the gateway authenticated one. */
  readonly principal?: Principal | undefined;
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

// ------------------------------------------------------------------ call links
// (Here, not in a file of their own: CallContext carries a link, and a link names upstreams and methods.)

/**
 * Why a call runs: `caller` (the client API, the gateway's downstream calls), `catalog` (the
 * host's own list refreshes), `revalidate` (a cache's stale-while-revalidate refresh), `probe` (a
 * health probe). Plugins read it instead of guessing from `caller` strings or signals.
 */
export type CallOrigin = 'caller' | 'catalog' | 'revalidate' | 'probe';

/** One upstream request the terminal sends for a linked call (see {@link CallLink}). */
export interface UpstreamRequest {
  /** The logical server. */
  readonly server: string;
  /** The replica it goes to. */
  readonly upstream: Upstream;
  /** The upstream connection it is written on: what that connection asks or reports meanwhile belongs to this call. */
  readonly client: Client;
  /** The MCP method sent. */
  readonly method: McpMethod;
}

/** A request to the caller: 2025 sampling/elicitation/roots, or one input request of a 2026 `input_required` result. */
export interface CallerRequest {
  readonly method: string;
  readonly params?: Record<string, unknown>;
}

/**
 * The downstream call a bridge call serves, as a first-class field of the call (`CallOptions.link`,
 * copied onto `CallContext.link` and kept by derived contexts `{ ...ctx }`): who made it and how to
 * reach them. Opaque to core and plugins: the terminal (core's call path, where it sends the SDK
 * request) calls {@link sent} and {@link settled} around every upstream request of the call, so
 * whoever created the link (the gateway) knows which upstream connections are working for its
 * caller right now, whatever plugins retried, hedged or re-routed. That is how an upstream's
 * server-to-client request, progress and cancellation find their caller: never by patching the SDK
 * or by guessing from the calls that happen to be in flight.
 *
 * The era-independent seam: a 2025 upstream's sampling/elicitation/roots request is routed (by the
 * gateway, from the connection it arrived on) to the link whose request is in flight there and sent
 * with {@link ask}; a 2026 upstream's `input_required` result comes back to the terminal of the very
 * call, which asks `ctx.link` the same way and sends the request again with the answers.
 */
export interface CallLink {
  /** The caller's cancellation: the call's `signal` when `CallOptions.signal` is not given. */
  readonly signal: AbortSignal | undefined;
  /**
   * Optional: one view of {@link signal} (`new RequestSignal(signal, true)`) shared by every upstream
   * request of the call that still has this signal, so the signal gets one `abort` listener per call
   * instead of one added and removed per request. Worth it for a signal made per call (a downstream
   * request's); never release it while the call runs.
   */
  readonly requestSignal?: RequestSignal | undefined;
  /**
   * Optional: who the downstream client is, as an opaque key unique per client (never a secret such
   * as a session id). With it, calls of servers whose `sessions` is not `shared` run on upstream
   * sessions held by this client alone (see docs/sessions.md); without it, on the shared session.
   */
  readonly client?: string | undefined;
  /**
   * Optional: a fingerprint of the client's current roots (`'[]'` when it has none). An upstream
   * session that answered `roots/list` is lent only to callers with the same fingerprint.
   */
  rootsKey?(): string;
  /**
   * Optional: the caller's latest OAuth token, the subject token of an upstream's token exchange
   * (RFC 8693) when the call runs on a per-principal upstream session. Never sent upstream as is.
   */
  subjectToken?(): string | undefined;
  /** The terminal is about to send `request` for this call (synchronously, right before the SDK request). Must not throw. */
  sent(request: UpstreamRequest): void;
  /** That request settled: answered, failed or cancelled. Called once per {@link sent}; must not throw. */
  settled(request: UpstreamRequest): void;
  /**
   * Asks the caller (sampling, elicitation, roots) as part of this call, so the request travels
   * with it (over HTTP, on the call's own response stream). Rejects when the caller cannot be asked.
   */
  ask(request: CallerRequest, options: { signal?: AbortSignal; timeout?: number }): Promise<Record<string, unknown>>;
}
