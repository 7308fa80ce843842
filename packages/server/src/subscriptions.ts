import type { Bridge, CallLink } from '@mcp-bridge/core';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { rpcError } from './errors.js';
import type { DownstreamSession } from './sessions.js';

interface Subscription {
  server: string;
  upstreamUri: string;
  sessions: Set<string>;
  ready: Promise<void>;
  /** The upstream connections (clients) that accepted the subscribe and so send its updates. */
  holders: Set<Client>;
}

/**
 * The resource subscriptions of the sessions of one bridge: each exposed URI is subscribed upstream
 * once, whatever the number of sessions, and `resources/updated` goes to the sessions subscribed.
 */
export class Subscriptions {
  readonly #bridge: Bridge;
  readonly #onError: (error: unknown) => void;
  readonly #byUri = new Map<string, Subscription>();

  constructor(bridge: Bridge, onError: (error: unknown) => void) {
    this.#bridge = bridge;
    this.#onError = onError;
  }

  /**
   * Subscribes a session to an exposed URI, as part of its downstream call `link`. The upstream
   * connection that accepted the subscribe becomes its holder: the link reports every connection
   * the request was sent on, and with retries the last one is the one that answered.
   */
  async subscribe(session: DownstreamSession, uri: string, link: CallLink): Promise<void> {
    let sub = this.#byUri.get(uri);
    if (!sub) {
      const target = this.#bridge.resolveResource(uri);
      if (!target) throw rpcError(-32002, `no server provides resource "${uri}"`, { uri });
      const created: Subscription = {
        server: target.server,
        upstreamUri: target.upstreamUri,
        sessions: new Set(),
        ready: Promise.resolve(),
        holders: new Set(),
      };
      let last: Client | undefined;
      const holding: CallLink = {
        signal: link.signal,
        sent: (request) => {
          if (request.method === 'resources/subscribe') last = request.client;
          link.sent(request);
        },
        settled: (request) => link.settled(request),
        ask: (request, options) => link.ask(request, options),
      };
      const options = { caller: session.caller, link: holding };
      created.ready = this.#bridge.request(target.server, 'resources/subscribe', { uri: target.upstreamUri }, options).then(() => {
        if (last !== undefined) created.holders.add(last);
      });
      this.#byUri.set(uri, created);
      // A failed upstream subscribe must not stay in the table: the next client tries again.
      created.ready.catch(() => {
        if (this.#byUri.get(uri) === created) this.#byUri.delete(uri);
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
    const sub = this.#byUri.get(uri);
    if (!sub || !sub.sessions.delete(session.id) || sub.sessions.size > 0) return;
    this.#byUri.delete(uri);
    if (this.#bridge.state !== 'ready') return;
    // Every connection that holds it, and only those (with a pool or replicas, not any connection).
    const holders = [...sub.holders].filter(isOpen);
    sub.holders.clear();
    const unsubscribe = (client: Client): Promise<unknown> =>
      client.unsubscribeResource({ uri: sub.upstreamUri }).catch((error: unknown) => this.#onError(error));
    await Promise.all(holders.map(unsubscribe));
  }

  /** The ids of the sessions subscribed to an exposed URI. */
  sessionsOf(uri: string): Iterable<string> {
    return this.#byUri.get(uri)?.sessions ?? [];
  }

  /**
   * A new upstream connection of `server` takes over the subscriptions whose connections are all
   * gone (a restarted process, a new HTTP session, a replica that died): it is subscribed to their
   * URIs at once, ahead of the calls that waited for it, so subscribed clients keep getting
   * `resources/updated`. Subscriptions still held by an open connection (a pool's other sessions,
   * another replica) are left where they are, so no update comes twice.
   */
  takeOver(server: string, client: Client): void {
    for (const sub of this.#byUri.values()) {
      // Never held yet: its first subscribe is still on its way (and may be what opened this connection).
      if (sub.server !== server || sub.holders.size === 0) continue;
      for (const holder of sub.holders) if (!isOpen(holder)) sub.holders.delete(holder);
      if (sub.holders.size > 0) continue;
      sub.holders.add(client);
      client.subscribeResource({ uri: sub.upstreamUri }).catch((error: unknown) => {
        sub.holders.delete(client);
        this.#onError(error);
      });
    }
  }
}

/** Whether an upstream connection is still open (the SDK drops its transport when it closes). */
function isOpen(client: Client): boolean {
  return client.transport !== undefined;
}
