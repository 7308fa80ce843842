import type { UpstreamSessionView } from '@mcp-bridge/core';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ErrorCode,
  ListRootsRequestSchema,
  type ClientCapabilities,
  type Root,
  type ServerRequest,
} from '@modelcontextprotocol/sdk/types.js';
import { DownstreamCall, type InFlight } from './downstream-call.js';
import { rpcError } from './errors.js';
import { capabilitiesOf, rootsFingerprint, type DownstreamSession } from './sessions.js';

/** Server-to-client requests the gateway routes from upstreams to downstream clients. */
export type ClientMethod = 'sampling/createMessage' | 'elicitation/create' | 'roots/list';

/** URL-mode elicitations remembered for their completion notification, at most (a server that never completes them must not grow the table). */
const MAX_PENDING_ELICITATIONS = 1_000;

/** How long a downstream client may take to answer a routed sampling/elicitation/roots request. */
const CLIENT_REQUEST_TIMEOUT_MS = 10 * 60_000;

/** Who an upstream's server-to-client request goes to: a session, through its call; or why no one (`ambiguous`: calls of several clients). */
export type Attribution = { session: DownstreamSession; call: DownstreamCall } | { error: string; ambiguous?: boolean };

/**
 * Routes upstream server-to-client requests (sampling, elicitation, roots) to the downstream
 * client that caused them. Knows, per upstream connection, the downstream calls whose requests are
 * in flight on it: their links ({@link DownstreamCall}) report each request core's terminal sends
 * and settles. No SDK method is patched: the handlers are the SDK client's public request handlers.
 */
export class ClientRequests implements InFlight {
  readonly #sessions: ReadonlyMap<string, DownstreamSession>;
  readonly #inFlight = new WeakMap<Client, Map<DownstreamCall, number>>();
  readonly #configured = new WeakSet<Client>();
  /** The sessions that made calls on each upstream client: where a log message no call caused may go. */
  readonly #users = new WeakMap<Client, Set<DownstreamSession>>();
  /** The roots each upstream client was last told, so it is told the same while no one holds it. */
  readonly #answeredRoots = new WeakMap<Client, Root[]>();
  /** URL-mode elicitations awaiting their completion notification: server + id → session id. */
  readonly #elicitations = new Map<string, string>();
  /** Core's view of the upstream session behind a client: its holder and roots binding. */
  readonly #sessionOf: (client: Client) => UpstreamSessionView | undefined;

  constructor(sessions: ReadonlyMap<string, DownstreamSession>, sessionOf: (client: Client) => UpstreamSessionView | undefined) {
    this.#sessions = sessions;
    this.#sessionOf = sessionOf;
  }

  add(call: DownstreamCall, client: Client): void {
    let calls = this.#inFlight.get(client);
    if (!calls) this.#inFlight.set(client, (calls = new Map<DownstreamCall, number>()));
    calls.set(call, (calls.get(call) ?? 0) + 1);
    let users = this.#users.get(client);
    if (!users) this.#users.set(client, (users = new Set()));
    users.add(call.session);
  }

  /**
   * The sessions a log message that arrived on `client` may go to: the one whose calls are in flight
   * there (or that holds it); none when calls of several are (a shared session: it cannot be told
   * whose it is); with no call at all, the sessions that used that upstream session and are still here.
   */
  logTargets(client: Client): DownstreamSession[] {
    const target = this.attribute(client);
    if ('session' in target) return [target.session];
    if (target.ambiguous) return [];
    const users = this.#users.get(client);
    if (!users) return [];
    for (const session of users) if (this.#sessions.get(session.id) !== session) users.delete(session);
    return [...users];
  }

  remove(call: DownstreamCall, client: Client): void {
    const calls = this.#inFlight.get(client);
    if (calls === undefined) return;
    const n = (calls.get(call) ?? 1) - 1;
    if (n <= 0) calls.delete(call);
    else calls.set(call, n);
  }

  /** Installs the handlers for server-to-client requests on an upstream client (once per client). */
  configure(server: string, client: Client): void {
    if (this.#configured.has(client)) return;
    this.#configured.add(client);
    const handle = (method: ClientMethod) => (request: { params?: unknown }, extra: { signal: AbortSignal }) =>
      this.#forward(server, client, method, request.params, extra.signal);
    for (const [schema, method] of [
      [CreateMessageRequestSchema, 'sampling/createMessage'],
      [ElicitRequestSchema, 'elicitation/create'],
      [ListRootsRequestSchema, 'roots/list'],
    ] as const) {
      try {
        client.setRequestHandler(schema as typeof ListRootsRequestSchema, handle(method));
      } catch {
        // The bridge's clientCapabilities do not include this one: the upstream will not ask for it.
      }
    }
  }

  /** The session a URL-mode elicitation of `server` went to, forgotten once asked (its completion comes once). */
  takeElicitation(server: string, elicitationId: string): DownstreamSession | undefined {
    const key = `${server}\0${elicitationId}`;
    const session = this.#sessions.get(this.#elicitations.get(key) ?? '');
    this.#elicitations.delete(key);
    return session;
  }

  /**
   * Which downstream session an upstream's server-to-client request (or log message) belongs to:
   * 1. the session whose calls are in flight on that upstream connection (the request rides its
   *    latest call); calls of several sessions (a `shared` upstream session) → refused;
   * 2. no call in flight: the caller that holds that upstream session (core's per-caller sessions:
   *    its call is about to be sent, e.g. a request during the session's initialize);
   * 3. otherwise no one: the call that caused it returned. Refused — never guessed from which
   *    clients happen to be connected or busy elsewhere.
   */
  attribute(client: Client): Attribution {
    const calls = [...(this.#inFlight.get(client)?.keys() ?? [])].filter((c) => !c.done && this.#sessions.get(c.session.id) === c.session);
    const candidates = [...new Set(calls.map((c) => c.session))];
    if (candidates.length === 1) {
      const session = candidates[0]!;
      return { session, call: calls.filter((c) => c.session === session).at(-1)! };
    }
    if (candidates.length > 1) {
      // Never name the sessions: this text reaches the upstream, and through it, any client.
      return {
        error: `calls of ${candidates.length} clients are in flight on this shared upstream session: the gateway cannot tell which one caused it`,
        ambiguous: true,
      };
    }
    const holder = this.#sessionOf(client)?.holder;
    if (holder instanceof DownstreamCall && !holder.done && this.#sessions.get(holder.session.id) === holder.session) {
      return { session: holder.session, call: holder };
    }
    return { error: 'no call of any client is in flight on this upstream session (the call that caused it has returned)' };
  }

  /**
   * The gateway answers `roots/list` itself: with the roots of the client that holds the upstream
   * session, which is then bound to them (core lends it only to callers with the same roots); with
   * no holder, what it was told before, or none (`[]`: the server's own configured roots apply). A
   * `shared` upstream session carries no caller's roots: always `[]`.
   */
  #roots(client: Client): { roots: Root[] } {
    const view = this.#sessionOf(client);
    let roots: Root[];
    if (view?.mode === 'shared') roots = [];
    else {
      const target = this.attribute(client);
      roots = 'session' in target ? (target.session.roots ?? []) : (this.#answeredRoots.get(client) ?? []);
    }
    this.#answeredRoots.set(client, roots);
    view?.bindRoots(rootsFingerprint(roots));
    return { roots };
  }

  async #forward(
    server: string,
    client: Client,
    method: ClientMethod,
    params: unknown,
    signal: AbortSignal,
  ): Promise<Record<string, unknown>> {
    if (method === 'roots/list') return this.#roots(client);
    const target = this.attribute(client);
    if ('error' in target)
      throw rpcError(ErrorCode.InvalidRequest, `[mcp-bridge] gateway: ${method} from server "${server}" refused: ${target.error}`);
    const { session, call } = target;
    if (!hasCapability(capabilitiesOf(session), method, params)) {
      const urlMode = method === 'elicitation/create' && (params as { mode?: unknown } | undefined)?.mode === 'url';
      throw rpcError(
        ErrorCode.MethodNotFound,
        `[mcp-bridge] gateway: ${method} from server "${server}" refused: the client did not declare the "${capabilityOf(method)}" capability${urlMode ? ' for URL mode' : ''}`,
      );
    }
    const request = { method, ...(params === undefined ? {} : { params }) } as ServerRequest;
    const options = { signal, timeout: CLIENT_REQUEST_TIMEOUT_MS };
    const elicitationId = urlElicitationId(method, params);
    // Its completion (notifications/elicitation/complete) comes later, on its own: it goes to this client.
    if (elicitationId !== undefined) this.#rememberElicitation(`${server}\0${elicitationId}`, session.id);
    // Asked through the causing call's link when there is one (over HTTP it travels on that call's stream).
    return call.ask(request, options);
  }

  /** Which client a URL-mode elicitation went to, by server and elicitation id (the oldest forgotten first). */
  #rememberElicitation(key: string, sessionId: string): void {
    this.#elicitations.delete(key);
    this.#elicitations.set(key, sessionId);
    if (this.#elicitations.size > MAX_PENDING_ELICITATIONS) this.#elicitations.delete(this.#elicitations.keys().next().value!);
  }
}

/** The id of a URL-mode elicitation request, when it is one. */
function urlElicitationId(method: ClientMethod, params: unknown): string | undefined {
  if (method !== 'elicitation/create') return undefined;
  const p = params as { mode?: unknown; elicitationId?: unknown } | undefined;
  return p?.mode === 'url' && typeof p.elicitationId === 'string' ? p.elicitationId : undefined;
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
