import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { createTestServer } from './create-test-server.js';
import { TestLedger } from './ledger.js';
import { resolveTestServerOptions, type TestServerOptions } from './options.js';
import { INVALID, listenOn, readJson, sendJsonRpcError } from './http-body.js';

/** Options of {@link startHttpTestServer}. */
export interface HttpTestServerOptions extends TestServerOptions {
  /** Port to listen on. Default 0 (a free port). */
  port?: number;
  /** Interface to listen on. Default `'127.0.0.1'`. */
  host?: string;
}

/** A running HTTP test server. */
export interface HttpTestServer {
  /** Streamable HTTP endpoint, e.g. `http://127.0.0.1:PORT/mcp`. */
  url: string;
  /** Legacy SSE endpoint (`GET`); its messages go to `/messages?sessionId=...`. */
  sseUrl: string;
  port: number;
  /** Shared by every session (each session has its own McpServer). */
  ledger: TestLedger;
  /** Open sessions, Streamable HTTP and SSE together. */
  readonly sessionCount: number;
  /** Ends every session, then the HTTP server, destroying open sockets. Idempotent. */
  close(): Promise<void>;
}

interface Session {
  mcp: McpServer;
  close(): Promise<void>;
}

/** The sessions of one server, by transport. */
interface SessionStore {
  newServer(): McpServer;
  readonly streamable: Map<string, StreamableHTTPServerTransport>;
  readonly sse: Map<string, SSEServerTransport>;
  readonly sessions: Set<Session>;
}

/**
 * Starts a real `node:http` server with Streamable HTTP at `/mcp` (stateful: one McpServer per
 * session, ended by `DELETE` or `close()`; an unknown session id gets 404 so clients re-initialise)
 * and legacy SSE at `/sse` + `/messages`. `add_tool` therefore changes only the calling session.
 *
 * @throws TypeError for invalid options (before listening).
 * @example
 * const http = await startHttpTestServer({ name: 'gamma' });
 * const transport = new StreamableHTTPClientTransport(new URL(http.url));
 * // ...
 * await http.close();
 */
export async function startHttpTestServer(options: HttpTestServerOptions = {}): Promise<HttpTestServer> {
  const { port = 0, host = '127.0.0.1', ...serverOptions } = options;
  resolveTestServerOptions(serverOptions);
  const ledger = serverOptions.ledger ?? new TestLedger();
  const st: SessionStore = {
    newServer: () => createTestServer({ ...serverOptions, ledger }),
    streamable: new Map(),
    sse: new Map(),
    sessions: new Set(),
  };
  const { streamable, sse, sessions } = st;

  const http = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    let handling: Promise<void>;
    if (url.pathname === '/mcp') handling = handleMcp(st, req, res);
    else if (url.pathname === '/sse' && req.method === 'GET') handling = handleSse(st, res);
    else if (url.pathname === '/messages' && req.method === 'POST') handling = handleMessages(st, req, res, url);
    else handling = Promise.resolve(sendJsonRpcError(res, 404, -32000, 'Not found'));
    handling.catch((error: unknown) => {
      if (!res.headersSent) sendJsonRpcError(res, 500, -32603, error instanceof Error ? error.message : String(error));
      else res.destroy();
    });
  });

  const { port: actualPort, origin } = await listenOn(http, port, host);

  let closing: Promise<void> | undefined;
  return {
    url: `${origin}/mcp`,
    sseUrl: `${origin}/sse`,
    port: actualPort,
    ledger,
    get sessionCount() {
      return sessions.size;
    },
    close() {
      closing ??= (async () => {
        await Promise.allSettled([...sessions].map((s) => s.close()));
        sessions.clear();
        streamable.clear();
        sse.clear();
        await new Promise<void>((resolve) => {
          http.close(() => resolve());
          // Long-lived SSE responses and keep-alive sockets would otherwise hold close() open.
          http.closeAllConnections();
        });
      })();
      return closing;
    },
  };
}

/** Streamable HTTP at `/mcp`: a request of a known session, or an initialize that opens one. */
async function handleMcp(st: SessionStore, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const header = req.headers['mcp-session-id'];
  const sessionId = Array.isArray(header) ? header[0] : header;
  if (sessionId !== undefined) {
    const transport = st.streamable.get(sessionId);
    if (!transport) return sendJsonRpcError(res, 404, -32001, 'Session not found');
    const body = req.method === 'POST' ? await readJson(req, res) : undefined;
    if (body === INVALID) return;
    return transport.handleRequest(req, res, body);
  }
  if (req.method !== 'POST') return sendJsonRpcError(res, 400, -32000, 'Bad Request: Mcp-Session-Id header is required');
  const body = await readJson(req, res);
  if (body === INVALID) return;
  const initializing = Array.isArray(body) ? body.some((m) => isInitializeRequest(m)) : isInitializeRequest(body);
  if (!initializing) return sendJsonRpcError(res, 400, -32000, 'Bad Request: no session; send initialize first');

  const mcp = st.newServer();
  const transport = new StreamableHTTPServerTransport({
    sessionIdGenerator: () => randomUUID(),
    onsessioninitialized: (id) => {
      st.streamable.set(id, transport);
    },
  });
  const session: Session = { mcp, close: () => mcp.close() };
  st.sessions.add(session);
  // Fires for DELETE, close() and transport errors alike: forget the session exactly once.
  mcp.server.onclose = () => {
    st.sessions.delete(session);
    if (transport.sessionId !== undefined) st.streamable.delete(transport.sessionId);
  };
  await mcp.connect(transport);
  await transport.handleRequest(req, res, body);
  // A rejected initialize never gets a session id: nothing can reach this server again.
  if (transport.sessionId === undefined) await mcp.close();
}

/** Legacy SSE: `GET /sse` opens a session. */
async function handleSse(st: SessionStore, res: ServerResponse): Promise<void> {
  const transport = new SSEServerTransport('/messages', res);
  const mcp = st.newServer();
  const session: Session = { mcp, close: () => mcp.close() };
  st.sessions.add(session);
  st.sse.set(transport.sessionId, transport);
  mcp.server.onclose = () => {
    st.sessions.delete(session);
    st.sse.delete(transport.sessionId);
  };
  await mcp.connect(transport);
}

/** Legacy SSE: `POST /messages?sessionId=...` carries a client message. */
async function handleMessages(st: SessionStore, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const transport = st.sse.get(url.searchParams.get('sessionId') ?? '');
  if (!transport) return sendJsonRpcError(res, 404, -32001, 'Session not found');
  await transport.handlePostMessage(req, res);
}
