import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { createFixtureServer } from './fixture-server.js';

/** One request as the server saw it. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
}

/** A real HTTP server on 127.0.0.1 with an ephemeral port. */
export interface TestHttpServer {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  origin: string;
  /** Every request received, in order. */
  requests: RecordedRequest[];
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>;

async function serve(handler: Handler, requireBearer: string | undefined, onClose: () => Promise<void>): Promise<TestHttpServer> {
  const requests: RecordedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push({ method: req.method ?? '', path: url.pathname, headers: req.headers });
    if (requireBearer !== undefined && req.headers.authorization !== `Bearer ${requireBearer}`) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"unauthorized"}');
      return;
    }
    handler(req, res, url).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    async close() {
      await onClose();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Streamable HTTP (stateful sessions) at `/mcp`, one fixture McpServer per session. */
export async function startStreamableHttpServer(
  options: { requireBearer?: string } = {},
): Promise<TestHttpServer & { url: string; expireSessions(): void; sessionCount(): number }> {
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const servers = new Set<McpServer>();
  const handler: Handler = async (req, res, url) => {
    if (url.pathname !== '/mcp') {
      res.writeHead(404).end('not found');
      return;
    }
    const sessionId = req.headers['mcp-session-id'];
    if (typeof sessionId === 'string') {
      const transport = sessions.get(sessionId);
      if (!transport) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null }));
        return;
      }
      await transport.handleRequest(req, res);
      return;
    }
    if (req.method !== 'POST') {
      res.writeHead(400).end('missing session');
      return;
    }
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => void sessions.set(id, transport),
      onsessionclosed: (id) => void sessions.delete(id),
    });
    const mcp = createFixtureServer('streamable');
    servers.add(mcp);
    await mcp.connect(transport);
    await transport.handleRequest(req, res);
  };
  const base = await serve(handler, options.requireBearer, async () => {
    for (const mcp of servers) await mcp.close();
  });
  return {
    ...base,
    url: `${base.origin}/mcp`,
    expireSessions: () => sessions.clear(),
    sessionCount: () => sessions.size,
  };
}

/**
 * Legacy HTTP+SSE only: GET /sse opens the stream, POST /messages?sessionId= carries messages, and
 * a POST to /sse (a Streamable HTTP initialize) gets 405, as on servers that predate Streamable HTTP.
 */
export async function startSseServer(options: { requireBearer?: string } = {}): Promise<TestHttpServer & { url: string }> {
  const sessions = new Map<string, SSEServerTransport>();
  const servers = new Set<McpServer>();
  const handler: Handler = async (req, res, url) => {
    if (url.pathname === '/sse' && req.method === 'GET') {
      const transport = new SSEServerTransport('/messages', res);
      sessions.set(transport.sessionId, transport);
      const mcp = createFixtureServer('sse');
      servers.add(mcp);
      res.on('close', () => {
        sessions.delete(transport.sessionId);
        void mcp.close();
      });
      await mcp.connect(transport);
      return;
    }
    if (url.pathname === '/sse') {
      res.writeHead(405, { allow: 'GET' }).end('Method Not Allowed');
      return;
    }
    if (url.pathname === '/messages' && req.method === 'POST') {
      const transport = sessions.get(url.searchParams.get('sessionId') ?? '');
      if (!transport) {
        res.writeHead(404).end('unknown session');
        return;
      }
      await transport.handlePostMessage(req, res);
      return;
    }
    res.writeHead(404).end('not found');
  };
  const base = await serve(handler, options.requireBearer, async () => {
    for (const mcp of servers) await mcp.close();
  });
  return { ...base, url: `${base.origin}/sse` };
}

/** Accepts every request and never answers: for connect timeouts. */
export async function startHangingServer(): Promise<TestHttpServer & { url: string }> {
  const base = await serve(
    async () => {
      // leave the response open; close() drops the socket
    },
    undefined,
    async () => {},
  );
  return { ...base, url: `${base.origin}/mcp` };
}
