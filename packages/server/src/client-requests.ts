import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ErrorCode,
  ListRootsRequestSchema,
  ResultSchema,
  type ClientCapabilities,
  type ServerRequest,
} from '@modelcontextprotocol/sdk/types.js';
import type { DownstreamCall, InFlight } from './downstream-call.js';
import { rpcError } from './errors.js';
import { capabilitiesOf, type DownstreamSession } from './sessions.js';

/** Server-to-client requests the gateway routes from upstreams to downstream clients. */
export type ClientMethod = 'sampling/createMessage' | 'elicitation/create' | 'roots/list';

/** URL-mode elicitations remembered for their completion notification, at most (a server that never completes them must not grow the table). */
const MAX_PENDING_ELICITATIONS = 1_000;

/** How long a downstream client may take to answer a routed sampling/elicitation/roots request. */
const CLIENT_REQUEST_TIMEOUT_MS = 10 * 60_000;

/** Who an upstream's server-to-client request goes to: a session, through its call in flight when there is one. */
export type Attribution = { session: DownstreamSession; call?: DownstreamCall } | { error: string };

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
  /** The session that last announced new roots, per upstream client: the owner of the roots/list that follows. */
  readonly #rootsOwner = new WeakMap<Client, string>();
  /** URL-mode elicitations awaiting their completion notification: server + id → session id. */
  readonly #elicitations = new Map<string, string>();

  constructor(sessions: ReadonlyMap<string, DownstreamSession>) {
    this.#sessions = sessions;
  }

  add(call: DownstreamCall, client: Client): void {
    let calls = this.#inFlight.get(client);
    if (!calls) this.#inFlight.set(client, (calls = new Map<DownstreamCall, number>()));
    calls.set(call, (calls.get(call) ?? 0) + 1);
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

  /** A session announced new roots to `client`: the roots/list that follows on it goes to this session. */
  rootsAnnounced(client: Client, session: DownstreamSession): void {
    this.#rootsOwner.set(client, session.id);
  }

  /** The session a URL-mode elicitation of `server` went to, forgotten once asked (its completion comes once). */
  takeElicitation(server: string, elicitationId: string): DownstreamSession | undefined {
    const key = `${server}\0${elicitationId}`;
    const session = this.#sessions.get(this.#elicitations.get(key) ?? '');
    this.#elicitations.delete(key);
    return session;
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
  attribute(client: Client, method: ClientMethod): Attribution {
    const calls = [...(this.#inFlight.get(client)?.keys() ?? [])].filter((c) => !c.done && this.#sessions.get(c.session.id) === c.session);
    let candidates = [...new Set(calls.map((c) => c.session))];
    if (candidates.length > 1) {
      const capable = candidates.filter((s) => hasCapability(capabilitiesOf(s), method));
      if (capable.length >= 1) candidates = capable;
    }
    if (candidates.length === 1) {
      const session = candidates[0]!;
      const call = calls.filter((c) => c.session === session).at(-1);
      return call ? { session, call } : { session };
    }
    if (candidates.length > 1) {
      // Never name the sessions: this text reaches the upstream, and through it, any client.
      return { error: `calls of ${candidates.length} clients are in flight on this server: the gateway cannot tell which one caused it` };
    }
    if (method === 'roots/list') {
      const owner = this.#rootsOwner.get(client);
      const session = owner === undefined ? undefined : this.#sessions.get(owner);
      if (session) return { session };
    }
    const count = this.#sessions.size;
    if (count === 1) return { session: this.#sessions.values().next().value! };
    return {
      error:
        count === 0
          ? 'no client is connected to the gateway'
          : `no call is in flight on this server and ${count} clients are connected: the gateway cannot tell which one to ask`,
    };
  }

  async #forward(
    server: string,
    client: Client,
    method: ClientMethod,
    params: unknown,
    signal: AbortSignal,
  ): Promise<Record<string, unknown>> {
    const target = this.attribute(client, method);
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
    if (call && !call.done) return call.ask(request, options);
    return session.server.request(request, ResultSchema, options);
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
