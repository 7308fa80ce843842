import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/client';

/** JSON-RPC `data` marking the error mcp-bridge puts in place of a result whose response stream broke. */
export const STREAM_LOST_MARK = 'mcp-bridge/streamLost';

/** Thrown for a request whose response stream broke before the result: it reached the server and may have run. */
export class ResponseStreamLostError extends Error {
  override readonly name = 'ResponseStreamLostError';
}

type Message = { id?: unknown; method?: unknown; result?: unknown; error?: unknown };
type Handler = (message: never, extra?: unknown) => void;

/**
 * Makes a broken response stream fail its request at once. A stateless (2026-07-28) server cannot
 * resume a stream (there is no session to resume it in), and the SDK's transport would otherwise try
 * to, then leave the request waiting for its timeout. Here reconnection is off, and a request whose
 * stream ended without its answer is answered with an error the client adapter turns into
 * {@link ResponseStreamLostError}: the failure verdict then says "may have run" (not "not sent"), so
 * the retry rules re-issue it only when the call is safe to repeat.
 */
export function failLostStreams(transport: StreamableHTTPClientTransport): void {
  // Requests sent and not answered yet (an answer, its stream's end or its abort removes one).
  const pending = new Set<unknown>();
  let deliver: Handler | undefined;
  // Who the SDK client delivers to is set at connect; see every answer on its way.
  Object.defineProperty(transport, 'onmessage', {
    configurable: true,
    get: () => {
      // Bound to the handler of this moment: whoever chains it (`const prev = t.onmessage`) must not call itself.
      const current = deliver;
      return current === undefined
        ? undefined
        : (message: Message, extra?: unknown) => {
            if ('result' in message || 'error' in message) pending.delete(message.id);
            current(message as never, extra);
          };
    },
    set: (handler: Handler | undefined) => {
      deliver = handler;
    },
  });
  const send = transport.send.bind(transport);
  transport.send = (message, options) => {
    const request = message as Message;
    const method = request.method;
    if (typeof method !== 'string' || request.id === undefined || method === 'subscriptions/listen') return send(message, options);
    const id = request.id;
    pending.add(id);
    options?.requestSignal?.addEventListener('abort', () => pending.delete(id), { once: true });
    const sending = send(message, {
      ...options,
      onRequestStreamEnd: () => {
        options?.onRequestStreamEnd?.();
        if (!pending.delete(id)) return;
        const error = {
          code: -32000,
          message: `the response stream of ${method} broke before its result`,
          data: { [STREAM_LOST_MARK]: true },
        };
        deliver?.({ jsonrpc: '2.0', id, error } as never);
      },
    });
    // The server closed the socket of a request it had received, before any response header (it may
    // have run it: the test server's `drop-after`, a proxy cut): the same loss as a stream that broke.
    return sending.catch((error: unknown) => {
      if (pending.delete(id) && closedAfterSending(error))
        throw new ResponseStreamLostError(`the response stream of ${method} broke before its result: it may have run`, { cause: error });
      throw error;
    });
  };
}

/**
 * Socket errors that mean the request was written and the connection then died (undici's "other side
 * closed", a reset): never a connection that could not be opened, which stays a plain transport
 * failure (provably unsent, see core's `neverSent`).
 */
const CLOSED_AFTER_SENDING = new Set(['UND_ERR_SOCKET', 'ECONNRESET']);

/** Whether `error` (or a cause, 4 deep) is one of {@link CLOSED_AFTER_SENDING}. */
function closedAfterSending(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && CLOSED_AFTER_SENDING.has(code)) return true;
  }
  return false;
}

/** Reconnection options that never reconnect: see {@link failLostStreams}. */
export const NO_RECONNECTION = {
  initialReconnectionDelay: 1_000,
  maxReconnectionDelay: 1_000,
  reconnectionDelayGrowFactor: 1,
  maxRetries: 0,
};
