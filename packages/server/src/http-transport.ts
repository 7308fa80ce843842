import type { IncomingMessage, ServerResponse } from 'node:http';
import { isJsonContentType } from '@modelcontextprotocol/sdk/shared/mediaType.js';
import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  JSONRPCMessageSchema,
  SUPPORTED_PROTOCOL_VERSIONS,
  type JSONRPCMessage,
  type MessageExtraInfo,
  type RequestId,
} from '@modelcontextprotocol/sdk/types.js';

/** How many messages one POST may carry (the SDK's own transport allows as many). */
const MAX_BATCH_SIZE = 100;

/**
 * One POST that carried requests: its answer, sent as one JSON body when its one response is the
 * first thing ready for it, or as an SSE stream as soon as anything else (progress, a log message,
 * a sampling request, the first response of a batch with more to come) has to go first, or when
 * the answer is slow in coming (see {@link HttpSessionTransport.tick}).
 */
interface PostStream {
  readonly res: ServerResponse;
  /** Request ids still waiting for their response. */
  readonly waiting: Set<RequestId>;
  /** A batch is answered with an array, even of one response. */
  readonly batch: boolean;
  /** The SSE stream has begun (headers sent). */
  sse: boolean;
  /** Last time anything was written (or the stream was opened), for keep-alives. */
  lastWrite: number;
  ended: boolean;
}

const SSE_HEADERS = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache, no-transform',
  connection: 'keep-alive',
  'x-accel-buffering': 'no',
} as const;

/**
 * A big text as bytes. A string the socket cannot take at once (a client reading slowly, or not at
 * all) is copied into a buffer sized for UTF-8's worst case, 3 bytes a character: an unread 9 MiB
 * answer held 27 MiB. Small texts stay strings (the socket takes them at once, with no copy).
 */
function wire(text: string): string | Buffer {
  return text.length > 65_536 ? Buffer.from(text) : text;
}

function sseEvent(message: JSONRPCMessage): string | Buffer {
  return wire(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
}

function jsonError(res: ServerResponse, status: number, code: number, message: string, headers: Record<string, string> = {}): void {
  res
    .writeHead(status, { 'content-type': 'application/json', ...headers })
    .end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

/**
 * The answer to a request the session accepted but closed before it was done (the gateway stopped
 * after its drain period, the client deleted the session): the call was handed on, so it may have
 * run. JSON-RPC -32603, which a client's retry treats as "sent": only a call safe to repeat is resent.
 */
export const MAY_HAVE_RUN_MESSAGE = 'the gateway stopped before the call finished: it may have run';

function mayHaveRun(id: RequestId): JSONRPCMessage {
  return {
    jsonrpc: '2.0',
    id,
    error: { code: -32603, message: MAY_HAVE_RUN_MESSAGE, data: { reason: 'gateway-stopped', mayHaveRun: true } },
  };
}

const isRequest = (m: JSONRPCMessage): m is JSONRPCMessage & { id: RequestId; method: string } => 'method' in m && 'id' in m;
const isResponse = (m: JSONRPCMessage): m is JSONRPCMessage & { id: RequestId } => !('method' in m) && 'id' in m;

/**
 * The server side of one Streamable HTTP session, written on `node:http` directly. The gateway
 * checks Host, Origin, the token and the session id before a request gets here, and parses the body.
 *
 * Why not the SDK's `StreamableHTTPServerTransport`: it converts every request to a web `Request`
 * and answers with a web `Response` over a `ReadableStream` (through `@hono/node-server`), even for
 * a call whose only message is its result. Measured with `pnpm bench gateway`, that costs ~330 µs
 * of CPU per call on this host, five times the whole stdio path. Here a call whose result is the
 * first message ready is answered with one `application/json` body in one write; the stream (SSE)
 * starts only when something has to go before the result, as the spec lets a server choose per
 * request.
 *
 * What it implements of the spec (2025-06-18, and the earlier versions the SDK supports): POST with
 * one message or a batch (202 when it carries no request), the standalone GET stream (one per
 * session, 409 for a second), DELETE, the Accept and Content-Type checks (406, 415), the
 * `MCP-Protocol-Version` check (400), keep-alive comments on quiet streams. Not implemented:
 * resumability (`Last-Event-ID`); a client reconnecting after a dropped stream gets a new one, as
 * with the SDK's transport without an event store.
 */
export class HttpSessionTransport implements Transport {
  sessionId: string;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage, extra?: MessageExtraInfo) => void;

  /** The open POST streams by the request ids they answer. */
  readonly #byRequest = new Map<RequestId, PostStream>();
  readonly #streams = new Set<PostStream>();
  #standalone: { res: ServerResponse; lastWrite: number } | undefined;
  #initialized = false;
  #closed = false;
  /** Stopping: requests already accepted are still answered; new ones are refused unread. */
  #draining = false;
  #idle: (() => void)[] = [];
  readonly #onInitialized: () => void;

  constructor(sessionId: string, onInitialized: () => void) {
    this.sessionId = sessionId;
    this.#onInitialized = onInitialized;
  }

  async start(): Promise<void> {}

  /** Serves one HTTP request of this session; `body` is the parsed JSON of a POST. */
  handleRequest(req: IncomingMessage, res: ServerResponse, body: unknown): void {
    if (this.#closed) return jsonError(res, 404, -32001, 'Session not found');
    switch (req.method) {
      case 'POST':
        return this.#post(req, res, body);
      case 'GET':
        return this.#get(req, res);
      case 'DELETE':
        if (!this.#versionOk(req, res)) return;
        res.writeHead(200).end();
        void this.close();
        return;
      default:
        return jsonError(res, 405, -32000, 'Method not allowed.', { allow: 'GET, POST, DELETE' });
    }
  }

  #versionOk(req: IncomingMessage, res: ServerResponse): boolean {
    const version = req.headers['mcp-protocol-version'];
    if (version === undefined || SUPPORTED_PROTOCOL_VERSIONS.includes(version as string)) return true;
    jsonError(
      res,
      400,
      -32000,
      `Bad Request: Unsupported protocol version: ${String(version)} (supported versions: ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')})`,
    );
    return false;
  }

  #post(req: IncomingMessage, res: ServerResponse, body: unknown): void {
    const accept = req.headers.accept;
    if (!accept?.includes('application/json') || !accept.includes('text/event-stream')) {
      return jsonError(res, 406, -32000, 'Not Acceptable: Client must accept both application/json and text/event-stream');
    }
    if (!isJsonContentType(req.headers['content-type'])) {
      return jsonError(res, 415, -32000, 'Unsupported Media Type: Content-Type must be application/json');
    }
    const batch = Array.isArray(body);
    if (batch && body.length > MAX_BATCH_SIZE)
      return jsonError(res, 400, -32600, `Invalid Request: Batch must not exceed ${MAX_BATCH_SIZE} messages`);
    let messages: JSONRPCMessage[];
    try {
      messages = batch ? body.map((m) => JSONRPCMessageSchema.parse(m)) : [JSONRPCMessageSchema.parse(body)];
    } catch {
      return jsonError(res, 400, -32700, 'Parse error: Invalid JSON-RPC message');
    }
    const initializing = messages.some((m) => isRequest(m) && m.method === 'initialize');
    if (initializing) {
      if (this.#initialized) return jsonError(res, 400, -32600, 'Invalid Request: Server already initialized');
      if (messages.length > 1) return jsonError(res, 400, -32600, 'Invalid Request: Only one initialization request is allowed');
    } else {
      if (!this.#initialized) return jsonError(res, 400, -32000, 'Bad Request: Server not initialized');
      if (!this.#versionOk(req, res)) return;
    }
    const extra: MessageExtraInfo = { requestInfo: { headers: req.headers } };
    const requests = messages.filter(isRequest);
    // A stopping gateway never accepts new work: 404 tells the client, truthfully, that it did not run.
    if (this.#draining && requests.length > 0) return jsonError(res, 404, -32001, 'Session not found');
    if (requests.length === 0) {
      res.writeHead(202).end();
      for (const message of messages) this.onmessage?.(message, extra);
      this.#dropCancelled(messages);
      return;
    }
    if (initializing) {
      this.#initialized = true;
      this.#onInitialized();
    }
    const stream: PostStream = { res, waiting: new Set(requests.map((r) => r.id)), batch, sse: false, lastWrite: Date.now(), ended: false };
    this.#streams.add(stream);
    for (const id of stream.waiting) this.#byRequest.set(id, stream);
    // A client that goes away: its answers have nowhere to go (the calls go on, as with the SDK's
    // transport; a client cancels a call with notifications/cancelled, not by disconnecting).
    res.once('close', () => this.#forget(stream));
    for (const message of messages) this.onmessage?.(message, extra);
    this.#dropCancelled(messages);
  }

  /**
   * A request the client cancelled gets no response (the SDK sends none for an aborted handler):
   * its POST must not wait for one, or it stays open (and the session busy) until the client leaves.
   */
  #dropCancelled(messages: JSONRPCMessage[]): void {
    for (const m of messages) {
      if (!('method' in m) || m.method !== 'notifications/cancelled' || 'id' in m) continue;
      const id = (m.params as { requestId?: RequestId } | undefined)?.requestId;
      const stream = id === undefined ? undefined : this.#byRequest.get(id);
      if (!stream) continue;
      this.#byRequest.delete(id!);
      stream.waiting.delete(id!);
      if (stream.waiting.size > 0) continue;
      // Nothing left to answer: an empty stream (or the end of the one that was going).
      this.#end(stream);
      this.#startSse(stream);
      stream.res.end();
    }
  }

  #get(req: IncomingMessage, res: ServerResponse): void {
    if (!req.headers.accept?.includes('text/event-stream')) {
      return jsonError(res, 406, -32000, 'Not Acceptable: Client must accept text/event-stream');
    }
    if (!this.#initialized) return jsonError(res, 400, -32000, 'Bad Request: Server not initialized');
    if (!this.#versionOk(req, res)) return;
    if (this.#standalone) return jsonError(res, 409, -32000, 'Conflict: Only one SSE stream is allowed per session');
    res.writeHead(200, { ...SSE_HEADERS, 'mcp-session-id': this.sessionId });
    res.flushHeaders();
    const standalone = { res, lastWrite: Date.now() };
    this.#standalone = standalone;
    res.once('close', () => {
      if (this.#standalone === standalone) this.#standalone = undefined;
    });
  }

  // The SDK's Transport interface wants a promise; async turns a throw into the rejection callers expect.
  // eslint-disable-next-line @typescript-eslint/require-await
  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    const response = isResponse(message);
    const id = response ? message.id : options?.relatedRequestId;
    if (id === undefined) {
      // Not about any request: the standalone stream, when the client opened one.
      const standalone = this.#standalone;
      if (standalone) {
        standalone.res.write(sseEvent(message));
        standalone.lastWrite = Date.now();
      }
      return;
    }
    const stream = this.#byRequest.get(id);
    // Its POST is gone (the client disconnected, or the session closed): nowhere to deliver it.
    if (!stream) return;
    if (!response) {
      this.#startSse(stream);
      stream.res.write(sseEvent(message));
      stream.lastWrite = Date.now();
      return;
    }
    this.#byRequest.delete(id);
    stream.waiting.delete(id);
    const last = stream.waiting.size === 0;
    if (last && !stream.sse) {
      // The one response, and nothing went before it: one JSON body, one write.
      this.#end(stream);
      const body = wire(JSON.stringify(stream.batch ? [message] : message));
      stream.res
        .writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'mcp-session-id': this.sessionId })
        .end(body);
      return;
    }
    // A batch with more to come sends this one now, not when its slowest request is done.
    this.#startSse(stream);
    stream.res.write(sseEvent(message));
    stream.lastWrite = Date.now();
    if (last) {
      this.#end(stream);
      stream.res.end();
    }
  }

  /** The POST is answered (or abandoned): nothing more goes to it. */
  #end(stream: PostStream): void {
    stream.ended = true;
    this.#streams.delete(stream);
    for (const id of stream.waiting) if (this.#byRequest.get(id) === stream) this.#byRequest.delete(id);
    if (this.#streams.size === 0 && this.#idle.length > 0) for (const resolve of this.#idle.splice(0)) resolve();
  }

  /**
   * Starts stopping: requests already accepted go on and are answered; new requests are refused
   * with 404 (never accepted, so never run). Resolves once every accepted request has its answer.
   */
  drain(): Promise<void> {
    this.#draining = true;
    if (this.#streams.size === 0 || this.#closed) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Switches a POST's answer to an SSE stream (once). */
  #startSse(stream: PostStream): void {
    if (stream.sse) return;
    stream.sse = true;
    stream.res.writeHead(200, { ...SSE_HEADERS, 'mcp-session-id': this.sessionId });
  }

  /** Answers each request still waiting on `stream` with an error that says the call may have run, and ends it. */
  #abandon(stream: PostStream): void {
    stream.ended = true;
    if (stream.res.writableEnded || stream.res.destroyed) return;
    const answers = [...stream.waiting].map((id) => mayHaveRun(id));
    if (!stream.sse && !stream.res.headersSent) {
      const text = JSON.stringify(stream.batch ? answers : answers[0]);
      stream.res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': this.sessionId }).end(text);
      return;
    }
    for (const answer of answers) stream.res.write(sseEvent(answer));
    stream.res.end();
  }

  /**
   * Ends a response the gateway gave up on (its client stopped reading: see `sendTimeoutMs`): the
   * calls it was still to answer are cancelled as if the client had sent `notifications/cancelled`
   * (their upstream requests are cancelled too), and the socket is destroyed, freeing what it held.
   */
  kill(res: ServerResponse, reason: string): void {
    for (const stream of this.#streams) {
      if (stream.res !== res) continue;
      const waiting = [...stream.waiting];
      this.#end(stream);
      for (const requestId of waiting)
        this.onmessage?.({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId, reason } });
    }
    res.destroy();
  }

  #forget(stream: PostStream): void {
    if (!stream.ended) this.#end(stream);
  }

  /**
   * Called every few seconds by the gateway, for every session: a POST whose answer has taken
   * longer than `keepAliveMs` starts its SSE stream (HTTP clients give up on response headers that
   * take too long: undici's default is 300 s), and every quiet stream gets a comment so proxies and
   * clients do not drop it.
   */
  tick(now: number, keepAliveMs: number): void {
    for (const stream of this.#streams) {
      if (now - stream.lastWrite < keepAliveMs) continue;
      this.#startSse(stream);
      stream.res.write(': keepalive\n\n');
      stream.lastWrite = now;
    }
    const standalone = this.#standalone;
    if (standalone && now - standalone.lastWrite >= keepAliveMs) {
      standalone.res.write(': keepalive\n\n');
      standalone.lastWrite = now;
    }
  }

  // The SDK's Transport interface wants a promise; async turns a throw into the rejection callers expect.
  // eslint-disable-next-line @typescript-eslint/require-await
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // Requests already accepted may have run (they were handed on): never 404, which says "not run".
    for (const stream of this.#streams) this.#abandon(stream);
    this.#streams.clear();
    this.#byRequest.clear();
    for (const resolve of this.#idle.splice(0)) resolve();
    this.#standalone?.res.end();
    this.#standalone = undefined;
    this.onclose?.();
  }
}
