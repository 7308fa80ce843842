import type {
  CallToolResult,
  CompleteRequest,
  CompleteResult,
  GetPromptResult,
  Prompt,
  ReadResourceResult,
  Resource,
  ResourceTemplate,
  Tool,
} from '@modelcontextprotocol/sdk/types.js';
import type { Connection } from '@mcp-bridge/transports';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { bootPlugins } from './boot.js';
import { Catalog, type ResourceTarget } from './catalog.js';
import { keepSnapshots, loadSnapshots, seedSnapshots } from './catalog-snapshot.js';
import { parseServers, validateOptions, type BridgeOptions, type BridgeServerConfig } from './config.js';
import { createDefaultPool, defaultHealthPolicy, defaultTransport, firstHealthyBalancer } from './default-services.js';
import { BridgeError, BridgeStateError } from './errors.js';
import { EventBus } from './events.js';
import { serverTrusted } from './tool-safety.js';
import { SessionLanes, type UpstreamSessionView } from './session-lanes.js';
import { errorMessage } from './helpers.js';
import { createNamer } from './naming.js';
import type { BridgeEvents, Listener, ServedRequest } from './event-types.js';
import type { BridgeExtensions, BridgeState, CallOptions, HostView } from './plugin-api.js';
import type { McpMethod, PoolHost, Services, ToolEntry, Upstream } from './types.js';
import { CORE_VERSION } from './version.js';
import { callToolByName, compilePipelines, requestServer, type CallToolOptions } from './call-path.js';
import { ensureReady, runCleanups, unknownServer, type HostCore } from './host-core.js';
import { complete, getPrompt, pingServers, readResource, resolveResource } from './named-calls.js';
import { resolveRequestLimits } from './request-bounds.js';
import { freshen, listFor, visibleTools, type ListOptions, type MergedList } from './lists.js';
import {
  addServer,
  createPoolHost,
  initialListing,
  newUpstreams,
  removeServer,
  serverStatuses,
  setHealth,
  watchServers,
  type ServerStatus,
} from './upstreams.js';

export type { CallOptions } from './plugin-api.js';
export type { CallToolOptions } from './call-path.js';
export type { ListOptions, MergedList } from './lists.js';
export type { ServerStatus } from './upstreams.js';

// Class and interface merge: plugins add typed properties with `api.expose` (see BridgeExtensions).
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging, @typescript-eslint/no-empty-object-type -- the merge is the point: BridgeExtensions is filled by plugins
export interface Bridge extends BridgeExtensions {}

/**
 * The plugin host: one object in front of many MCP servers. Create it with {@link createBridge}.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class Bridge {
  readonly #s: HostCore;
  #startPromise: Promise<void> | undefined;
  #closePromise: Promise<void> | undefined;

  /** Use {@link createBridge}. */
  // Unchecked on purpose: createBridge() is the typed entry; the constructor validates at run time.
  constructor(options: BridgeOptions<Readonly<Record<string, unknown>>> = {}) {
    validateOptions(options);
    const onError = options.onError ?? ((error: unknown) => console.error(error));
    // The boot fills the services (catalog, pool ...); nothing reads them before it ran.
    this.#s = {
      options,
      onError,
      events: new EventBus((event, error) =>
        onError(new BridgeError('LISTENER_FAILED', `a listener of "${event}" threw: ${errorMessage(error)}`, { cause: error })),
      ),
      closeController: new AbortController(),
      upstreams: new Map(),
      invalid: new Map(),
      cleanups: [],
      compiled: new Map(),
      requestTimeout: options.requestTimeout ?? 60_000,
      requestLimits: resolveRequestLimits(options.requestLimits),
      connectedBefore: new WeakSet(),
      state: 'new',
      middleware: [],
      listFilters: {},
      listTransforms: {},
      pluginTools: new Map(),
    } as Partial<HostCore> as HostCore;
    const { valid, invalid } = parseServers(options.servers ?? {});
    for (const bad of invalid) this.#s.invalid.set(bad.name, bad);
    for (const server of valid) this.#s.upstreams.set(server.name, newUpstreams(server));
  }

  /** `new` → `starting` → `ready` → `closing` → `closed` (or `failed` when start failed). */
  get state(): BridgeState {
    return this.#s.state;
  }

  /** Aborted when the bridge closes. */
  get signal(): AbortSignal {
    return this.#s.closeController.signal;
  }

  /** Listen to a lifecycle event; returns an unsubscribe function. */
  on<E extends keyof BridgeEvents>(event: E, listener: Listener<E>): () => void {
    return this.#s.events.on(event, listener);
  }

  /** A gateway in front of the bridge reports a request it answered (emits `request:served`; for metrics). */
  reportServed(request: ServedRequest): void {
    this.#s.events.emit('request:served', request);
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
    if (this.#s.state !== 'new') throw new BridgeStateError(`start() called on a ${this.#s.state} bridge`);
    this.#s.state = 'starting';
    const store = this.#s.options.startMode === 'background' ? this.#s.options.catalogSnapshot : undefined;
    // Read while the plugins boot: the disk and the boot overlap.
    const snapshots = store ? loadSnapshots(this.#s, store) : undefined;
    try {
      await this.#boot();
      this.#throwIfClosing();
      for (const [server, ups] of this.#s.upstreams) {
        this.#s.catalog.addServer(server);
        for (const up of ups) this.#s.events.emit('upstream:add', { server, upstream: up });
      }
      // In the background mode a gateway answers its clients at once; servers join as they come up.
      if (this.#s.options.startMode === 'background') {
        if (store) {
          seedSnapshots(this.#s, await snapshots!);
          this.#s.cleanups.push({ plugin: '@mcp-bridge/core', fn: keepSnapshots(this.#s, store) });
        }
        this.#s.watch.setGrace(this.#s.options.startGraceMs ?? 5_000);
        for (const server of this.#s.upstreams.keys()) void this.#s.watch.begin(server);
      } else await initialListing(this.#s);
      this.#throwIfClosing();
    } catch (error) {
      this.#s.state = 'failed';
      this.#s.watch?.close();
      await runCleanups(this.#s);
      await this.#s.pool?.close();
      this.#s.events.clear();
      throw error;
    }
    this.#s.state = 'ready';
    this.#s.events.emit('host:ready', { servers: [...this.#s.upstreams.keys()] });
  }

  #throwIfClosing(): void {
    if (this.#s.closeController.signal.aborted) throw new BridgeStateError('the bridge was closed while starting');
  }

  async #boot(): Promise<void> {
    const defaults = new Map<keyof Services, unknown>([
      ['balancer', firstHealthyBalancer],
      ['transport', defaultTransport],
      ['namer', createNamer(this.#s.options.naming)],
      ['health', defaultHealthPolicy],
      [
        'pool',
        ((host: PoolHost) =>
          createDefaultPool(host, {
            reconnectMinMs: this.#s.options.reconnectMinMs,
            reconnectMaxMs: this.#s.options.reconnectMaxMs,
          })) satisfies Services['pool'],
      ],
    ]);
    const { middleware, services, listFilters, listTransforms, pluginTools } = await bootPlugins(this.#s.options.plugins ?? [], {
      host: this.#hostView(),
      target: this,
      events: this.#s.events,
      signal: this.#s.closeController.signal,
      coreVersion: CORE_VERSION,
      setupTimeout: this.#s.options.setupTimeout ?? 10_000,
      defaults,
      cleanups: this.#s.cleanups,
    });
    const service = <K extends keyof Services>(slot: K): Services[K] => services.get(slot) as Services[K];
    this.#s.middleware = middleware;
    this.#s.listFilters = listFilters;
    this.#s.listTransforms = listTransforms;
    this.#s.pluginTools = pluginTools;
    this.#s.catalog = new Catalog(service('namer'), (server) => serverTrusted(this.#s.upstreams.get(server)));
    this.#s.balancer = service('balancer');
    this.#s.health = service('health')({ setHealth: (up, state, reason) => setHealth(this.#s, up, state, reason) });
    this.#s.lanes = new SessionLanes(() => this.#s.pool);
    this.#s.pool = service('pool')(createPoolHost(this.#s, service('transport')));
    watchServers(this.#s);
    compilePipelines(this.#s);
  }

  /** What plugins get as `api.host`: a few bound methods, not the bridge (no addServer, close ...). */
  #hostView(): HostView {
    const state = (): BridgeState => this.#s.state;
    return Object.freeze({
      get state() {
        return state();
      },
      servers: () => this.servers(),
      upstreams: (server) => this.upstreams(server),
      tools: () => this.tools(),
      visibleTools: (who) => visibleTools(this.#s, who),
      resolveResource: (uri) => this.resolveResource(uri),
      request: (server, method, params, options) => this.request(server, method, params, options),
      connection: (upstream) => this.connection(upstream),
      setServerHidden: (server, hidden) => this.setServerHidden(server, hidden),
      isServerHidden: (server) => this.isServerHidden(server),
    } satisfies HostView);
  }

  /**
   * Sends one request to one logical server through the pipeline (what the gateway uses for
   * methods it forwards as they are). Names in `params` must already be upstream names.
   */
  request(server: string, method: McpMethod, params: Record<string, unknown> = {}, options?: CallOptions): Promise<unknown> {
    return requestServer(this.#s, server, method, params, options);
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
    return callToolByName(this.#s, name, args, options);
  }

  /** Reads a resource by its exposed URI. */
  readResource(uri: string, options?: CallOptions): Promise<ReadResourceResult> {
    return readResource(this.#s, uri, options);
  }

  /**
   * Where an exposed resource URI goes: a listed resource, a matching template, `server+uri`, or
   * the only server with resources. `undefined` when nothing fits.
   */
  resolveResource(uri: string): ResourceTarget | undefined {
    return resolveResource(this.#s, uri);
  }

  /** The exposed form of an upstream's resource URI (for notifications such as `resources/updated`). */
  exposedUri(server: string, upstreamUri: string): string {
    ensureReady(this.#s);
    return this.#s.catalog.exposedUri(server, upstreamUri);
  }

  /** Gets a prompt by its exposed name. */
  getPrompt(name: string, args: Record<string, string> = {}, options?: CallOptions): Promise<GetPromptResult> {
    return getPrompt(this.#s, name, args, options);
  }

  /** Argument completion for a prompt (exposed name) or a resource template (exposed URI template). */
  complete(params: CompleteRequest['params'], options?: CallOptions): Promise<CompleteResult> {
    return complete(this.#s, params, options);
  }

  /**
   * Pings one server, or every server, through the pipeline. Resolves with the round-trip time per
   * server; a server that failed has `ok: false` and the error message.
   */
  ping(server?: string, options?: CallOptions): Promise<Record<string, { ok: boolean; ms: number; error?: string }>> {
    return pingServers(this.#s, server, options);
  }

  // ---------------------------------------------------------------- the catalog

  /**
   * The merged tool list. `refresh: true` re-lists every server first; servers whose last listing
   * failed are retried. `caller`: the list as that caller sees it (plugins' `api.filterList`).
   */
  async listTools(options: ListOptions = {}): Promise<MergedList<'tools', Tool>> {
    await freshen(this.#s, ['tools'], options.refresh);
    return {
      tools: listFor(this.#s, 'tools', this.#s.catalog.tools(), options, (t) => t.tool),
      _meta: { 'mcp-bridge/servers': this.#s.catalog.status('tools') },
    };
  }

  /** The merged prompt list (options as {@link Bridge.listTools}). */
  async listPrompts(options: ListOptions = {}): Promise<MergedList<'prompts', Prompt>> {
    await freshen(this.#s, ['prompts'], options.refresh);
    return {
      prompts: listFor(this.#s, 'prompts', this.#s.catalog.prompts(), options, (p) => p.prompt),
      _meta: { 'mcp-bridge/servers': this.#s.catalog.status('prompts') },
    };
  }

  /** The merged resource list (options as {@link Bridge.listTools}). */
  async listResources(options: ListOptions = {}): Promise<MergedList<'resources', Resource>> {
    await freshen(this.#s, ['resources'], options.refresh);
    return {
      resources: listFor(this.#s, 'resources', this.#s.catalog.resources(), options, (r) => r.resource),
      _meta: { 'mcp-bridge/servers': this.#s.catalog.status('resources') },
    };
  }

  /** The merged resource template list (options as {@link Bridge.listTools}). */
  async listResourceTemplates(options: ListOptions = {}): Promise<MergedList<'resourceTemplates', ResourceTemplate>> {
    await freshen(this.#s, ['templates'], options.refresh);
    return {
      resourceTemplates: listFor(this.#s, 'templates', this.#s.catalog.templates(), options, (t) => t.template),
      _meta: { 'mcp-bridge/servers': this.#s.catalog.status('templates') },
    };
  }

  /** The catalog's tool entries (exposed name, server, upstream name), synchronously. */
  tools(): readonly ToolEntry[] {
    ensureReady(this.#s);
    return this.#s.catalog.tools();
  }

  // ---------------------------------------------------------------- servers

  /** Names of the configured servers (valid ones), in config order. */
  servers(): string[] {
    return [...this.#s.upstreams.keys()];
  }

  /** The upstreams of a server (one, or its replicas). */
  upstreams(server: string): readonly Upstream[] {
    return this.#s.upstreams.get(server) ?? [];
  }

  /** The live connection of an upstream, if any (stderr tail, pid, SDK client). */
  connection(upstream: Upstream): Connection | undefined {
    return this.#s.pool?.connection(upstream);
  }

  /** Whose upstream session an upstream client (from `client:created`, `notification`) is: its holder, roots binding and mode. */
  upstreamSession(client: Client): UpstreamSessionView | undefined {
    return this.#s.lanes?.view(client);
  }

  /**
   * Adds a server to a running bridge and lists it (fail-open, like at start). Rejects with a
   * {@link ConfigError} naming the field when the entry is invalid, or when the name is taken.
   */
  addServer(name: string, config: unknown): Promise<void> {
    return addServer(this.#s, name, config);
  }
  /**
   * Removes a server: its entries leave the catalog (`catalog:changed`), its connections are closed
   * (stdio: the process group is ended). Resolves `false` when there was no such server.
   */
  removeServer(name: string): Promise<boolean> {
    return removeServer(this.#s, name);
  }
  /**
   * Hides a server's tools, prompts and resources from the catalog, or shows them again, with
   * `catalog:changed` (a gateway turns it into `list_changed`). The server stays configured and
   * callable by `server/tool`, so probes can still reach it. Returns false when nothing changed.
   * For a health plugin that hides servers that are down.
   */
  setServerHidden(server: string, hidden: boolean): boolean {
    ensureReady(this.#s);
    if (!this.#s.upstreams.has(server)) throw unknownServer(server, [...this.#s.upstreams.keys()]);
    if (!this.#s.catalog.setHidden(server, hidden)) return false;
    this.#s.events.emit('catalog:changed', { server, kinds: ['tools', 'prompts', 'resources'] });
    return true;
  }

  /** True when {@link Bridge.setServerHidden} hid the server's entries. */
  isServerHidden(server: string): boolean {
    return this.#s.catalog?.isHidden(server) ?? false;
  }

  /** A report of every server: connection, health, list status, config problems. */
  status(): ServerStatus[] {
    return serverStatuses(this.#s);
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
    this.#s.watch?.close();
    if (this.#s.state === 'new') {
      this.#s.state = 'closed';
      return;
    }
    if (this.#s.state === 'starting') {
      // Do not wait out connect and list timeouts: abort the connects, close what is open, and let
      // start() reject with a BridgeStateError; it then runs the cleanups itself.
      this.#s.closeController.abort(new BridgeStateError('the bridge was closed while starting'));
      await this.#s.pool?.close();
      await this.#startPromise?.catch(() => undefined);
    }
    if (this.#s.state !== 'ready') {
      this.#s.state = 'closed';
      return;
    }
    this.#s.state = 'closing';
    this.#s.events.emit('host:close', {});
    this.#s.closeController.abort(new BridgeStateError('the bridge is closing'));
    await runCleanups(this.#s);
    this.#s.lanes.close();
    await this.#s.pool.close();
    await Promise.allSettled(this.#s.sync.inFlight());
    this.#s.events.clear();
    this.#s.state = 'closed';
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
