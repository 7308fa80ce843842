import type { Bridge } from '@mcp-bridge/core';
import { CancelLink } from './cancel-link.js';
import { rpcError } from './errors.js';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ErrorCode,
  ListRootsRequestSchema,
  ResultSchema,
  type ClientCapabilities,
  type LoggingLevel,
  type ServerNotification,
  type ServerRequest,
} from '@modelcontextprotocol/sdk/types.js';

/** Server-to-client requests the gateway routes from upstreams to downstream clients. */
export type ClientMethod = 'sampling/createMessage' | 'elicitation/create' | 'roots/list';

/** URL-mode elicitations remembered for their completion notification, at most (a server that never completes them must not grow the table). */
const MAX_PENDING_ELICITATIONS = 1_000;

/** How long a downstream client may take to answer a routed sampling/elicitation/roots request. */
const CLIENT_REQUEST_TIMEOUT_MS = 10 * 60_000;

const LEVELS: readonly LoggingLevel[] = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];

/** One downstream MCP session (an HTTP session, or the stdio client). */
export interface DownstreamSession {
  /** Session id. */
  readonly id: string;
  /** The `caller` of every bridge call it makes, lists included: a named token's name, the `caller` option's answer, or a random per-session handle (never the session id, which is a secret). */
  readonly caller: string;
  /** The SDK server speaking to this client. */
  readonly server: Server;
  /** Minimum level of log messages this client asked for (`undefined`: everything). */
  logLevel: LoggingLevel | undefined;
  /** Exposed URIs this client subscribed to. */
  readonly subscriptions: Set<string>;
  /**
   * The calls in flight by downstream request id, when the gateway sees this session's
   * cancellations first hand (see {@link CancelLink}); `undefined`: cancellation goes through the
   * request's AbortSignal as is.
   */
  readonly calls: Map<string | number, CallScope> | undefined;
}

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/** A downstream request being served: what its upstream requests are traced back to. */
export interface CallScope {
  readonly session: DownstreamSession;
  /** The downstream method; only upstream requests of that same method are counted as caused by it. */
  readonly method: string;
  readonly extra: Extra;
  done: boolean;
  /** Stands in for `extra.signal` on the upstream requests made with it (created on the first one). */
  link?: CancelLink;
}

interface Subscription {
  server: string;
  upstreamUri: string;
  sessions: Set<string>;
  ready: Promise<void>;
  /** The upstream connections (clients) that accepted the subscribe and so send its updates. */
  holders: Set<Client>;
}

/**
 * State one bridge shares between every gateway in front of it: the downstream sessions, which
 * upstream request each downstream call caused, resource subscriptions and log levels. Routes
 * upstream notifications and server-to-client requests to the right sessions.
 */
export class Router {
  readonly bridge: Bridge;
  readonly sessions = new Map<string, DownstreamSession>();
  /**
   * Downstream calls by their AbortSignal (`extra.signal`, one per downstream request): the bridge
   * hands it to the upstream `client.request` as is, however many awaits the pipeline has. No
   * AsyncLocalStorage: on Node 20 it turns on promise hooks that every promise of the process
   * pays for (measured: the gateway's HTTP calls/s fell to ~0.6x a naive proxy's).
   */
  readonly #bySignal = new Map<AbortSignal, CallScope>();
  /** The call whose pipeline runs synchronously right now: catches a plugin that derived a signal before its first await. */
  #current: CallScope | undefined;
  readonly #inflight = new WeakMap<Client, Map<CallScope, number>>();
  readonly #configured = new WeakSet<Client>();
  /** The session that last announced new roots, per upstream client: the owner of the roots/list that follows. */
  readonly #rootsOwner = new WeakMap<Client, string>();
  readonly #subscriptions = new Map<string, Subscription>();
  /** URL-mode elicitations awaiting their completion notification: server + id → session id. */
  readonly #elicitations = new Map<string, string>();
  readonly #unsubscribe: (() => void)[] = [];
  #upstreamLevel: LoggingLevel | undefined;
  #users = 0;
  onError: (error: unknown) => void;

  constructor(bridge: Bridge, onError: (error: unknown) => void) {
    this.bridge = bridge;
    this.onError = onError;
    this.#unsubscribe.push(
      bridge.on('client:created', ({ server, client }) => this.#configure(server, client)),
      bridge.on('connect:after', ({ server, connection }) => {
        this.#configure(server, connection.client);
        this.#takeOverSubscriptions(server, connection.client);
      }),
      bridge.on('notification', ({ server, method, params }) => this.#notification(server, method, params)),
      bridge.on('catalog:changed', ({ kinds }) => this.#catalogChanged(kinds)),
    );
    // Upstreams connected before this gateway existed: their clients need the handlers too.
    for (const { server, client } of this.#clients()) this.#configure(server, client);
  }

  /** One more gateway uses this router. */
  acquire(): void {
    this.#users++;
  }

  /** A gateway stopped; the last one detaches from the bridge. Returns true when it was the last. */
  release(): boolean {
    if (--this.#users > 0) return false;
    for (const off of this.#unsubscribe.splice(0)) off();
    return true;
  }

  // ------------------------------------------------------------------ sessions

  addSession(session: DownstreamSession): void {
    this.sessions.set(session.id, session);
    this.#syncLogLevel(session.caller).catch(this.onError);
  }

  async removeSession(id: string): Promise<void> {
    const session = this.sessions.get(id);
    if (!session) return;
    this.sessions.delete(id);
    if (session.calls) {
      // Its calls' upstream requests are cancelled as a client's disconnect cancels them (the SDK
      // aborts every request signal of a closed connection).
      const ended = new Error('the client disconnected');
      // Every call gets a fired link, so an upstream request it makes later is refused at once.
      for (const scope of session.calls.values()) (scope.link ??= new CancelLink(scope.extra.signal)).fire(ended);
      session.calls.clear();
    }
    await Promise.allSettled([...session.subscriptions].map((uri) => this.unsubscribe(session, uri)));
    this.#syncLogLevel(session.caller).catch(this.onError);
  }

  /** The client capabilities a session declared at initialize. */
  static capabilities(session: DownstreamSession): ClientCapabilities | undefined {
    return session.server.getClientCapabilities();
  }

  // ------------------------------------------------------------------ logging

  /** A client set its log level: record it, and lower the upstreams' level when it asks for more. */
  async setLogLevel(session: DownstreamSession, level: LoggingLevel): Promise<void> {
    session.logLevel = level;
    await this.#syncLogLevel(session.caller);
  }

  /**
   * Upstreams are asked for the most verbose level any session wants (a session that never set a
   * level wants everything); each session then gets only what its own level lets through.
   */
  async #syncLogLevel(caller: string): Promise<void> {
    if (this.sessions.size === 0) return;
    let min = LEVELS.length - 1;
    for (const s of this.sessions.values()) min = Math.min(min, s.logLevel === undefined ? 0 : LEVELS.indexOf(s.logLevel));
    const level = LEVELS[min]!;
    // Never told: the upstreams send everything already.
    if (level === this.#upstreamLevel || (this.#upstreamLevel === undefined && level === 'debug')) return;
    this.#upstreamLevel = level;
    if (this.bridge.state !== 'ready') return;
    const servers = this.bridge.servers().filter((s) => this.bridge.upstreams(s).some((u) => u.capabilities?.logging));
    const results = await Promise.allSettled(servers.map((s) => this.bridge.request(s, 'logging/setLevel', { level }, { caller })));
    for (const r of results) if (r.status === 'rejected') this.onError(r.reason);
  }

  #allows(session: DownstreamSession, level: unknown): boolean {
    if (session.logLevel === undefined) return true;
    const index = LEVELS.indexOf(level as LoggingLevel);
    return index === -1 || index >= LEVELS.indexOf(session.logLevel);
  }

  // ------------------------------------------------------------------ subscriptions

  /** Subscribes a session to an exposed URI; the upstream is subscribed once, whatever the number of sessions. */
  async subscribe(session: DownstreamSession, uri: string, extra: Extra): Promise<void> {
    let sub = this.#subscriptions.get(uri);
    if (!sub) {
      const target = this.bridge.resolveResource(uri);
      if (!target) throw rpcError(-32002, `no server provides resource "${uri}"`, { uri });
      const created: Subscription = { server: target.server, upstreamUri: target.upstreamUri, sessions: new Set(), ready: Promise.resolve(), holders: new Set() };
      created.ready = this.bridge
        .request(target.server, 'resources/subscribe', { uri: target.upstreamUri }, { caller: session.caller, signal: extra.signal })
        .then(() => undefined);
      this.#subscriptions.set(uri, created);
      // A failed upstream subscribe must not stay in the table: the next client tries again.
      created.ready.catch(() => {
        if (this.#subscriptions.get(uri) === created) this.#subscriptions.delete(uri);
      });
      sub = created;
    }
    await sub.ready;
    sub.sessions.add(session.id);
    session.subscriptions.add(uri);
  }

  /** Unsubscribes a session; the upstream is unsubscribed when no session is left. */
  async unsubscribe(session: DownstreamSession, uri: string): Promise<void> {
    session.subscriptions.delete(uri);
    const sub = this.#subscriptions.get(uri);
    if (!sub || !sub.sessions.delete(session.id) || sub.sessions.size > 0) return;
    this.#subscriptions.delete(uri);
    if (this.bridge.state !== 'ready') return;
    // Every connection that holds it, and only those (with a pool or replicas, not any connection).
    const holders = [...sub.holders].filter(isOpen);
    sub.holders.clear();
    await Promise.all(holders.map((client) => client.unsubscribeResource({ uri: sub.upstreamUri }).catch((error: unknown) => this.onError(error))));
  }

  /**
   * A new upstream connection of `server` takes over the subscriptions whose connections are all
   * gone (a restarted process, a new HTTP session, a replica that died): it is subscribed to their
   * URIs at once, ahead of the calls that waited for it, so subscribed clients keep getting
   * `resources/updated`. Subscriptions still held by an open connection (a pool's other sessions,
   * another replica) are left where they are, so no update comes twice.
   */
  #takeOverSubscriptions(server: string, client: Client): void {
    for (const sub of this.#subscriptions.values()) {
      // Never held yet: its first subscribe is still on its way (and may be what opened this connection).
      if (sub.server !== server || sub.holders.size === 0) continue;
      for (const holder of sub.holders) if (!isOpen(holder)) sub.holders.delete(holder);
      if (sub.holders.size > 0) continue;
      sub.holders.add(client);
      client.subscribeResource({ uri: sub.upstreamUri }).catch((error: unknown) => {
        sub.holders.delete(client);
        this.onError(error);
      });
    }
  }

  // ------------------------------------------------------------------ upstream → downstream

  #notification(server: string, method: string, params: Record<string, unknown> | undefined): void {
    if (method === 'notifications/message' && params) {
      const level = params.level;
      for (const session of this.sessions.values()) {
        if (this.#allows(session, level)) this.#send(session, { method, params: { ...params, logger: params.logger ?? server } as never });
      }
    } else if (method === 'notifications/elicitation/complete' && typeof params?.elicitationId === 'string') {
      // Only the client that was sent the elicitation knows it; an unknown id is dropped (as a client would ignore it).
      const key = `${server}\0${params.elicitationId}`;
      const session = this.sessions.get(this.#elicitations.get(key) ?? '');
      this.#elicitations.delete(key);
      if (session) this.#send(session, { method, params } as ServerNotification);
    } else if (method === 'notifications/resources/updated' && typeof params?.uri === 'string') {
      if (this.bridge.state !== 'ready') return;
      const uri = this.bridge.exposedUri(server, params.uri);
      const sub = this.#subscriptions.get(uri);
      for (const id of sub?.sessions ?? []) {
        const session = this.sessions.get(id);
        if (session) this.#send(session, { method, params: { ...params, uri } });
      }
    }
  }

  /** Which client a URL-mode elicitation went to, by server and elicitation id (the oldest forgotten first). */
  #rememberElicitation(key: string, sessionId: string): void {
    this.#elicitations.delete(key);
    this.#elicitations.set(key, sessionId);
    if (this.#elicitations.size > MAX_PENDING_ELICITATIONS) this.#elicitations.delete(this.#elicitations.keys().next().value!);
  }

  #catalogChanged(kinds: readonly ('tools' | 'resources' | 'prompts')[]): void {
    for (const kind of kinds) {
      const method = `notifications/${kind}/list_changed` as const;
      for (const session of this.sessions.values()) this.#send(session, { method });
    }
  }

  #send(session: DownstreamSession, notification: ServerNotification): void {
    session.server.notification(notification).catch((error: unknown) => {
      // A session that went away between the check and the send is not an error worth reporting.
      if (this.sessions.has(session.id)) this.onError(error);
    });
  }

  // ------------------------------------------------------------------ downstream → upstream notifications

  /** A client announced new roots: tell every upstream that can ask for roots; the roots/list that follows goes to this client. */
  rootsChanged(session: DownstreamSession): void {
    for (const { client } of this.#clients()) {
      this.#rootsOwner.set(client, session.id);
      client.sendRootsListChanged().catch((error: unknown) => {
        // The bridge did not announce roots to this upstream (assertNotificationCapability), or it just went away: nothing to tell.
        if (!(error instanceof Error && /roots|not connected/i.test(error.message))) this.onError(error);
      });
    }
  }

  #clients(): { server: string; client: Client }[] {
    const out: { server: string; client: Client }[] = [];
    for (const server of this.bridge.servers()) {
      for (const upstream of this.bridge.upstreams(server)) {
        const client = this.bridge.connection(upstream)?.client;
        if (client) out.push({ server, client });
      }
    }
    return out;
  }

  // ------------------------------------------------------------------ server-to-client requests

  #configure(server: string, client: Client): void {
    if (this.#configured.has(client)) return;
    this.#configured.add(client);
    this.#track(server, client);
    const handle = (method: ClientMethod) => (request: { params?: unknown }, extra: { signal: AbortSignal }) =>
      this.#forward(server, client, method, request.params, extra.signal);
    for (const [schema, method] of [
      [CreateMessageRequestSchema, 'sampling/createMessage'],
      [ElicitRequestSchema, 'elicitation/create'],
      [ListRootsRequestSchema, 'roots/list'],
    ] as const) {
      try {
        client.setRequestHandler(schema as typeof ListRootsRequestSchema, handle(method) as never);
      } catch {
        // The bridge's clientCapabilities do not include this one: the upstream will not ask for it.
      }
    }
  }

  /**
   * Runs `fn` (the bridge call of one downstream request) so that the upstream requests it causes
   * are traced back to `scope`: by the signal it passes to the bridge (`scope.extra.signal`), which
   * the pipeline hands to `client.request` (retries, replicas and pools keep it), or, for a plugin
   * that derives its own signal (hedging, a cache's single flight) before its first await, by the
   * synchronous part of the call. Call {@link endScope} when the call settles.
   */
  runScoped<T>(scope: CallScope, fn: () => Promise<T>): Promise<T> {
    // A Map with an explicit delete, not a WeakMap: weak entries made every GC dearer on the hot path.
    this.#bySignal.set(scope.extra.signal, scope);
    const outer = this.#current;
    this.#current = scope;
    try {
      return fn();
    } catch (error) {
      this.endScope(scope);
      throw error;
    } finally {
      this.#current = outer;
    }
  }

  /** The call of `scope` settled: its upstream requests are no longer its own. */
  endScope(scope: CallScope): void {
    scope.done = true;
    const signal = scope.extra.signal;
    if (this.#bySignal.get(signal) === scope) this.#bySignal.delete(signal);
    const calls = scope.session.calls;
    if (calls !== undefined && calls.get(scope.extra.requestId) === scope) calls.delete(scope.extra.requestId);
    scope.link?.drop();
  }

  /**
   * Counts, per upstream client, the downstream calls whose upstream requests are in flight on it.
   * The downstream call is found by the request's signal (see {@link runScoped}), so this works
   * whatever plugins sit in the pipeline: only the request that finally reaches this client counts.
   */
  #track(server: string, client: Client): void {
    const original = client.request.bind(client);
    client.request = ((request: { method: string; params?: { uri?: unknown } }, schema: unknown, options?: { signal?: AbortSignal }) => {
      if (request.method === 'resources/subscribe') return this.#holdOn(server, client, request.params?.uri, original(request as never, schema as never, options as never));
      // Core hands the SDK a view of the call's signal (`source` is the signal itself).
      const signal = (options?.signal as { source?: AbortSignal } | undefined)?.source ?? options?.signal;
      const own = signal === undefined ? undefined : this.#bySignal.get(signal);
      const scope = own ?? this.#current;
      // The call's own signal, with its cancellation seen first hand: the SDK gets the cheaper link.
      const sent = own !== undefined && own.session.calls !== undefined && !own.done ? { ...options, signal: (own.link ??= new CancelLink(signal!)) } : options;
      const pending = (original as (...a: unknown[]) => Promise<unknown>)(request, schema, sent);
      // A stale context (a callback that captured it) or an upstream request of another method is not the call's.
      if (!scope || scope.done || scope.method !== request.method) return pending;
      let calls = this.#inflight.get(client);
      if (!calls) this.#inflight.set(client, (calls = new Map()));
      calls.set(scope, (calls.get(scope) ?? 0) + 1);
      const inflight = calls;
      pending.then(
        () => settled(inflight, scope),
        () => settled(inflight, scope),
      );
      return pending;
    }) as typeof client.request;
  }

  /** A subscribe that reached `client` makes it a holder of the subscription to `uri`, once accepted. */
  #holdOn<T>(server: string, client: Client, uri: unknown, pending: Promise<T>): Promise<T> {
    return pending.then((result) => {
      for (const sub of this.#subscriptions.values()) if (sub.server === server && sub.upstreamUri === uri) sub.holders.add(client);
      return result;
    });
  }

  /**
   * Which downstream session an upstream's server-to-client request belongs to. The rule:
   * 1. the sessions with a call in flight on that upstream connection; when several, only those that
   *    declared the capability; exactly one left → that session (the request rides its latest call);
   * 2. roots/list with no call in flight → the session that last announced roots/list_changed;
   * 3. no call in flight → the only connected session, when there is exactly one (a stdio gateway);
   * 4. otherwise it is ambiguous, and the gateway refuses (a JSON-RPC error to the upstream) rather
   *    than risk showing one client's sampling or elicitation to another.
   */
  attribute(client: Client, method: ClientMethod): { session: DownstreamSession; scope?: CallScope } | { error: string } {
    const scopes = [...(this.#inflight.get(client)?.keys() ?? [])].filter((s) => !s.done && this.sessions.get(s.session.id) === s.session);
    let candidates = [...new Set(scopes.map((s) => s.session))];
    if (candidates.length > 1) {
      const capable = candidates.filter((s) => hasCapability(Router.capabilities(s), method));
      if (capable.length >= 1) candidates = capable;
    }
    if (candidates.length === 1) {
      const session = candidates[0]!;
      const scope = scopes.filter((s) => s.session === session).at(-1);
      return scope ? { session, scope } : { session };
    }
    if (candidates.length > 1) {
      // Never name the sessions: this text reaches the upstream, and through it, any client.
      return { error: `calls of ${candidates.length} clients are in flight on this server: the gateway cannot tell which one caused it` };
    }
    if (method === 'roots/list') {
      const owner = this.#rootsOwner.get(client);
      const session = owner === undefined ? undefined : this.sessions.get(owner);
      if (session) return { session };
    }
    if (this.sessions.size === 1) return { session: this.sessions.values().next().value! };
    return { error: this.sessions.size === 0 ? 'no client is connected to the gateway' : `no call is in flight on this server and ${this.sessions.size} clients are connected: the gateway cannot tell which one to ask` };
  }

  async #forward(server: string, client: Client, method: ClientMethod, params: unknown, signal: AbortSignal): Promise<Record<string, unknown>> {
    const target = this.attribute(client, method);
    if ('error' in target) throw rpcError(ErrorCode.InvalidRequest, `[mcp-bridge] gateway: ${method} from server "${server}" refused: ${target.error}`);
    const { session, scope } = target;
    if (!hasCapability(Router.capabilities(session), method, params)) {
      throw rpcError(
        ErrorCode.MethodNotFound,
        `[mcp-bridge] gateway: ${method} from server "${server}" refused: the client did not declare the "${capabilityOf(method)}" capability${method === 'elicitation/create' && (params as { mode?: unknown } | undefined)?.mode === 'url' ? ' for URL mode' : ''}`,
      );
    }
    const request = { method, ...(params === undefined ? {} : { params }) } as ServerRequest;
    const options = { signal, timeout: CLIENT_REQUEST_TIMEOUT_MS };
    const elicitationId = urlElicitationId(method, params);
    // Its completion (notifications/elicitation/complete) comes later, on its own: it goes to this client.
    if (elicitationId !== undefined) this.#rememberElicitation(`${server}\0${elicitationId}`, session.id);
    // Sent as part of the causing call when there is one, so over HTTP it travels on that call's stream.
    if (scope && !scope.done) return scope.extra.sendRequest(request, ResultSchema, options);
    return session.server.request(request, ResultSchema, options);
  }
}

/** Whether an upstream connection is still open (the SDK drops its transport when it closes). */
function isOpen(client: Client): boolean {
  return client.transport !== undefined;
}

/** The id of a URL-mode elicitation request, when it is one. */
function urlElicitationId(method: ClientMethod, params: unknown): string | undefined {
  if (method !== 'elicitation/create') return undefined;
  const p = params as { mode?: unknown; elicitationId?: unknown } | undefined;
  return p?.mode === 'url' && typeof p.elicitationId === 'string' ? p.elicitationId : undefined;
}

/** One upstream request of `scope` settled. */
function settled(calls: Map<CallScope, number>, scope: CallScope): void {
  const n = (calls.get(scope) ?? 1) - 1;
  if (n <= 0) calls.delete(scope);
  else calls.set(scope, n);
}

function capabilityOf(method: ClientMethod): 'sampling' | 'elicitation' | 'roots' {
  return method === 'sampling/createMessage' ? 'sampling' : method === 'elicitation/create' ? 'elicitation' : 'roots';
}

/** Whether a client declared what a server-to-client method needs. */
export function hasCapability(capabilities: ClientCapabilities | undefined, method: ClientMethod, params?: unknown): boolean {
  const capability = capabilities?.[capabilityOf(method)];
  if (capability === undefined) return false;
  // URL-mode elicitation needs `elicitation.url`; an empty `elicitation: {}` means form mode only.
  if (method === 'elicitation/create' && (params as { mode?: unknown } | undefined)?.mode === 'url') {
    return (capability as { url?: unknown }).url !== undefined;
  }
  return true;
}

const routers = new WeakMap<Bridge, Router>();

/** The router of a bridge, created on first use and shared by every gateway in front of it. */
function routerFor(bridge: Bridge, onError: (error: unknown) => void): Router {
  let router = routers.get(bridge);
  if (!router) {
    router = new Router(bridge, onError);
    routers.set(bridge, router);
  }
  router.acquire();
  return router;
}

/**
 * The router of a gateway about to serve `bridge`, with the bridge started (when it is `new`; a
 * start in progress is waited for). The router comes first: its handlers for server-to-client
 * requests are then on the upstream clients from their first connect.
 */
export async function routerForStartedBridge(bridge: Bridge, onError: (error: unknown) => void): Promise<Router> {
  const router = routerFor(bridge, onError);
  try {
    // start() is idempotent: for a bridge already starting it returns the start in progress.
    if (bridge.state === 'new' || bridge.state === 'starting') await bridge.start();
  } catch (error) {
    releaseRouter(router);
    throw error;
  }
  return router;
}

/** A gateway is done with the router; the last one detaches it from the bridge. */
export function releaseRouter(router: Router): void {
  if (router.release()) routers.delete(router.bridge);
}
