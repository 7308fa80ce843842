import { RequestSignal, type CallerRequest, type CallLink, type UpstreamRequest } from '@mcp-bridge/core';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import { ResultSchema, type ServerNotification, type ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import type { DownstreamSession } from './sessions.js';

/** What the SDK server hands a request handler. */
export type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/** Where a {@link DownstreamCall} reports the upstream connections working for it. */
export interface InFlight {
  /** `call` has one more request in flight on `client`. */
  add(call: DownstreamCall, client: Client): void;
  /** One request of `call` on `client` settled. */
  remove(call: DownstreamCall, client: Client): void;
}

/**
 * One downstream request being served: the gateway's {@link CallLink}, created per request by the
 * session and handed to the bridge as `CallOptions.link`. Core's terminal reports every upstream
 * request of the call to it, so the router knows which upstream connections work for this caller
 * right now; an upstream's server-to-client request is then sent with {@link ask}, on the call's
 * own stream. Cancellation needs nothing here: the call's `signal` is the request's, which the SDK
 * aborts on the client's `notifications/cancelled` or when its connection closes.
 */
export class DownstreamCall implements CallLink {
  readonly session: DownstreamSession;
  /** The downstream method; only upstream requests of that same method are counted as caused by it. */
  readonly method: string;
  readonly signal: AbortSignal;
  /**
   * One view of the request's signal for all the call's upstream requests: one `abort` listener per
   * call. Never released: the signal is this request's own and goes with it.
   */
  readonly requestSignal: RequestSignal;
  /** The client, for core's per-caller upstream sessions. */
  readonly client: string;
  /** The call settled: an upstream request still in flight for it (a hedge being cancelled) no longer makes its caller the one to ask. */
  done = false;
  /** The logical server the call's request went to (the last one sent), for the served-request report. */
  server: string | undefined;
  /** The replica (upstream id) the call's request went to (the last one sent): where a task it created lives. */
  upstream: string | undefined;
  readonly #extra: Extra;
  readonly #inFlight: InFlight;

  constructor(session: DownstreamSession, method: string, extra: Extra, inFlight: InFlight) {
    this.session = session;
    this.method = method;
    this.client = session.key;
    this.signal = extra.signal;
    this.requestSignal = new RequestSignal(extra.signal, true);
    this.#extra = extra;
    this.#inFlight = inFlight;
  }

  rootsKey(): string {
    return this.session.rootsKey;
  }

  sent(request: UpstreamRequest): void {
    // Another method is a plugin's side request made with this context, not what the caller asked for.
    if (request.method !== this.method) return;
    this.server = request.server;
    this.upstream = request.upstream.id;
    this.#inFlight.add(this, request.client);
  }

  settled(request: UpstreamRequest): void {
    if (request.method === this.method) this.#inFlight.remove(this, request.client);
  }

  /** Sent as part of this call, so over HTTP it travels on the call's own response stream. */
  ask(request: CallerRequest, options: { signal?: AbortSignal; timeout?: number }): Promise<Record<string, unknown>> {
    return this.#extra.sendRequest(request as ServerRequest, ResultSchema, options);
  }

  /** The caller's latest OAuth token, for an upstream that exchanges it (RFC 8693); never sent as is. */
  subjectToken(): string | undefined {
    return this.session.identity?.subjectToken();
  }

  /** The downstream request was answered (or failed). */
  end(): void {
    this.done = true;
  }
}
