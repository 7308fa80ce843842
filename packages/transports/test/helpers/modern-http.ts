import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { createMcpHandler, type McpServer } from '@modelcontextprotocol/server';
// @ts-expect-error -- a plain .mjs fixture shared with the stdio child; no types
import { createModernServer } from '../fixtures/modern-lib.mjs';

/** The SDK v2 server type, for tests of packages that do not depend on `@modelcontextprotocol/server` themselves. */
export type ModernServer = McpServer;

/** One POST/GET/DELETE as the modern server saw it, with the parsed JSON body when there was one. */
export interface ModernRecordedRequest {
  method: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

/** A v2 `createMcpHandler` server on a real node http server on 127.0.0.1. */
export interface ModernHttpServer {
  url: string;
  requests: ModernRecordedRequest[];
  /** The handler's `subscriptions/listen` publisher. */
  notify: ReturnType<typeof createMcpHandler>['notify'];
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Web Request from a node request (body already read), so the SDK's fetch-shaped handler can serve it. */
function toRequest(req: IncomingMessage, res: ServerResponse, url: string, body: Buffer): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value === 'string') headers.set(name, value);
    else if (Array.isArray(value)) for (const v of value) headers.append(name, v);
  }
  // The client going away (an aborted fetch: how a modern client cancels a streamed call) aborts the request.
  const gone = new AbortController();
  res.on('close', () => gone.abort());
  const init: RequestInit = { method: req.method ?? 'GET', headers, signal: gone.signal };
  if (body.length > 0) init.body = body;
  return new Request(url, init);
}

async function writeResponse(response: Response, res: ServerResponse, breakStream: boolean): Promise<void> {
  res.writeHead(response.status, Object.fromEntries(response.headers.entries()));
  if (response.body === null) {
    res.end();
    return;
  }
  const stream = Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>);
  res.on('close', () => stream.destroy());
  if (breakStream) {
    // The first event goes out, then the connection drops: the result never arrives.
    stream.once('data', (chunk: Buffer) => res.write(chunk, () => res.socket?.destroy()));
    return;
  }
  stream.pipe(res);
}

/**
 * Starts a modern (2026-07-28) server: dual-era (`legacy: 'stateless'`, the SDK default) or
 * modern-only (`legacy: 'reject'`: `initialize` is refused).
 */
export async function startModernHttpServer(
  options: {
    legacy?: 'stateless' | 'reject';
    factory?: () => McpServer;
    /** Break the response stream of the requests it selects (after their first event). */
    breakStream?: (body: unknown) => boolean;
    /** Serve the requests it selects (they run), then close their socket before any response header. */
    cutBeforeHeaders?: (body: unknown) => boolean;
  } = {},
): Promise<ModernHttpServer> {
  const factory = options.factory ?? ((): McpServer => createModernServer('modern-http') as McpServer);
  const handler = createMcpHandler(() => factory(), { legacy: options.legacy ?? 'stateless' });
  const requests: ModernRecordedRequest[] = [];
  const server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      let parsed: unknown;
      try {
        parsed = body.length > 0 ? JSON.parse(body.toString('utf8')) : undefined;
      } catch {
        parsed = body.toString('utf8');
      }
      requests.push({ method: req.method ?? '', headers: req.headers, body: parsed });
      const response = await handler.fetch(toRequest(req, res, `http://127.0.0.1${req.url ?? '/'}`, body));
      if (options.cutBeforeHeaders?.(parsed) === true) {
        await response.arrayBuffer().catch(() => undefined);
        req.socket.destroy();
        return;
      }
      await writeResponse(response, res, options.breakStream?.(parsed) === true);
    })().catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    requests,
    notify: handler.notify,
    async close() {
      await handler.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
