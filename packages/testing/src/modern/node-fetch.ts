import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { listenOn, sendJsonRpcError } from '../http-body.js';

/**
 * The v2 SDK's HTTP entry is fetch-shaped (`Request` in, `Response` out); the test servers run on
 * `node:http`. These two functions are the whole adapter (the SDK's `@modelcontextprotocol/node`
 * package does the same; a test server needs no extra dependency for it).
 */

/** A web `Request` for a node request whose body was already read; aborted when the client goes away. */
export function toWebRequest(req: IncomingMessage, res: ServerResponse, body: Buffer | undefined, origin: string): Request {
  const headers = new Headers();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
  const controller = new AbortController();
  // A response not finished when its connection closes was abandoned: the SDK then closes the exchange.
  res.on('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return new Request(new URL(req.url ?? '/', origin), {
    method: req.method,
    headers,
    signal: controller.signal,
    ...(body !== undefined && req.method !== 'GET' && req.method !== 'HEAD' ? { body: new Uint8Array(body) } : {}),
  });
}

/** Writes a web `Response` to a node response, streaming the body (SSE frames go out as they come). */
export async function writeWebResponse(response: Response, res: ServerResponse): Promise<void> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, key) => {
    headers[key] = value;
  });
  res.writeHead(response.status, headers);
  if (!response.body) {
    res.end();
    return;
  }
  res.flushHeaders();
  const reader: ReadableStreamDefaultReader<Uint8Array> = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (res.destroyed) break;
      res.write(value);
    }
  } finally {
    if (res.destroyed) await reader.cancel().catch(() => undefined);
    else res.end();
  }
}

/** Reads a node request's body (bounded; undefined when over `maxBytes`). */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > maxBytes) return undefined;
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

/**
 * A node HTTP server that hands requests for `/mcp` to `handle` (404 for any other path, 500 when
 * `handle` fails before answering), listening on `port`/`host`. `origin` is what `handle` needs to
 * rebuild the request's URL.
 */
export async function listenMcp(
  handle: (req: IncomingMessage, res: ServerResponse, origin: string) => Promise<void>,
  port: number,
  host: string,
): Promise<{ http: Server; origin: string; port: number }> {
  let origin = '';
  const http = createServer((req, res) => {
    const handling =
      new URL(req.url ?? '/', 'http://localhost').pathname === '/mcp'
        ? handle(req, res, origin)
        : Promise.resolve(sendJsonRpcError(res, 404, -32000, 'Not found'));
    handling.catch((error: unknown) => {
      if (!res.headersSent && !res.destroyed) sendJsonRpcError(res, 500, -32603, error instanceof Error ? error.message : String(error));
      else res.destroy();
    });
  });
  const listening = await listenOn(http, port, host);
  origin = listening.origin;
  return { http, origin, port: listening.port };
}
