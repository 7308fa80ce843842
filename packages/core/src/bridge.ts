import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  CallToolResultSchema,
  CompleteResultSchema,
  EmptyResultSchema,
  GetPromptResultSchema,
  ReadResourceResultSchema,
  ResultSchema,
  type CallToolResult,
  type CompleteRequest,
  type CompleteResult,
  type GetPromptResult,
  type Prompt,
  type ReadResourceResult,
  type Resource,
  type ResourceTemplate,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import type { Connection } from '@mcp-bridge/transports';
import { bootPlugins, type RegisteredListFilter } from './boot.js';
import { MAX_TIMER_MS } from './call-wait.js';
import { Catalog, type ListKind, type ResourceTarget } from './catalog.js';
import { LENIENT_LIST_SCHEMAS } from './list-items.js';
import { deliverProgressFirst } from './progress-order.js';
import type { CallLink, CallOrigin, UpstreamRequest } from './types.js';
import { RequestSignal } from './request-signal.js';
import { ALL_KINDS, CatalogSync } from './catalog-sync.js';
import { ServerWatch } from './server-watch.js';
import { parseServers, validateOptions, type BridgeOptions, type BridgeServerConfig, type InvalidServer, type ValidServer } from './config.js';
import { createDefaultPool, defaultHealthPolicy, defaultTransport, firstHealthyBalancer } from './default-services.js';
import {
  BridgeError,
  BridgeStateError,
  ConfigError,
  NoUpstreamError,
  NotFoundError,
  PluginError,
  TimeoutError,
  UpstreamUnavailableError,
} from './errors.js';
import { EventBus } from './events.js';
import { classifyFailure, describeCall, failureOf } from './failure.js';
import { serverTrusted, UNKNOWN_SAFETY } from './tool-safety.js';
import { errorMessage } from './helpers.js';
import { createNamer } from './naming.js';
import { compileMethod, type CoreSteps, type RegisteredMiddleware, type Step } from './pipeline.js';
import type { BridgeEvents, Listener } from './event-types.js';
import type { BridgeExtensions, BridgeState, CallOptions, HostView } from './plugin-api.js';
import { HostUpstream, upstreamState } from './upstream.js';
import type {
  Balancer,
  CallContext,
  HealthPolicy,
  HealthState,
  ListEntries,
  ListView,
  McpMethod,
  Pool,
  PoolHost,
  ServerListStatus,
  Services,
  ToolEntry,
  Upstream,
  UpstreamStatus,
} from './types.js';
import { CORE_VERSION } from './version.js';

export type { CallOptions } from './plugin-api.js';

/** Options of the list calls (`listTools` ...). */
export interface ListOptions {
  /** Re-list every server first (servers whose last listing failed are retried anyway). */
  refresh?: boolean;
  /** Who the list is for: plugins' list filters (`api.filterList`) hide entries per caller. The gateway sets it. */
  caller?: string;
}

/** Options of `callTool`. */
export interface CallToolOptions extends CallOptions {
  /** Call the tool of this server by its upstream name, bypassing the exposed name. */
  server?: string;
}

/** A merged list with the per-server status in `_meta['mcp-bridge/servers']`. */
export type MergedList<K extends string, T> = { [P in K]: T[] } & {
  _meta: { 'mcp-bridge/servers': Record<string, ServerListStatus> };
};

/** Snapshot of one server for reports (`bridge.status()`). */
export interface ServerStatus {
  name: string;
  /**
   * `starting` until its first listing settled (never `ok` before); `pending` while the bridge itself
   * starts (`startMode: 'wait'`); `invalid` when its config entry was rejected.
   */
  state: 'ok' | 'degraded' | 'down' | 'invalid' | 'pending' | 'starting';
  upstreams: { id: string; kind: string; status: UpstreamStatus; health: HealthState; inFlight: number; pid?: number; lastError?: string }[];
  lists: Record<ListKind, ServerListStatus>;
  /** Config problems, for `invalid` servers. */
  issues?: { path: string; message: string }[];
}

const RESULT_SCHEMAS: Record<string, typeof ResultSchema> = {
  'tools/call': CallToolResultSchema,
  // Lists are checked entry by entry in the catalog sync: one bad definition must not cost a server its whole list.
  ...LENIENT_LIST_SCHEMAS,
  'resources/read': ReadResourceResultSchema,
  'prompts/get': GetPromptResultSchema,
  'completion/complete': CompleteResultSchema,
  ping: EmptyResultSchema,
};

const PIPELINE_METHODS: McpMethod[] = [
  'tools/call',
  'tools/list',
  'resources/list',
  'resources/templates/list',
  'resources/read',
  'resources/subscribe',
  'resources/unsubscribe',
  'prompts/list',
  'prompts/get',
  'completion/complete',
  'logging/setLevel',
  'ping',
];

const CHANGED_NOTIFICATIONS: Record<string, readonly ListKind[]> = {
  'notifications/tools/list_changed': ['tools'],
  'notifications/prompts/list_changed': ['prompts'],
  'notifications/resources/list_changed': ['resources', 'templates'],
};

let nextCallId = 1;

// Class and interface merge: plugins add typed properties with `api.expose` (see BridgeExtensions).
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging, @typescript-eslint/no-empty-object-type -- the merge is the point: BridgeExtensions is filled by plugins
export interface Bridge extends BridgeExtensions {}

/**
 * The plugin host: one object in front of many MCP servers. Create it with {@link createBridge}.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class Bridge {
  readonly #options: BridgeOptions<Readonly<Record<string, unknown>>>;
  readonly #events: EventBus;
  readonly #onError: (error: unknown) => void;
  readonly #closeController = new AbortController();
  readonly #upstreams = new Map<string, readonly Upstream[]>();
  readonly #invalid = new Map<string, InvalidServer>();
  readonly #cleanups: { plugin: string; fn: () => void | Promise<void> }[] = [];
  readonly #compiled = new Map<string, Step>();
  readonly #requestTimeout: number;
  /** Upstreams that have been connected once: a later connect is a reconnect, and re-lists. */
  readonly #connectedBefore = new WeakSet<Upstream>();
  #state: BridgeState = 'new';
  #startPromise: Promise<void> | undefined;
  #closePromise: Promise<void> | undefined;
  #middleware: readonly RegisteredMiddleware[] = [];
  #listFilters: Partial<Record<ListKind, readonly RegisteredListFilter[]>> = {};
  #core!: CoreSteps;
  #catalog!: Catalog;
  #sync!: CatalogSync;
  #watch!: ServerWatch;
  #pool!: Pool;
  #balancer!: Balancer;
  #health!: HealthPolicy;

  /** Use {@link createBridge}. */
  // Unchecked on purpose: createBridge() is the typed entry; the constructor validates at run time.
  constructor(options: BridgeOptions<Readonly<Record<string, unknown>>> = {}) {
    validateOptions(options);
    this.#options = options;
    this.#onError = options.onError ?? ((error) => console.error(error));
    this.#events = new EventBus((event, error) =>
      this.#onError(new BridgeError('LISTENER_FAILED', `a listener of "${event}" threw: ${errorMessage(error)}`, { cause: error })),
    );
    this.#requestTimeout = options.requestTimeout ?? 60_000;
    const { valid, invalid } = parseServers(options.servers ?? {});
    for (const bad of invalid) this.#invalid.set(bad.name, bad);
    for (const server of valid) this.#upstreams.set(server.name, newUpstreams(server));
  }

  /** `new` → `starting` → `ready` → `closing` → `closed` (or `failed` when start failed). */
  get state(): BridgeState {
    return this.#state;
  }

  /** Aborted when the bridge closes. */
  get signal(): AbortSignal {
    return this.#closeController.signal;
  }

  /** Listen to a lifecycle event; returns an unsubscribe function. */
  on<E extends keyof BridgeEvents>(event: E, listener: Listener<E>): () => void {
    return this.#events.on(event, listener);
  }

  // ---------------------------------------------------------------- start

  /**
   * Boots the plugins (order, services, setup with timeouts), compiles the pipeline, connects every
   * upstream and builds the catalog. A dead upstream does not fail `start()`: it is reported in
   * {@link Bridge.status} and retried on use. Boot errors reject with a {@link PluginError}.
   */
  start(): Promise<void> {
    this.#startPromise ??= this.#start();
    return this.#startPromise;
  }

  async #start(): Promise<void> {
    if (this.#state !== 'new') throw new BridgeStateError(`start() called on a ${this.#state} bridge`);
    this.#state = 'starting';
    try {
      await this.#boot();
      this.#throwIfClosing();
      for (const [server, ups] of this.#upstreams) {
        this.#catalog.addServer(server);
        for (const up of ups) this.#events.emit('upstream:add', { server, upstream: up });
      }
      // In the background mode a gateway answers its clients at once; servers join as they come up.
      if (this.#options.startMode === 'background') {
        this.#watch.setGrace(this.#options.startGraceMs ?? 5_000);
        for (const server of this.#upstreams.keys()) void this.#watch.begin(server);
      } else await this.#initialListing();
      this.#throwIfClosing();
    } catch (error) {
      this.#state = 'failed';
      this.#watch?.close();
      await this.#runCleanups();
      await this.#pool?.close();
      this.#events.clear();
      throw error;
    }
    this.#state = 'ready';
    this.#events.emit('host:ready', { servers: [...this.#upstreams.keys()] });
  }

  #throwIfClosing(): void {
    if (this.#closeController.signal.aborted) throw new BridgeStateError('the bridge was closed while starting');
  }

  async #boot(): Promise<void> {
    const defaults = new Map<keyof Services, unknown>([
      ['balancer', firstHealthyBalancer],
      ['transport', defaultTransport],
      ['namer', createNamer(this.#options.naming)],
      ['health', defaultHealthPolicy],
      [
        'pool',
        ((host: PoolHost) =>
          createDefaultPool(host, { reconnectMinMs: this.#options.reconnectMinMs, reconnectMaxMs: this.#options.reconnectMaxMs })) satisfies Services['pool'],
      ],
    ]);
    const { middleware, services, listFilters } = await bootPlugins(this.#options.plugins ?? [], {
      host: this.#hostView(),
      target: this,
      events: this.#events,
      signal: this.#closeController.signal,
      coreVersion: CORE_VERSION,
      setupTimeout: this.#options.setupTimeout ?? 10_000,
      defaults,
      cleanups: this.#cleanups,
    });
    const service = <K extends keyof Services>(slot: K): Services[K] => services.get(slot) as Services[K];
    this.#middleware = middleware;
    this.#listFilters = listFilters;
    this.#catalog = new Catalog(service('namer'), (server) => serverTrusted(this.#upstreams.get(server)));
    this.#balancer = service('balancer');
    this.#health = service('health')({ setHealth: (up, state, reason) => this.#setHealth(up, state, reason) });
    this.#pool = service('pool')(this.#poolHost(service('transport')));
    this.#sync = new CatalogSync({
      catalog: this.#catalog,
      warm: (server) => this.#warm(server),
      list: (server, method, params) => this.#run(this.#context(method, server, params, undefined, undefined, 'catalog')) as Promise<Record<string, unknown>>,
      live: () => this.#state === 'starting' || this.#state === 'ready',
      changed: (server, kind) => {
        if (this.#state === 'ready') this.#events.emit('catalog:changed', { server, kinds: [kind] });
      },
      warn: (server, warning) => this.#events.emit('catalog:warning', { server, ...warning }),
      onError: (error) => this.#onError(error),
      settled: (server) => this.#watch.settled(server),
    });
    this.#watch = new ServerWatch({
      catalog: () => this.#catalog,
      servers: () => [...this.#upstreams.keys()],
      refresh: (server, kinds) => this.#sync.refresh(server, kinds),
      live: (server) => this.#upstreams.has(server) && (this.#state === 'starting' || this.#state === 'ready'),
      started: (server, durationMs) => {
        const failed = ALL_KINDS.map((kind) => this.#catalog.fetchStatus(server, kind)).find((st) => st && st.status !== 'ok' && st.status !== 'pending');
        this.#events.emit('server:started', { server, ok: failed === undefined, durationMs, ...(failed?.error ? { error: failed.error } : {}) });
      },
      retry:
        this.#options.startMode === 'background'
          ? { minMs: this.#options.reconnectMinMs ?? 500, maxMs: this.#options.reconnectMaxMs ?? 30_000 }
          : undefined,
    });
    this.#core = { pick: (ctx) => this.#pick(ctx), send: (ctx) => this.#send(ctx) };
    for (const method of PIPELINE_METHODS) this.#compiled.set(method, compileMethod(method, this.#middleware, this.#core));
  }

  /** What plugins get as `api.host`: a few bound methods, not the bridge (no addServer, close ...). */
  #hostView(): HostView {
    const state = (): BridgeState => this.#state;
    return Object.freeze({
      get state() {
        return state();
      },
      servers: () => this.servers(),
      upstreams: (server) => this.upstreams(server),
      tools: () => this.tools(),
      resolveResource: (uri) => this.resolveResource(uri),
      request: (server, method, params, options) => this.request(server, method, params, options),
      connection: (upstream) => this.connection(upstream),
      setServerHidden: (server, hidden) => this.setServerHidden(server, hidden),
      isServerHidden: (server) => this.isServerHidden(server),
    } satisfies HostView);
  }

  async #initialListing(): Promise<void> {
    const all = Promise.all([...this.#upstreams.keys()].map((s) => this.#watch.begin(s)));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, Math.min(this.#options.startTimeout ?? 30_000, MAX_TIMER_MS));
    });
    try {
      // Late servers keep listing in the background and join the catalog (with catalog:changed) when they answer.
      await Promise.race([all, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  // ---------------------------------------------------------------- connections and health

  #poolHost(transport: Services['transport']): PoolHost {
    const clientInfo = this.#options.clientInfo ?? { name: 'mcp-bridge', version: CORE_VERSION };
    const capabilities = this.#options.clientCapabilities ?? {};
    const connectAttempts = new WeakMap<Upstream, number>();
    return {
      connect: async (up, signal) => {
        const attempt = (connectAttempts.get(up) ?? 0) + 1;
        connectAttempts.set(up, attempt);
        this.#events.emit('connect:before', { server: up.server, upstream: up, attempt });
        const started = performance.now();
        const signals = signal ? AbortSignal.any([signal, this.#closeController.signal]) : this.#closeController.signal;
        try {
          const connection = await transport.connect(up.server, up.config, {
            clientInfo,
            capabilities,
            timeoutMs: this.#options.connectTimeout ?? 30_000,
            signal: signals,
            configure: (client) => this.#configureClient(up, client),
          });
          deliverProgressFirst(connection.client);
          const state = upstreamState(up);
          state.capabilities = connection.client.getServerCapabilities();
          state.serverInfo = connection.client.getServerVersion();
          this.#events.emit('connect:after', { server: up.server, upstream: up, connection, durationMs: performance.now() - started });
          return connection;
        } catch (cause) {
          const error = BridgeError.isInstance(cause)
            ? (cause as Error)
            : new UpstreamUnavailableError(`server "${up.server}" failed to connect: ${errorMessage(cause)}`, {
                cause,
                // A call that waited for this connect never left the bridge (retry may resend any call).
                data: { server: up.server, upstream: up.id, kind: up.kind, sent: false },
              });
          if (!this.#closeController.signal.aborted) {
            this.#events.emit('connect:error', { server: up.server, upstream: up, error, durationMs: performance.now() - started });
          }
          throw error;
        }
      },
      statusChanged: (up, status, error) => this.#statusChanged(up, status, error),
    };
  }

  #statusChanged(up: Upstream, status: UpstreamStatus, error?: Error): void {
    const state = upstreamState(up);
    state.status = status;
    if (error) state.lastError = error;
    // Once closing, plugins have cleaned up: no more health changes or events.
    if (this.#closeController.signal.aborted) return;
    if (status === 'ready') {
      state.lastError = undefined;
      this.#health.connected(up);
      // A reconnect may come back with another catalog (a new version of the server), and a server
      // that was down when last listed has never been listed: re-list either, except kinds being
      // fetched right now (that fetch may be what reconnected).
      const unlisted = ALL_KINDS.some((kind) => this.#catalog.fetchStatus(up.server, kind)?.status !== 'ok');
      if ((this.#connectedBefore.has(up) || unlisted) && this.#state === 'ready') void this.#sync.refreshIdle(up.server);
      this.#connectedBefore.add(up);
    } else if (status === 'failed') {
      this.#health.disconnected(up, error);
    }
  }

  #setHealth(up: Upstream, state: HealthState, reason?: string): void {
    const previous = up.health;
    if (previous === state) return;
    upstreamState(up).health = state;
    this.#events.emit('upstream:health', { server: up.server, upstream: up, state, previous, ...(reason ? { reason } : {}) });
  }

  #configureClient(up: Upstream, client: Client): void {
    // The SDK's handler type returns a promise; nothing here waits.
    // eslint-disable-next-line @typescript-eslint/require-await
    client.fallbackNotificationHandler = async (notification) => {
      const kinds = CHANGED_NOTIFICATIONS[notification.method];
      if (kinds && (this.#state === 'ready' || this.#state === 'starting')) void this.#sync.refresh(up.server, kinds);
      this.#events.emit('notification', {
        server: up.server,
        upstream: up,
        method: notification.method,
        params: notification.params,
      });
    };
    this.#events.emit('client:created', { server: up.server, upstream: up, client });
  }

  /** Connects some upstream of the server, healthiest first, for the catalog. */
  async #warm(server: string): Promise<Upstream> {
    const ups = this.#upstreams.get(server);
    if (!ups || ups.length === 0) throw new NoUpstreamError(`server "${server}" has no upstream`, { data: { server } });
    const ordered = [...ups].sort((a, b) => Number(a.health === 'unhealthy') - Number(b.health === 'unhealthy'));
    let lastError: unknown;
    for (const up of ordered) {
      try {
        await this.#pool.warm(up);
        return up;
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError;
  }

  // ---------------------------------------------------------------- the pipeline's core steps

  #pick(ctx: CallContext): void {
    const candidates = this.#upstreams.get(ctx.server);
    if (!candidates || candidates.length === 0) throw new NoUpstreamError(`server "${ctx.server}" has no upstream`, { data: { server: ctx.server } });
    // A pin is honoured before any balancer: a probe must reach the replica it checks.
    const up = ctx.pin === undefined ? this.#balancer.pick(ctx, candidates) : candidates.find((u) => u.id === ctx.pin);
    if (!up && ctx.pin !== undefined) {
      const ids = candidates.map((u) => u.id).join(', ');
      throw new NoUpstreamError(`the call is pinned to "${ctx.pin}", which is not an upstream of server "${ctx.server}" (upstreams: ${ids})`, {
        data: { server: ctx.server, pin: ctx.pin },
      });
    }
    if (!up) {
      throw new NoUpstreamError(`no upstream of server "${ctx.server}" can take the call (tried: ${[...ctx.tried].join(', ') || 'none'})`, {
        data: { server: ctx.server, tried: [...ctx.tried] },
      });
    }
    ctx.upstream = up;
    ctx.tried.add(up.id);
  }

  #send(ctx: CallContext): Promise<unknown> {
    const up = ctx.upstream!;
    const counts = upstreamState(up);
    counts.inFlight++;
    let pending: Promise<unknown>;
    try {
      pending = this.#pool.run(up, ctx, request);
    } catch (error) {
      pending = Promise.reject(error);
    }
    return pending.then(
      (result) => {
        counts.inFlight--;
        this.#health.attempted(up, ctx, undefined);
        return result;
      },
      (error: unknown) => {
        counts.inFlight--;
        const failure = classifyFailure(error, ctx, up);
        // A JSON-RPC error the upstream sent, or an invalid result, means it answered: for health, it is alive.
        const kind = failureOf(failure, ctx.signal).kind;
        const answered = kind === 'answered' || kind === 'invalid-answer';
        // A removed upstream has no health to keep.
        if (this.#upstreams.get(up.server)?.includes(up)) this.#health.attempted(up, ctx, answered ? undefined : failure);
        throw failure;
      },
    );
  }

  // ---------------------------------------------------------------- running calls

  #context(
    method: McpMethod,
    server: string,
    params: Record<string, unknown>,
    tool: ToolEntry | undefined,
    options: CallOptions | undefined,
    origin: CallOrigin = options?.origin ?? 'caller',
  ): CallContext {
    return {
      id: nextCallId++,
      method,
      server,
      params: options?.meta === undefined ? params : withMeta(params, options.meta),
      tool,
      signal: options?.signal ?? options?.link?.signal,
      deadline: Date.now() + (options?.timeout ?? this.#requestTimeout),
      attemptTimeout: undefined,
      origin,
      link: options?.link,
      pin: options?.upstream,
      attempt: 0,
      upstream: undefined,
      tried: new Set(),
      onprogress: options?.onprogress,
      state: {},
      caller: options?.caller,
    };
  }

  #run(ctx: CallContext): Promise<unknown> {
    let step = this.#compiled.get(ctx.method);
    if (!step) {
      step = compileMethod(ctx.method, this.#middleware, this.#core);
      this.#compiled.set(ctx.method, step);
    }
    let promise: Promise<unknown>;
    try {
      promise = step(ctx);
    } catch (error) {
      promise = Promise.reject(error);
    }
    if (!this.#events.has('call:error')) return promise;
    return promise.catch((error: unknown) => {
      this.#events.emit('call:error', { ctx, error });
      throw error;
    });
  }

  #ensureReady(): void {
    if (this.#state !== 'ready') {
      throw new BridgeStateError(
        this.#state === 'new' || this.#state === 'starting' ? 'the bridge is not started: await bridge.start() first' : `the bridge is ${this.#state}`,
      );
    }
  }

  /** The catalog entry of a server's tool; an unlisted one gets an entry without annotations. */
  #toolEntry(server: string, upstreamName: string): ToolEntry {
    return (
      this.#catalog.toolOf(server, upstreamName) ?? {
        name: `${server}/${upstreamName}`,
        server,
        upstreamName,
        tool: { name: upstreamName, inputSchema: { type: 'object' } },
        listed: false,
        safety: UNKNOWN_SAFETY,
      }
    );
  }

  /**
   * Sends one request to one logical server through the pipeline (what the gateway uses for
   * methods it forwards as they are). Names in `params` must already be upstream names.
   */
  request(server: string, method: McpMethod, params: Record<string, unknown> = {}, options?: CallOptions): Promise<unknown> {
    try {
      this.#ensureReady();
      if (!this.#upstreams.has(server)) throw unknownServer(server, [...this.#upstreams.keys()]);
    } catch (error) {
      return Promise.reject(error);
    }
    const tool = method === 'tools/call' && typeof params.name === 'string' ? this.#toolEntry(server, params.name) : undefined;
    return this.#run(this.#context(method, server, params, tool, options));
  }

  /**
   * Calls a tool by its exposed name (or `server/tool`, or `{ server }` with the upstream name).
   *
   * @example
   * ```ts
   * const result = await bridge.callTool('echo', { text: 'hi' }, { timeout: 5_000 });
   * ```
   */
  callTool(name: string, args: Record<string, unknown> = {}, options?: CallToolOptions): Promise<CallToolResult> {
    let entry: ToolEntry | undefined;
    try {
      this.#ensureReady();
      entry = options?.server === undefined ? this.#catalog.tool(name) : undefined;
      if (!entry) {
        const slash = name.indexOf('/');
        const server = options?.server ?? (slash > 0 ? name.slice(0, slash) : undefined);
        if (server === undefined) return this.#callUnlisted(name, args, options);
        if (!this.#upstreams.has(server)) throw unknownServer(server, [...this.#upstreams.keys()]);
        entry = this.#toolEntry(server, options?.server !== undefined ? name : name.slice(slash + 1));
      }
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#run(this.#context('tools/call', entry.server, { name: entry.upstreamName, arguments: args }, entry, options)) as Promise<CallToolResult>;
  }

  /** A tool name not in the catalog: it may be a tool of a server not listed yet (starting, or down at start). */
  async #callUnlisted(name: string, args: Record<string, unknown>, options: CallToolOptions | undefined): Promise<CallToolResult> {
    const timed = await this.#awaitUnlisted('tools', options, () => this.#catalog.tool(name) !== undefined);
    const entry = this.#catalog.tool(name);
    if (!entry) throw this.#unknownTool(name);
    return (await this.#run(this.#context('tools/call', entry.server, { name: entry.upstreamName, arguments: args }, entry, timed))) as CallToolResult;
  }

  /**
   * Waits, within the call's deadline, for the servers whose `kind` list is not there yet; returns
   * the call's options with the time that is left, so the wait counts against the deadline.
   */
  async #awaitUnlisted<O extends CallOptions>(kind: ListKind, options: O | undefined, found: () => boolean): Promise<O | undefined> {
    const deadline = Date.now() + (options?.timeout ?? this.#requestTimeout);
    if (!(await this.#watch.awaitUnlisted(kind, deadline, options?.signal, found))) return options;
    this.#ensureReady();
    return { ...(options ?? {}), timeout: Math.max(1, deadline - Date.now()) } as O;
  }

  #unknownTool(name: string): NotFoundError {
    const notOk = Object.entries(this.#catalog.status('tools')).filter(([, s]) => s.status !== 'ok');
    const what = (server: string, st: ServerListStatus): string =>
      this.#watch.isStarting(server) ? 'still starting' : `${st.status}${st.error ? `: ${st.error.split('\n')[0]}` : ''}`;
    const hint = notOk.length ? `; servers not listed: ${notOk.map(([s, st]) => `${s} (${what(s, st)})`).join(', ')}` : '';
    // `unlisted` carries the statuses alone: the hint's error texts may quote command lines and URLs (a gateway leaves them out).
    const unlisted = notOk.length ? { unlisted: Object.fromEntries(notOk.map(([s, st]) => [s, this.#watch.isStarting(s) ? 'still starting' : st.status])) } : {};
    return new NotFoundError(`no tool named "${name}"${hint}`, { data: { tool: name, ...unlisted } });
  }

  /** Reads a resource by its exposed URI. */
  async readResource(uri: string, options?: CallOptions): Promise<ReadResourceResult> {
    this.#ensureReady();
    let target = this.resolveResource(uri);
    const resolves = (): boolean => this.resolveResource(uri) !== undefined;
    if (!target && (options = await this.#awaitUnlisted('resources', options, resolves))) target = this.resolveResource(uri);
    if (!target && (options = await this.#awaitUnlisted('templates', options, resolves))) target = this.resolveResource(uri);
    if (!target) throw new NotFoundError(`no server provides resource "${uri}"`, { data: { uri } });
    const result = (await this.#run(this.#context('resources/read', target.server, { uri: target.upstreamUri }, undefined, options))) as ReadResourceResult;
    if (target.upstreamUri === uri) return result;
    return { ...result, contents: result.contents.map((c) => ({ ...c, uri: this.#catalog.exposedUri(target.server, c.uri) })) };
  }

  /**
   * Where an exposed resource URI goes: a listed resource, a matching template, `server+uri`, or
   * the only server with resources. `undefined` when nothing fits.
   */
  resolveResource(uri: string): ResourceTarget | undefined {
    this.#ensureReady();
    const listed = this.#catalog.resolveResource(uri);
    if (listed) return listed;
    const plus = uri.indexOf('+');
    if (plus > 0) {
      const server = uri.slice(0, plus);
      if (this.#upstreams.has(server)) return { server, upstreamUri: uri.slice(plus + 1) };
    }
    const withResources = [...this.#upstreams].filter(([, ups]) => ups.some((u) => u.capabilities?.resources)).map(([s]) => s);
    return withResources.length === 1 ? { server: withResources[0]!, upstreamUri: uri } : undefined;
  }

  /** The exposed form of an upstream's resource URI (for notifications such as `resources/updated`). */
  exposedUri(server: string, upstreamUri: string): string {
    this.#ensureReady();
    return this.#catalog.exposedUri(server, upstreamUri);
  }

  /** Gets a prompt by its exposed name. */
  async getPrompt(name: string, args: Record<string, string> = {}, options?: CallOptions): Promise<GetPromptResult> {
    this.#ensureReady();
    let entry = this.#catalog.prompt(name);
    if (!entry) {
      options = await this.#awaitUnlisted('prompts', options, () => this.#catalog.prompt(name) !== undefined);
      entry = this.#catalog.prompt(name);
    }
    if (!entry) throw new NotFoundError(`no prompt named "${name}"`, { data: { prompt: name } });
    return (await this.#run(this.#context('prompts/get', entry.server, { name: entry.upstreamName, arguments: args }, undefined, options))) as GetPromptResult;
  }

  /** Argument completion for a prompt (exposed name) or a resource template (exposed URI template). */
  async complete(params: CompleteRequest['params'], options?: CallOptions): Promise<CompleteResult> {
    this.#ensureReady();
    const ref = params.ref;
    let server: string;
    let upstreamRef: typeof ref;
    if (ref.type === 'ref/prompt') {
      let entry = this.#catalog.prompt(ref.name);
      if (!entry) {
        options = await this.#awaitUnlisted('prompts', options, () => this.#catalog.prompt(ref.name) !== undefined);
        entry = this.#catalog.prompt(ref.name);
      }
      if (!entry) throw new NotFoundError(`no prompt named "${ref.name}"`, { data: { prompt: ref.name } });
      server = entry.server;
      upstreamRef = { ...ref, name: entry.upstreamName };
    } else {
      let entry = this.#catalog.template(ref.uri);
      if (!entry && !this.resolveResource(ref.uri)) {
        options = await this.#awaitUnlisted('templates', options, () => this.#catalog.template(ref.uri) !== undefined);
        entry = this.#catalog.template(ref.uri);
      }
      const target = entry ? { server: entry.server, upstreamUri: entry.upstreamUriTemplate } : this.resolveResource(ref.uri);
      if (!target) throw new NotFoundError(`no resource template "${ref.uri}"`, { data: { uri: ref.uri } });
      server = target.server;
      upstreamRef = { ...ref, uri: target.upstreamUri };
    }
    return (await this.#run(this.#context('completion/complete', server, { ...params, ref: upstreamRef }, undefined, options))) as CompleteResult;
  }

  /**
   * Pings one server, or every server, through the pipeline. Resolves with the round-trip time per
   * server; a server that failed has `ok: false` and the error message.
   */
  async ping(server?: string, options?: CallOptions): Promise<Record<string, { ok: boolean; ms: number; error?: string }>> {
    this.#ensureReady();
    if (server !== undefined && !this.#upstreams.has(server)) throw unknownServer(server, [...this.#upstreams.keys()]);
    const servers = server !== undefined ? [server] : [...this.#upstreams.keys()];
    const out: Record<string, { ok: boolean; ms: number; error?: string }> = {};
    await Promise.all(
      servers.map(async (s) => {
        const t = performance.now();
        try {
          await this.#run(this.#context('ping', s, {}, undefined, options));
          out[s] = { ok: true, ms: performance.now() - t };
        } catch (error) {
          if (server !== undefined) throw error;
          out[s] = { ok: false, ms: performance.now() - t, error: errorMessage(error) };
        }
      }),
    );
    return out;
  }

  // ---------------------------------------------------------------- the catalog

  /**
   * The merged tool list. `refresh: true` re-lists every server first; servers whose last listing
   * failed are retried. `caller`: the list as that caller sees it (plugins' `api.filterList`).
   */
  async listTools(options: ListOptions = {}): Promise<MergedList<'tools', Tool>> {
    await this.#freshen(['tools'], options.refresh);
    return { tools: this.#view('tools', this.#catalog.tools(), options.caller, (t) => t.tool), _meta: { 'mcp-bridge/servers': this.#catalog.status('tools') } };
  }

  /** The merged prompt list (options as {@link Bridge.listTools}). */
  async listPrompts(options: ListOptions = {}): Promise<MergedList<'prompts', Prompt>> {
    await this.#freshen(['prompts'], options.refresh);
    return { prompts: this.#view('prompts', this.#catalog.prompts(), options.caller, (p) => p.prompt), _meta: { 'mcp-bridge/servers': this.#catalog.status('prompts') } };
  }

  /** The merged resource list (options as {@link Bridge.listTools}). */
  async listResources(options: ListOptions = {}): Promise<MergedList<'resources', Resource>> {
    await this.#freshen(['resources'], options.refresh);
    return {
      resources: this.#view('resources', this.#catalog.resources(), options.caller, (r) => r.resource),
      _meta: { 'mcp-bridge/servers': this.#catalog.status('resources') },
    };
  }

  /** The merged resource template list (options as {@link Bridge.listTools}). */
  async listResourceTemplates(options: ListOptions = {}): Promise<MergedList<'resourceTemplates', ResourceTemplate>> {
    await this.#freshen(['templates'], options.refresh);
    return {
      resourceTemplates: this.#view('templates', this.#catalog.templates(), options.caller, (t) => t.template),
      _meta: { 'mcp-bridge/servers': this.#catalog.status('templates') },
    };
  }

  /**
   * One list as `caller` sees it. With no filter for the kind this is the plain map it always was
   * (no view object, no extra pass); with filters, one pass that filters and maps together.
   */
  #view<K extends ListKind, T>(kind: K, entries: readonly ListEntries[K][], caller: string | undefined, item: (entry: ListEntries[K]) => T): T[] {
    const filters = this.#listFilters[kind];
    if (filters === undefined) return entries.map(item);
    const view: ListView = { caller };
    const out: T[] = [];
    let current: RegisteredListFilter | undefined;
    try {
      outer: for (const entry of entries) {
        for (current of filters) if (!current.filter(entry, view)) continue outer;
        out.push(item(entry));
      }
    } catch (error) {
      // Fail closed: a filter that throws must not leak what it was meant to hide.
      throw new PluginError('PLUGIN_LIST_FILTER_FAILED', current!.plugin, `its ${kind} list filter threw: ${errorMessage(error)}`, { cause: error, data: { kind, caller } });
    }
    return out;
  }

  /** The catalog's tool entries (exposed name, server, upstream name), synchronously. */
  tools(): readonly ToolEntry[] {
    this.#ensureReady();
    return this.#catalog.tools();
  }

  async #freshen(kinds: readonly ListKind[], refresh: boolean | undefined): Promise<void> {
    this.#ensureReady();
    await this.#watch.awaitGrace();
    const failed = (server: string, kind: ListKind): boolean => {
      const status = this.#catalog.fetchStatus(server, kind)?.status;
      return status !== undefined && status !== 'ok' && status !== 'pending';
    };
    const servers = [...this.#upstreams.keys()].filter((s) => refresh || kinds.some((k) => failed(s, k)));
    await Promise.all(servers.map((s) => this.#sync.refresh(s, kinds)));
  }

  // ---------------------------------------------------------------- servers

  /** Names of the configured servers (valid ones), in config order. */
  servers(): string[] {
    return [...this.#upstreams.keys()];
  }

  /** The upstreams of a server (one, or its replicas). */
  upstreams(server: string): readonly Upstream[] {
    return this.#upstreams.get(server) ?? [];
  }

  /** The live connection of an upstream, if any (stderr tail, pid, SDK client). */
  connection(upstream: Upstream): Connection | undefined {
    return this.#pool?.connection(upstream);
  }

  /**
   * Adds a server to a running bridge and lists it (fail-open, like at start). Rejects with a
   * {@link ConfigError} naming the field when the entry is invalid, or when the name is taken.
   */
  async addServer(name: string, config: unknown): Promise<void> {
    this.#ensureReady();
    if (this.#upstreams.has(name)) throw new ConfigError(`server "${name}" already exists; remove it first`, { data: { server: name } });
    const { valid, invalid } = parseServers({ [name]: config });
    if (invalid[0]) {
      throw new ConfigError(`server "${name}" has an invalid config: ${invalid[0].issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, {
        data: { server: name, issues: invalid[0].issues },
      });
    }
    this.#invalid.delete(name);
    const ups = newUpstreams(valid[0]!);
    this.#upstreams.set(name, ups);
    this.#catalog.addServer(name);
    for (const up of ups) this.#events.emit('upstream:add', { server: name, upstream: up });
    await this.#watch.begin(name);
  }

  /**
   * Removes a server: its entries leave the catalog (`catalog:changed`), its connections are closed
   * (stdio: the process group is ended). Resolves `false` when there was no such server.
   */
  async removeServer(name: string): Promise<boolean> {
    this.#ensureReady();
    const ups = this.#upstreams.get(name);
    if (!ups) return this.#invalid.delete(name);
    this.#upstreams.delete(name);
    this.#catalog.removeServer(name);
    this.#sync.forget(name);
    this.#watch.forget(name);
    for (const up of ups) this.#events.emit('upstream:remove', { server: name, upstream: up });
    this.#events.emit('catalog:changed', { server: name, kinds: ['tools', 'prompts', 'resources'] });
    await Promise.allSettled(ups.map((up) => this.#pool.release(up)));
    return true;
  }

  /**
   * Hides a server's tools, prompts and resources from the catalog, or shows them again, with
   * `catalog:changed` (a gateway turns it into `list_changed`). The server stays configured and
   * callable by `server/tool`, so probes can still reach it. Returns false when nothing changed.
   * For a health plugin that hides servers that are down.
   */
  setServerHidden(server: string, hidden: boolean): boolean {
    this.#ensureReady();
    if (!this.#upstreams.has(server)) throw unknownServer(server, [...this.#upstreams.keys()]);
    if (!this.#catalog.setHidden(server, hidden)) return false;
    this.#events.emit('catalog:changed', { server, kinds: ['tools', 'prompts', 'resources'] });
    return true;
  }

  /** True when {@link Bridge.setServerHidden} hid the server's entries. */
  isServerHidden(server: string): boolean {
    return this.#catalog?.isHidden(server) ?? false;
  }

  /** A report of every server: connection, health, list status, config problems. */
  status(): ServerStatus[] {
    const out: ServerStatus[] = [];
    const catalog = this.#catalog;
    const lists = catalog ? Object.fromEntries(ALL_KINDS.map((k) => [k, catalog.status(k)])) as Record<ListKind, Record<string, ServerListStatus>> : undefined;
    for (const [name, ups] of this.#upstreams) {
      const upstreams = ups.map((u) => {
        const conn = this.connection(u);
        return {
          id: u.id,
          kind: u.kind,
          status: u.status,
          health: u.health,
          inFlight: u.inFlight,
          ...(conn?.pid !== undefined ? { pid: conn.pid } : {}),
          ...(u.lastError ? { lastError: u.lastError.message } : {}),
        };
      });
      const listStatus = Object.fromEntries(ALL_KINDS.map((k) => [k, lists?.[k][name] ?? { status: 'pending' as const }])) as Record<ListKind, ServerListStatus>;
      const healthy = upstreams.filter((u) => u.health !== 'unhealthy').length;
      const state =
        this.#state === 'new' || this.#state === 'starting'
          ? 'pending'
          : this.#watch.isStarting(name)
            ? 'starting'
            : healthy === 0
              ? 'down'
              : healthy < upstreams.length
                ? 'degraded'
                : 'ok';
      out.push({ name, state, upstreams, lists: listStatus });
    }
    for (const bad of this.#invalid.values()) {
      const failed: ServerListStatus = { status: 'error', code: 'CONFIG_INVALID', error: bad.issues.map((i) => `${i.path}: ${i.message}`).join('; ') };
      out.push({ name: bad.name, state: 'invalid', upstreams: [], lists: { tools: failed, prompts: failed, resources: failed, templates: failed }, issues: bad.issues });
    }
    return out;
  }

  // ---------------------------------------------------------------- shutdown

  /**
   * Closes the bridge: `host:close`, plugin cleanups in reverse order, then every upstream
   * connection (stdio process groups are ended). Idempotent. During `start()`, aborts it.
   */
  close(): Promise<void> {
    this.#closePromise ??= this.#close();
    return this.#closePromise;
  }

  async #close(): Promise<void> {
    this.#watch?.close();
    if (this.#state === 'new') {
      this.#state = 'closed';
      return;
    }
    if (this.#state === 'starting') {
      // Do not wait out connect and list timeouts: abort the connects, close what is open, and let
      // start() reject with a BridgeStateError; it then runs the cleanups itself.
      this.#closeController.abort(new BridgeStateError('the bridge was closed while starting'));
      await this.#pool?.close();
      await this.#startPromise?.catch(() => undefined);
    }
    if (this.#state !== 'ready') {
      this.#state = 'closed';
      return;
    }
    this.#state = 'closing';
    this.#events.emit('host:close', {});
    this.#closeController.abort(new BridgeStateError('the bridge is closing'));
    await this.#runCleanups();
    await this.#pool.close();
    await Promise.allSettled(this.#sync.inFlight());
    this.#events.clear();
    this.#state = 'closed';
  }

  async #runCleanups(): Promise<void> {
    const cleanups = this.#cleanups.splice(0).reverse();
    for (const { plugin, fn } of cleanups) {
      try {
        await fn();
      } catch (error) {
        this.#onError(new PluginError('PLUGIN_CLEANUP_FAILED', plugin, `cleanup failed: ${errorMessage(error)}`, { cause: error }));
      }
    }
  }
}

/**
 * Creates a bridge over the given servers with the given plugins. Call `start()` before use and
 * `close()` when done.
 *
 * @example
 * ```ts
 * const bridge = createBridge({
 *   servers: { files: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-filesystem', '.'] } },
 * });
 * await bridge.start();
 * const { tools } = await bridge.listTools();
 * await bridge.close();
 * ```
 */
export function createBridge<const S extends Readonly<Record<string, unknown>> = Readonly<Record<string, BridgeServerConfig>>>(
  options: BridgeOptions<S> = {},
): Bridge {
  return new Bridge(options);
}

// Frozen: plugins get this very array from upstreams(); a server's replicas change only by replacing it.
function newUpstreams(server: ValidServer): readonly Upstream[] {
  return Object.freeze(server.replicas.map((replica) => new HostUpstream(replica.id, server.name, replica.config, replica.kind)));
}

/** `params` with `meta` merged into its `_meta` (a copy: the caller's params are left alone). */
function withMeta(params: Record<string, unknown>, meta: Record<string, unknown>): Record<string, unknown> {
  const own = params._meta;
  return { ...params, _meta: typeof own === 'object' && own !== null ? { ...(own as Record<string, unknown>), ...meta } : { ...meta } };
}

/** The terminal request, with the time left: `min(attemptTimeout, deadline - now)`. */
function request(client: Client, ctx: CallContext): Promise<unknown> {
  let timeout = ctx.deadline - Date.now();
  if (ctx.attemptTimeout !== undefined && ctx.attemptTimeout < timeout) timeout = ctx.attemptTimeout;
  if (timeout <= 0) {
    return Promise.reject(
      new TimeoutError(`${describeCall(ctx)} ran out of time before attempt ${ctx.attempt}`, { data: { server: ctx.server, method: ctx.method, sent: false } }),
    );
  }
  const link = ctx.link;
  // The caller's signal through a view whose abort listener goes when the request settles; a view of
  // the link's shared view when the call still has the link's signal (one listener per call).
  const shared = link !== undefined && ctx.signal === link.signal ? link.requestSignal : undefined;
  const signal = ctx.signal === undefined ? undefined : new RequestSignal(shared ?? ctx.signal);
  // The downstream call learns which connection works for it before anything can arrive on it.
  const sent: UpstreamRequest | undefined = link === undefined ? undefined : { server: ctx.server, upstream: ctx.upstream!, client, method: ctx.method };
  if (sent !== undefined) link!.sent(sent);
  let pending: Promise<unknown>;
  try {
    pending = client.request({ method: ctx.method, params: ctx.params }, RESULT_SCHEMAS[ctx.method] ?? ResultSchema, {
    signal: signal as AbortSignal | undefined,
    timeout: Math.min(timeout, MAX_TIMER_MS),
    onprogress: ctx.onprogress,
  });
  } catch (error) {
    pending = Promise.reject(error);
  }
  if (sent !== undefined) return settleLinked(link!, sent, pending, signal);
  // Nothing to release when nobody listened.
  return signal?.listening ? pending.finally(() => signal.release()) : pending;
}

/** Tells the call's link when one of its upstream requests settled (the hooks must not throw: see {@link CallLink}). */
function settleLinked(link: CallLink, sent: UpstreamRequest, pending: Promise<unknown>, signal: RequestSignal | undefined): Promise<unknown> {
  return pending.then(
    (result) => {
      signal?.release();
      link.settled(sent);
      return result;
    },
    (error: unknown) => {
      signal?.release();
      link.settled(sent);
      throw error;
    },
  );
}

function unknownServer(server: string, known: string[]): NotFoundError {
  return new NotFoundError(`no server named "${server}" (known: ${known.join(', ') || 'none'})`, { data: { server } });
}
