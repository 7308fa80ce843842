import type { Bridge } from '@mcp-bridge/core';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { LoggingLevel, ServerNotification } from '@modelcontextprotocol/sdk/types.js';
import { ClientRequests } from './client-requests.js';
import { DownstreamCall, type Extra } from './downstream-call.js';
import { LogLevels, rootsChanged, type DownstreamSession } from './sessions.js';
import { Subscriptions } from './subscriptions.js';
import { TaskHandles } from './task-handles.js';

export type { DownstreamSession } from './sessions.js';

/**
 * State one bridge shares between every gateway in front of it: the downstream sessions, the
 * upstream connections working for each downstream call ({@link ClientRequests}), resource
 * subscriptions and log levels. Routes upstream notifications and server-to-client requests to
 * the right sessions.
 */
export class Router {
  readonly bridge: Bridge;
  readonly sessions = new Map<string, DownstreamSession>();
  /** The task ids handed out to 2025-era clients (explicit task handles), for every session. */
  readonly tasks = new TaskHandles();
  readonly #requests: ClientRequests;
  readonly #subscriptions: Subscriptions;
  readonly #logLevels: LogLevels;
  readonly #unsubscribe: (() => void)[] = [];
  #users = 0;
  onError: (error: unknown) => void;

  constructor(bridge: Bridge, onError: (error: unknown) => void) {
    this.bridge = bridge;
    this.onError = onError;
    this.#requests = new ClientRequests(this.sessions, (client) => bridge.upstreamSession(client));
    const report = (error: unknown): void => this.onError(error);
    this.#subscriptions = new Subscriptions(bridge, report);
    this.#logLevels = new LogLevels(bridge, this.sessions, report);
    this.#unsubscribe.push(
      bridge.on('client:created', ({ server, client }) => this.#requests.configure(server, client)),
      bridge.on('connect:after', ({ server, connection }) => {
        this.#requests.configure(server, connection.client);
        this.#subscriptions.takeOver(server, connection.client);
      }),
      bridge.on('notification', ({ server, client, method, params }) => this.#notification(server, client, method, params)),
      bridge.on('catalog:changed', ({ kinds }) => this.#catalogChanged(kinds)),
    );
    // Upstreams connected before this gateway existed: their clients need the handlers too.
    for (const { server, client } of this.#clients()) this.#requests.configure(server, client);
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

  // ------------------------------------------------------------------ sessions and their calls

  addSession(session: DownstreamSession): void {
    this.sessions.set(session.id, session);
    this.#logLevels.sync(session.caller).catch(this.onError);
  }

  /**
   * A session ended. Its calls' upstream requests were cancelled already: the SDK aborts the signal
   * of every request of a closed connection, and that signal is the calls' own.
   */
  async removeSession(id: string): Promise<void> {
    const session = this.sessions.get(id);
    if (!session) return;
    this.sessions.delete(id);
    await Promise.allSettled([...session.subscriptions].map((uri) => this.unsubscribe(session, uri)));
    this.#logLevels.sync(session.caller).catch(this.onError);
  }

  /** The link of one downstream request (`CallOptions.link`): what its upstream requests are traced back to. Call `end()` when it settles. */
  link(session: DownstreamSession, method: string, extra: Extra): DownstreamCall {
    return new DownstreamCall(session, method, extra, this.#requests);
  }

  /** A client set its log level: record it, and lower the upstreams' level when it asks for more. */
  async setLogLevel(session: DownstreamSession, level: LoggingLevel): Promise<void> {
    session.logLevel = level;
    await this.#logLevels.sync(session.caller);
  }

  /** Subscribes a session to an exposed URI as part of its call `link`; the upstream is subscribed once, whatever the number of sessions. */
  subscribe(session: DownstreamSession, uri: string, link: DownstreamCall): Promise<void> {
    return this.#subscriptions.subscribe(session, uri, link);
  }

  /** Unsubscribes a session; the upstream is unsubscribed when no session is left. */
  unsubscribe(session: DownstreamSession, uri: string): Promise<void> {
    return this.#subscriptions.unsubscribe(session, uri);
  }

  /**
   * A client announced new roots: they are asked again with its next call, which then runs on an
   * upstream session bound to the new roots (core's per-caller sessions). No upstream is told: one
   * shared by other callers must not switch to this client's roots.
   */
  rootsChanged(session: DownstreamSession): void {
    rootsChanged(session);
  }

  /**
   * Whether `caller` may see `server` (the access plugin's rules, when it is installed): a log
   * message of that server, or its entry in a list's `_meta`, never reaches a caller denied it.
   */
  visible(caller: string, server: string): boolean {
    const access = (this.bridge as unknown as { access?: { serverVisible?: (server: string, caller: string) => boolean } }).access;
    return access?.serverVisible?.(server, caller) ?? true;
  }

  // ------------------------------------------------------------------ upstream → downstream

  #notification(server: string, client: Client, method: string, params: Record<string, unknown> | undefined): void {
    if (method === 'notifications/message' && params) {
      const level = params.level;
      // The caller the upstream session works for, never every session: a log may quote its arguments.
      for (const session of this.#requests.logTargets(client)) {
        if (LogLevels.allows(session, level) && this.visible(session.caller, server))
          this.#send(session, { method, params: { ...params, logger: params.logger ?? server } as never });
      }
    } else if (method === 'notifications/elicitation/complete' && typeof params?.elicitationId === 'string') {
      // Only the client that was sent the elicitation knows it; an unknown id is dropped (as a client would ignore it).
      const session = this.#requests.takeElicitation(server, params.elicitationId);
      if (session) this.#send(session, { method, params } as ServerNotification);
    } else if (method === 'notifications/resources/updated' && typeof params?.uri === 'string') {
      if (this.bridge.state !== 'ready') return;
      const uri = this.bridge.exposedUri(server, params.uri);
      for (const id of this.#subscriptions.sessionsOf(uri)) {
        const session = this.sessions.get(id);
        if (session) this.#send(session, { method, params: { ...params, uri } });
      }
    }
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
