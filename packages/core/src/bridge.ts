import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  CallToolResultSchema,
  CompleteResultSchema,
  EmptyResultSchema,
  GetPromptResultSchema,
  ListPromptsResultSchema,
  ListResourcesResultSchema,
  ListResourceTemplatesResultSchema,
  ListToolsResultSchema,
  McpError,
  ErrorCode,
  ReadResourceResultSchema,
  ResultSchema,
  type CallToolResult,
  type CompleteRequest,
  type CompleteResult,
  type GetPromptResult,
  type Progress,
  type Prompt,
  type ReadResourceResult,
  type Resource,
  type ResourceTemplate,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import type { Connection } from '@mcp-bridge/transports';
import { Catalog, type ListKind } from './catalog.js';
import { parseServers, validateOptions, type BridgeOptions, type InvalidServer } from './config.js';
import { createDefaultPool, defaultTransport, firstHealthyBalancer } from './default-services.js';
import {
  BridgeError,
  BridgeStateError,
  NoUpstreamError,
  NotFoundError,
  PluginError,
  TimeoutError,
  UpstreamUnavailableError,
} from './errors.js';
import { EventBus } from './events.js';
import { createNamer } from './naming.js';
import { compileMethod, type RegisteredMiddleware, type Step } from './pipeline.js';
import { orderPlugins } from './plugin-order.js';
import type {
  BridgeEvents,
  BridgeExtensions,
  CallContext,
  CallState,
  HealthState,
  Listener,
  McpMethod,
  Plugin,
  PluginApi,
  Pool,
  PoolHost,
  ServerListStatus,
  Services,
  ToolEntry,
  Upstream,
  UpstreamStatus,
} from './types.js';
import { CORE_VERSION } from './version.js';

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
  /** `invalid` when its config entry was rejected. */
  state: 'ok' | 'degraded' | 'down' | 'invalid' | 'pending';
  upstreams: { id: string; kind: string; status: UpstreamStatus; health: HealthState; inFlight: number; pid?: number; lastError?: string }[];
  lists: Record<ListKind, ServerListStatus>;
  /** Config problems, for `invalid` servers. */
  issues?: { path: string; message: string }[];
}

const RESULT_SCHEMAS: Record<string, typeof ResultSchema> = {
  'tools/call': CallToolResultSchema as unknown as typeof ResultSchema,
  'tools/list': ListToolsResultSchema as unknown as typeof ResultSchema,
  'resources/list': ListResourcesResultSchema as unknown as typeof ResultSchema,
  'resources/templates/list': ListResourceTemplatesResultSchema as unknown as typeof ResultSchema,
  'resources/read': ReadResourceResultSchema as unknown as typeof ResultSchema,
  'prompts/list': ListPromptsResultSchema as unknown as typeof ResultSchema,
  'prompts/get': GetPromptResultSchema as unknown as typeof ResultSchema,
  'completion/complete': CompleteResultSchema as unknown as typeof ResultSchema,
  ping: EmptyResultSchema as unknown as typeof ResultSchema,
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

const LIST_METHODS: Record<ListKind, { method: McpMethod; field: string; capability: 'tools' | 'prompts' | 'resources' }> = {
  tools: { method: 'tools/list', field: 'tools', capability: 'tools' },
  prompts: { method: 'prompts/list', field: 'prompts', capability: 'prompts' },
  resources: { method: 'resources/list', field: 'resources', capability: 'resources' },
  templates: { method: 'resources/templates/list', field: 'resourceTemplates', capability: 'resources' },
};

const CHANGED_NOTIFICATIONS: Record<string, ListKind[]> = {
  'notifications/tools/list_changed': ['tools'],
  'notifications/prompts/list_changed': ['prompts'],
  'notifications/resources/list_changed': ['resources', 'templates'],
};

/** A page of a list is fetched at most this many times per refresh (a looping cursor is a bug upstream). */
const MAX_LIST_PAGES = 1000;

let nextCallId = 1;

// Class and interface merge: plugins add typed properties with `api.expose` (see BridgeExtensions).
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface Bridge extends BridgeExtensions {}

/**
 * The plugin host: one object in front of many MCP servers. Create it with {@link createBridge}.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class Bridge {
  readonly #options: BridgeOptions;
  readonly #plugins: readonly Plugin[];
  readonly #events: EventBus;
  readonly #onError: (error: unknown) => void;
  readonly #closeController = new AbortController();
  readonly #upstreams = new Map<string, Upstream[]>();
  readonly #invalid = new Map<string, InvalidServer>();
  readonly #middleware: RegisteredMiddleware[] = [];
  readonly #services = new Map<keyof Services, { value: unknown; plugin: string }>();
  readonly #cleanups: { plugin: string; fn: () => void | Promise<void> }[] = [];
  readonly #compiled = new Map<string, Step>();
  readonly #refreshing = new Map<string, { running: Promise<void>; again: boolean }>();
  readonly #requestTimeout: number;
  #state: 'new' | 'starting' | 'ready' | 'closing' | 'closed' | 'failed' = 'new';
  #startPromise: Promise<void> | undefined;
  #closePromise: Promise<void> | undefined;
  #catalog!: Catalog;
  #pool!: Pool;
  #balancer!: Services['balancer'];
  #listing = false;

  /** Use {@link createBridge}. */
  constructor(options: BridgeOptions = {}) {
    validateOptions(options);
    this.#options = options;
    this.#plugins = [...(options.plugins ?? [])];
    this.#onError = options.onError ?? ((error) => console.error(error));
    this.#events = new EventBus((event, error) =>
      this.#onError(new BridgeError('LISTENER_FAILED', `a listener of "${event}" threw: ${errorMessage(error)}`, { cause: error })),
    );
    this.#requestTimeout = options.requestTimeout ?? 60_000;
    const { valid, invalid } = parseServers(options.servers ?? {});
    for (const bad of invalid) this.#invalid.set(bad.name, bad);
    for (const server of valid) {
      this.#upstreams.set(server.name, [
        { id: server.name, server: server.name, config: server.config, kind: server.kind, status: 'idle', health: 'healthy', lastError: undefined, inFlight: 0 },
      ]);
    }
  }

  /** `new` → `starting` → `ready` → `closing` → `closed` (or `failed` when start failed). */
  get state(): 'new' | 'starting' | 'ready' | 'closing' | 'closed' | 'failed' {
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
      await this.#initialListing();
      this.#throwIfClosing();
    } catch (error) {
      this.#state = 'failed';
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
    const defaults = new Set<keyof Services>(['balancer', 'pool', 'transport', 'namer']);
    const ordered = orderPlugins(this.#plugins, CORE_VERSION, defaults);
    this.#services.set('balancer', { value: firstHealthyBalancer, plugin: '@mcp-bridge/core' });
    this.#services.set('transport', { value: defaultTransport, plugin: '@mcp-bridge/core' });
    this.#services.set('namer', { value: createNamer(this.#options.naming), plugin: '@mcp-bridge/core' });
    this.#services.set('pool', {
      value: (host: PoolHost) =>
        createDefaultPool(host, { reconnectMinMs: this.#options.reconnectMinMs, reconnectMaxMs: this.#options.reconnectMaxMs }),
      plugin: '@mcp-bridge/core',
    });
    let seq = 0;
    for (const plugin of ordered) {
      let open = true;
      const name = plugin.name;
      const closed = (what: string): never => {
        throw new PluginError('PIPELINE_FROZEN', name, `called api.${what}() after setup; register middleware, services and exposed values during setup only`);
      };
      const api: PluginApi = {
        plugin: name,
        bridge: this,
        signal: this.#closeController.signal,
        on: (event, listener) => this.#events.on(event, listener),
        emit: (event, payload) => this.#events.emit(event, payload),
        hasListeners: (event) => this.#events.has(event),
        use: (middleware) => {
          if (!open) closed('use');
          if (!middleware || typeof middleware.handle !== 'function' || !PHASE_SET.has(middleware.phase)) {
            throw new PluginError('PLUGIN_INVALID', name, `api.use() needs { phase, handle }, with phase one of ${[...PHASE_SET].join(', ')} (got ${JSON.stringify(middleware?.phase)})`);
          }
          this.#middleware.push({ middleware: { name, ...middleware }, plugin: name, seq: seq++ });
        },
        provide: (slot, implementation) => {
          if (!open) closed('provide');
          if (!plugin.provides?.includes(slot)) {
            throw new PluginError('SERVICE_UNDECLARED', name, `provides the "${String(slot)}" service without listing it in \`provides\``);
          }
          this.#services.set(slot, { value: implementation, plugin: name });
        },
        service: (slot) => {
          const entry = this.#services.get(slot);
          if (!entry) throw new PluginError('SERVICE_MISSING', name, `asked for the "${String(slot)}" service, which nothing provides`);
          return entry.value as Services[typeof slot];
        },
        expose: (key, value) => {
          if (!open) closed('expose');
          if (key in this) throw new PluginError('PLUGIN_INVALID', name, `cannot expose "${String(key)}": the bridge already has it`);
          Object.defineProperty(this, key, { value, enumerable: true, configurable: false, writable: false });
        },
        onClose: (fn) => {
          this.#cleanups.push({ plugin: name, fn });
        },
      };
      await runSetup(plugin, api, plugin.setupTimeout ?? this.#options.setupTimeout ?? 10_000);
      open = false;
      for (const slot of plugin.provides ?? []) {
        if (this.#services.get(slot)?.plugin !== name) {
          throw new PluginError('SERVICE_MISSING', name, `lists "${String(slot)}" in \`provides\` but did not call api.provide("${String(slot)}", ...) in setup`);
        }
      }
    }

    this.#catalog = new Catalog(this.#services.get('namer')!.value as Services['namer']);
    this.#balancer = this.#services.get('balancer')!.value as Services['balancer'];
    const poolFactory = this.#services.get('pool')!.value as Services['pool'];
    this.#pool = poolFactory(this.#poolHost());
    // Frozen: the pipeline of every method is compiled once; the list of middleware never changes again.
    Object.freeze(this.#middleware);
    const core = { pick: (ctx: CallContext) => this.#pick(ctx), send: (ctx: CallContext) => this.#send(ctx) };
    for (const method of PIPELINE_METHODS) this.#compiled.set(method, compileMethod(method, this.#middleware, core));
  }

  #poolHost(): PoolHost {
    const transport = this.#services.get('transport')!.value as Services['transport'];
    const clientInfo = this.#options.clientInfo ?? { name: 'mcp-bridge', version: CORE_VERSION };
    const connectAttempts = new Map<string, number>();
    return {
      connect: async (up, signal) => {
        const attempt = (connectAttempts.get(up.id) ?? 0) + 1;
        connectAttempts.set(up.id, attempt);
        this.#events.emit('connect:before', { server: up.server, upstream: up, attempt });
        const started = performance.now();
        const signals = signal ? AbortSignal.any([signal, this.#closeController.signal]) : this.#closeController.signal;
        try {
          const connection = await transport.connect(up.server, up.config, {
            clientInfo,
            capabilities: {},
            timeoutMs: this.#options.connectTimeout ?? 30_000,
            signal: signals,
            configure: (client) => this.#configureClient(up, client),
          });
          this.#events.emit('connect:after', { server: up.server, upstream: up, connection, durationMs: performance.now() - started });
          return connection;
        } catch (cause) {
          const error = BridgeError.isInstance(cause)
            ? (cause as Error)
            : new UpstreamUnavailableError(`server "${up.server}" failed to connect: ${errorMessage(cause)}`, {
                cause,
                data: { server: up.server, upstream: up.id, kind: up.kind },
              });
          this.#events.emit('connect:error', { server: up.server, upstream: up, error, durationMs: performance.now() - started });
          throw error;
        }
      },
      statusChanged: (up, status, error) => this.#statusChanged(up, status, error),
    };
  }

  #statusChanged(up: Upstream, status: UpstreamStatus, error?: Error): void {
    const previousStatus = up.status;
    up.status = status;
    if (error) up.lastError = error;
    if (status === 'ready') {
      up.lastError = undefined;
      this.#setHealth(up, 'healthy');
      // A reconnect may come back with a different catalog: re-list (not during the initial listing).
      if (previousStatus === 'failed' && !this.#listing && this.#state === 'ready') this.#refreshServer(up.server, ['tools', 'prompts', 'resources', 'templates']);
    } else if (status === 'failed') {
      this.#setHealth(up, 'unhealthy', error?.message);
    }
  }

  #setHealth(up: Upstream, state: HealthState, reason?: string): void {
    const previous = up.health;
    if (previous === state) return;
    up.health = state;
    this.#events.emit('upstream:health', { server: up.server, upstream: up, state, previous, ...(reason ? { reason } : {}) });
  }

  #configureClient(up: Upstream, client: Client): void {
    client.fallbackNotificationHandler = async (notification) => {
      const params = notification.params as Record<string, unknown> | undefined;
      const kinds = CHANGED_NOTIFICATIONS[notification.method];
      if (kinds && (this.#state === 'ready' || this.#state === 'starting')) this.#refreshServer(up.server, kinds);
      this.#events.emit('notification', { server: up.server, upstream: up, method: notification.method, params });
    };
  }

  // ---------------------------------------------------------------- the pipeline's core steps

  #pick(ctx: CallContext): void {
    const candidates = this.#upstreams.get(ctx.server);
    if (!candidates || candidates.length === 0) throw new NoUpstreamError(`server "${ctx.server}" has no upstream`, { data: { server: ctx.server } });
    const up = this.#balancer.pick(ctx, candidates);
    if (!up) throw new NoUpstreamError(`no upstream of server "${ctx.server}" can take the call (tried: ${[...ctx.tried].join(', ') || 'none'})`, { data: { server: ctx.server, tried: [...ctx.tried] } });
    ctx.upstream = up;
    ctx.tried.add(up.id);
  }

  #send(ctx: CallContext): Promise<unknown> {
    const up = ctx.upstream!;
    let timeout = this.#requestTimeout;
    if (ctx.deadline !== undefined) {
      timeout = ctx.deadline - Date.now();
      if (timeout <= 0) return Promise.reject(new TimeoutError(`${describe(ctx)} ran out of time before attempt ${ctx.attempt}`, { data: { server: ctx.server, method: ctx.method } }));
    }
    up.inFlight++;
    return this.#pool.run(up, ctx, (client, c) => request(client, c, timeout)).then(
      (result) => {
        up.inFlight--;
        if (up.health === 'unhealthy' && up.status === 'ready') this.#setHealth(up, 'healthy', 'a call succeeded');
        return result;
      },
      (error: unknown) => {
        up.inFlight--;
        throw this.#callFailed(error, ctx, up, timeout);
      },
    );
  }

  /**
   * Classifies a failed attempt. JSON-RPC errors the upstream sent pass through; the SDK's local
   * timeout and closed-connection errors, and any transport failure (refused connection, HTTP
   * error, broken pipe), become bridge errors, and a transport failure marks the upstream unhealthy
   * until a call succeeds again (the health plugin refines this with thresholds and probes).
   */
  #callFailed(error: unknown, ctx: CallContext, up: Upstream, timeout: number): unknown {
    if (error instanceof McpError) return translateSdkError(error, ctx, timeout);
    if (BridgeError.isInstance(error) || ctx.signal?.aborted) return error;
    const wrapped = new UpstreamUnavailableError(`${describe(ctx)} failed: could not reach the server: ${causeChain(error)}`, {
      cause: error,
      data: { server: ctx.server, upstream: up.id, method: ctx.method },
    });
    this.#setHealth(up, 'unhealthy', wrapped.message);
    return wrapped;
  }

  // ---------------------------------------------------------------- running calls

  #context(method: McpMethod, server: string, params: Record<string, unknown>, tool: ToolEntry | undefined, options: CallOptions | undefined): CallContext {
    return {
      id: nextCallId++,
      method,
      server,
      params,
      tool,
      signal: options?.signal,
      deadline: options?.timeout !== undefined ? Date.now() + options.timeout : undefined,
      attempt: 0,
      upstream: undefined,
      tried: new Set(),
      onprogress: options?.onprogress,
      state: {} as CallState,
      caller: options?.caller,
      bridge: this,
    };
  }

  #run(ctx: CallContext): Promise<unknown> {
    let step = this.#compiled.get(ctx.method);
    if (!step) {
      step = compileMethod(ctx.method, this.#middleware, { pick: (c) => this.#pick(c), send: (c) => this.#send(c) });
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
    const tool = method === 'tools/call' && typeof params.name === 'string' ? this.#catalog.toolOf(server, params.name) : undefined;
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
    let server: string;
    let upstreamName: string;
    try {
      this.#ensureReady();
      const explicit = options?.server ?? (name.includes('/') ? name.slice(0, name.indexOf('/')) : undefined);
      if (explicit !== undefined) {
        upstreamName = options?.server !== undefined ? name : name.slice(name.indexOf('/') + 1);
        server = explicit;
        if (!this.#upstreams.has(server)) throw unknownServer(server, [...this.#upstreams.keys()]);
        entry = this.#catalog.toolOf(server, upstreamName);
      } else {
        entry = this.#catalog.tool(name);
        if (!entry) throw this.#unknownTool(name);
        server = entry.server;
        upstreamName = entry.upstreamName;
      }
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#run(this.#context('tools/call', server, { name: upstreamName, arguments: args }, entry, options)) as Promise<CallToolResult>;
  }

  #unknownTool(name: string): NotFoundError {
    const status = this.#catalog.status('tools');
    const notOk = Object.entries(status).filter(([, s]) => s.status !== 'ok');
    const hint = notOk.length ? `; servers not listed: ${notOk.map(([s, st]) => `${s} (${st.status}${st.error ? `: ${st.error}` : ''})`).join(', ')}` : '';
    return new NotFoundError(`no tool named "${name}"${hint}`, { data: { tool: name } });
  }

  /** Reads a resource by its exposed URI. */
  async readResource(uri: string, options?: CallOptions): Promise<ReadResourceResult> {
    this.#ensureReady();
    const target = this.#catalog.resolveResource(uri) ?? this.#fallbackResourceTarget(uri);
    if (!target) throw new NotFoundError(`no server provides resource "${uri}"`, { data: { uri } });
    const result = (await this.#run(this.#context('resources/read', target.server, { uri: target.upstreamUri }, undefined, options))) as ReadResourceResult;
    if (target.upstreamUri === uri) return result;
    return { ...result, contents: result.contents.map((c) => ({ ...c, uri: this.#catalog.exposedUri(target.server, c.uri) })) };
  }

  #fallbackResourceTarget(uri: string): { server: string; upstreamUri: string } | undefined {
    // `server+uri` always routes, even for resources the server does not list.
    const plus = uri.indexOf('+');
    if (plus > 0) {
      const server = uri.slice(0, plus);
      if (this.#upstreams.has(server)) return { server, upstreamUri: uri.slice(plus + 1) };
    }
    const withResources = [...this.#upstreams.keys()].filter((s) => this.#capabilities(s)?.resources);
    return withResources.length === 1 ? { server: withResources[0]!, upstreamUri: uri } : undefined;
  }

  /** Gets a prompt by its exposed name. */
  async getPrompt(name: string, args: Record<string, string> = {}, options?: CallOptions): Promise<GetPromptResult> {
    this.#ensureReady();
    const entry = this.#catalog.prompt(name);
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
      const entry = this.#catalog.prompt(ref.name);
      if (!entry) throw new NotFoundError(`no prompt named "${ref.name}"`, { data: { prompt: ref.name } });
      server = entry.server;
      upstreamRef = { ...ref, name: entry.upstreamName };
    } else {
      const entry = this.#catalog.templates().find((t) => t.uriTemplate === ref.uri);
      const target = entry ? { server: entry.server, upstreamUri: entry.upstreamUriTemplate } : this.#catalog.resolveResource(ref.uri);
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
    const servers = server !== undefined ? [server] : [...this.#upstreams.keys()];
    if (server !== undefined && !this.#upstreams.has(server)) throw unknownServer(server, [...this.#upstreams.keys()]);
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

  /** The merged tool list. `refresh: true` re-lists every server first; servers not yet listed are retried. */
  async listTools(options: { refresh?: boolean } = {}): Promise<MergedList<'tools', Tool>> {
    await this.#freshen(['tools'], options.refresh);
    return { tools: this.#catalog.tools().map((t) => t.tool), _meta: { 'mcp-bridge/servers': this.#catalog.status('tools') } };
  }

  /** The merged prompt list. */
  async listPrompts(options: { refresh?: boolean } = {}): Promise<MergedList<'prompts', Prompt>> {
    await this.#freshen(['prompts'], options.refresh);
    return { prompts: this.#catalog.prompts().map((p) => p.prompt), _meta: { 'mcp-bridge/servers': this.#catalog.status('prompts') } };
  }

  /** The merged resource list. */
  async listResources(options: { refresh?: boolean } = {}): Promise<MergedList<'resources', Resource>> {
    await this.#freshen(['resources'], options.refresh);
    return { resources: this.#catalog.resources().map((r) => r.resource), _meta: { 'mcp-bridge/servers': this.#catalog.status('resources') } };
  }

  /** The merged resource template list. */
  async listResourceTemplates(options: { refresh?: boolean } = {}): Promise<MergedList<'resourceTemplates', ResourceTemplate>> {
    await this.#freshen(['templates'], options.refresh);
    return {
      resourceTemplates: this.#catalog.templates().map((t) => t.template),
      _meta: { 'mcp-bridge/servers': this.#catalog.status('templates') },
    };
  }

  /** The catalog's tool entries (exposed name, server, upstream name), synchronously. */
  tools(): readonly ToolEntry[] {
    this.#ensureReady();
    return this.#catalog.tools();
  }

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

  /** A report of every server: connection, health, list status, config problems. */
  status(): ServerStatus[] {
    const out: ServerStatus[] = [];
    const lists = this.#catalog
      ? { tools: this.#catalog.status('tools'), prompts: this.#catalog.status('prompts'), resources: this.#catalog.status('resources'), templates: this.#catalog.status('templates') }
      : undefined;
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
      const listStatus = {
        tools: lists?.tools[name] ?? { status: 'pending' as const },
        prompts: lists?.prompts[name] ?? { status: 'pending' as const },
        resources: lists?.resources[name] ?? { status: 'pending' as const },
        templates: lists?.templates[name] ?? { status: 'pending' as const },
      };
      const healthy = upstreams.filter((u) => u.health !== 'unhealthy').length;
      const state = this.#state === 'new' || this.#state === 'starting' ? 'pending' : healthy === 0 ? 'down' : healthy < upstreams.length ? 'degraded' : 'ok';
      out.push({ name, state, upstreams, lists: listStatus });
    }
    for (const bad of this.#invalid.values()) {
      const failed: ServerListStatus = { status: 'error', code: 'CONFIG_INVALID', error: bad.issues.map((i) => `${i.path}: ${i.message}`).join('; ') };
      out.push({ name: bad.name, state: 'invalid', upstreams: [], lists: { tools: failed, prompts: failed, resources: failed, templates: failed }, issues: bad.issues });
    }
    return out;
  }

  async #freshen(kinds: ListKind[], refresh: boolean | undefined): Promise<void> {
    this.#ensureReady();
    const servers = [...this.#upstreams.keys()].filter(
      (s) => refresh || kinds.some((k) => !['ok', 'pending'].includes(this.#catalog.status(k)[s]?.status ?? 'ok')),
    );
    await Promise.all(servers.map((s) => this.#refreshNow(s, kinds)));
  }

  async #initialListing(): Promise<void> {
    this.#listing = true;
    const all = Promise.all([...this.#upstreams.keys()].map((s) => this.#refreshNow(s, ['tools', 'prompts', 'resources', 'templates'])));
    const limit = this.#options.startTimeout ?? 30_000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, limit);
    });
    try {
      await Promise.race([all, timedOut]);
    } finally {
      clearTimeout(timer);
      // Late servers keep listing in the background and join the catalog when they answer.
      void all.finally(() => {
        this.#listing = false;
      });
    }
  }

  /** Coalesced background refresh (after `list_changed` or a reconnect). */
  #refreshServer(server: string, kinds: ListKind[]): void {
    const key = `${server}\u0000${kinds.join(',')}`;
    const current = this.#refreshing.get(key);
    if (current) {
      current.again = true;
      return;
    }
    const entry = { running: Promise.resolve(), again: false };
    const loop = async (): Promise<void> => {
      do {
        entry.again = false;
        await this.#refreshNow(server, kinds);
      } while (entry.again && (this.#state === 'ready' || this.#state === 'starting'));
    };
    entry.running = loop()
      .catch((error: unknown) => this.#onError(error))
      .finally(() => this.#refreshing.delete(key));
    this.#refreshing.set(key, entry);
  }

  /** Lists `kinds` of one server through the pipeline; failures are recorded, never thrown. */
  async #refreshNow(server: string, kinds: ListKind[]): Promise<void> {
    const up = this.#upstreams.get(server)?.[0];
    if (!up) return;
    try {
      await this.#pool.warm(up);
    } catch (error) {
      for (const kind of kinds) this.#catalog.setFailed(server, kind, failureStatus(error));
      return;
    }
    const caps = this.#capabilities(server);
    const changed: ('tools' | 'resources' | 'prompts')[] = [];
    await Promise.all(
      kinds.map(async (kind) => {
        const spec = LIST_METHODS[kind];
        if (!caps?.[spec.capability]) {
          if (this.#catalog.status(kind)[server]?.status !== 'ok' || this.#catalog.status(kind)[server]?.updatedAt === undefined) this.#catalog.setList(server, kind as 'tools', []);
          return;
        }
        try {
          const items: unknown[] = [];
          let cursor: string | undefined;
          for (let page = 0; page < MAX_LIST_PAGES; page++) {
            const result = (await this.#run(this.#context(spec.method, server, cursor ? { cursor } : {}, undefined, undefined))) as Record<string, unknown>;
            items.push(...((result[spec.field] as unknown[]) ?? []));
            cursor = typeof result.nextCursor === 'string' && result.nextCursor ? result.nextCursor : undefined;
            if (!cursor) break;
          }
          if (this.#state !== 'ready' && this.#state !== 'starting') return;
          this.#catalog.setList(server, kind as 'tools', items as Tool[]);
          const k = kind === 'templates' ? 'resources' : kind;
          if (!changed.includes(k)) changed.push(k);
        } catch (error) {
          this.#catalog.setFailed(server, kind, failureStatus(error));
        }
      }),
    );
    if (changed.length > 0 && this.#state === 'ready') this.#events.emit('catalog:changed', { server, kinds: changed });
  }

  #capabilities(server: string): ReturnType<Client['getServerCapabilities']> {
    for (const up of this.#upstreams.get(server) ?? []) {
      const caps = this.#pool?.connection(up)?.client.getServerCapabilities();
      if (caps) return caps;
    }
    return undefined;
  }

  // ---------------------------------------------------------------- shutdown

  /**
   * Closes the bridge: `host:close`, plugin cleanups in reverse order, then every upstream
   * connection (stdio process groups are ended). Idempotent.
   */
  close(): Promise<void> {
    this.#closePromise ??= this.#close();
    return this.#closePromise;
  }

  async #close(): Promise<void> {
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
    await Promise.allSettled([...this.#refreshing.values()].map((r) => r.running));
    this.#events.clear();
    this.#state = 'closed';
  }

  async #runCleanups(): Promise<void> {
    const cleanups = this.#cleanups.splice(0).reverse();
    for (const { plugin, fn } of cleanups) {
      try {
        await fn();
      } catch (error) {
        this.#onError(new PluginError('PLUGIN_SETUP_FAILED', plugin, `cleanup failed: ${errorMessage(error)}`, { cause: error }));
      }
    }
  }
}

const PHASE_SET = new Set(['observe', 'policy', 'validate', 'cache', 'retry', 'route', 'upstream']);

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
export function createBridge(options: BridgeOptions = {}): Bridge {
  return new Bridge(options);
}

async function runSetup(plugin: Plugin, api: PluginApi, timeoutMs: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new PluginError('PLUGIN_SETUP_TIMEOUT', plugin.name, `setup did not finish within ${timeoutMs} ms`, { data: { timeoutMs } })),
      timeoutMs,
    );
  });
  try {
    await Promise.race([Promise.resolve().then(() => plugin.setup(api)), timeout]);
  } catch (error) {
    if (BridgeError.isInstance(error)) throw error;
    throw new PluginError('PLUGIN_SETUP_FAILED', plugin.name, `setup failed: ${errorMessage(error)}`, { cause: error });
  } finally {
    clearTimeout(timer);
  }
}

function request(client: Client, ctx: CallContext, timeout: number): Promise<unknown> {
  return client.request({ method: ctx.method, params: ctx.params } as never, RESULT_SCHEMAS[ctx.method] ?? ResultSchema, {
    signal: ctx.signal,
    timeout,
    onprogress: ctx.onprogress,
  });
}

/** Errors made locally by the SDK become bridge errors; errors the upstream sent pass through. */
function translateSdkError(error: McpError, ctx: CallContext, timeout: number): unknown {
  if (error.code === ErrorCode.RequestTimeout && (error.data as { timeout?: unknown } | undefined)?.timeout !== undefined) {
    return new TimeoutError(`${describe(ctx)} timed out after ${timeout} ms (attempt ${ctx.attempt})`, {
      cause: error,
      data: { server: ctx.server, upstream: ctx.upstream?.id, method: ctx.method, timeoutMs: timeout },
    });
  }
  if (error.code === ErrorCode.ConnectionClosed && /Connection closed/i.test(error.message)) {
    return new UpstreamUnavailableError(`${describe(ctx)} failed: server "${ctx.server}" closed the connection`, {
      cause: error,
      data: { server: ctx.server, upstream: ctx.upstream?.id, method: ctx.method },
    });
  }
  return error;
}

function describe(ctx: CallContext): string {
  return ctx.method === 'tools/call' ? `tool "${String(ctx.params.name)}" of server "${ctx.server}"` : `${ctx.method} on server "${ctx.server}"`;
}

function failureStatus(error: unknown): ServerListStatus {
  const code = BridgeError.isInstance(error) ? (error as BridgeError).code : error instanceof McpError ? `JSONRPC_${error.code}` : 'ERROR';
  const status: ServerListStatus['status'] =
    code === 'TIMEOUT' ? 'timeout' : code === 'UPSTREAM_UNAVAILABLE' ? 'unavailable' : code === 'CIRCUIT_OPEN' ? 'circuit-open' : 'error';
  return { status, code, error: errorMessage(error) };
}

function unknownServer(server: string, known: string[]): NotFoundError {
  return new NotFoundError(`no server named "${server}" (known: ${known.join(', ') || 'none'})`, { data: { server } });
}

/** `fetch failed` alone does not say why: add the causes' messages (ECONNREFUSED ...). */
function causeChain(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error, depth = 0; e !== undefined && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const message = errorMessage(e);
    if (message && !parts.includes(message)) parts.push(message);
    if (!(e instanceof Error)) break;
  }
  return parts.join(': ');
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
