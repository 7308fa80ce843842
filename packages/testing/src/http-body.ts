import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Largest request body the test HTTP servers accept (a test sending more is a bug, answered 413). */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** What {@link readJson} returns when it has already answered the request. */
export const INVALID = Symbol('invalid body');

/** Reads a JSON body, answering 413/400 itself when it cannot (then returns {@link INVALID}). */
export async function readJson(req: IncomingMessage, res: ServerResponse): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) {
      sendJsonRpcError(res, 413, -32000, 'Request body too large');
      return INVALID;
    }
    chunks.push(buf);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    sendJsonRpcError(res, 400, -32700, 'Parse error');
    return INVALID;
  }
}

/** Answers with a JSON-RPC error body (id null) and an HTTP status. */
export function sendJsonRpcError(res: ServerResponse, status: number, code: number, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

/** Listens on `host:port` (0 picks a free port); resolves with the port and the origin URL, or rejects (EADDRINUSE ...). */
export async function listenOn(http: Server, port: number, host: string): Promise<{ port: number; origin: string }> {
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const actual = (http.address() as AddressInfo).port;
  return { port: actual, origin: `http://${host.includes(':') ? `[${host}]` : host}:${actual}` };
}
