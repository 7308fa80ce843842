import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest, type JSONRPCMessage, type RequestId } from '@modelcontextprotocol/sdk/types.js';
import { createFaultCore, createFaultMcpServer } from './create-fault-server.js';
import type { FaultLedger } from './fault-ledger.js';
import type { FaultPlan, FaultServerOptions } from './fault-options.js';
import { faultTarget, FaultTransport, type FaultCore } from './fault-transport.js';
import { INVALID, listenOn, readJson, sendJsonRpcError } from '../http-body.js';

/** Options of {@link startFaultHttpServer}. */
export interface FaultHttpServerOptions extends FaultServerOptions {
  /** Port. Default 0 (a free one). */
  port?: number;
  /** Interface. Default `'127.0.0.1'`. */
  host?: string;
}

/** A running fault server over Streamable HTTP. */
export interface FaultHttpServer {
  /** The endpoint, `http://127.0.0.1:PORT/mcp`. */
  url: string;
  port: number;
  /** Shared by every session. */
  ledger: FaultLedger;
  /** Replaces the fault plan (of one tool, or the global one) from the next request on. */
  setFaults(plan: FaultPlan, tool?: string): void;
  /** Open sessions. */
  readonly sessionCount: number;
  /** Sessions created so far (a re-initialise after `session-expired` or `crash` is a new one). */
  readonly sessionsCreated: number;
  /** Forgets every session now (the next request of each gets 404), like a server restart. */
  expireSessions(): Promise<void>;
  /** Ends every session and the HTTP server, destroying open sockets. Idempotent. */
  close(): Promise<void>;
}

interface Session {
  id: string | undefined;
  mcp: McpServer;
  transport: StreamableHTTPServerTransport;
  fault: FaultTransport;
  sockets: Map<RequestId, Socket>;
}

/**
 * Starts the fault server on a real `node:http` server, Streamable HTTP at `/mcp` (stateful, one
 * McpServer per session). Faults act at the HTTP level where HTTP has a way to say them:
 * `drop-*` destroy the request's socket, `crash` destroys it and forgets every session,
 * `session-expired` answers `404` and forgets the session, `retry-after` answers `429` (or
 * `503`) with a `Retry-After` header and a JSON-RPC error body carrying `data.retryAfter`.
 *
 * @throws TypeError for invalid options (before listening).
 * @example
 * const http = await startFaultHttpServer({ faults: { script: ['session-expired'] } });
 * const bridge = createBridge({ servers: { remote: { url: http.url } }, plugins: [retry()] });
 * // ...
 * await http.close();
 */
export async function startFaultHttpServer(options: FaultHttpServerOptions = {}): Promise<FaultHttpServer> {
  const { port = 0, host = '127.0.0.1', ...serverOptions } = options;
  const core = createFaultCore(serverOptions);
  const faults = new FaultSessions(serverOptions, core);
  const expireAll = (): Promise<void> => faults.expireAll();

  const http = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const handling = url.pathname === '/mcp' ? faults.handle(req, res) : Promise.resolve(sendJsonRpcError(res, 404, -32000, 'Not found'));
    handling.catch((error: unknown) => {
      if (!res.headersSent && !res.destroyed) sendJsonRpcError(res, 500, -32603, error instanceof Error ? error.message : String(error));
      else res.destroy();
    });
  });

  const { port: actualPort, origin } = await listenOn(http, port, host);

  let closing: Promise<void> | undefined;
  return {
    url: `${origin}/mcp`,
    port: actualPort,
    ledger: core.ledger,
    setFaults: (plan, tool) => core.engine.setPlan(plan, tool),
    get sessionCount() {
      return faults.count;
    },
    get sessionsCreated() {
      return faults.created;
    },
    expireSessions: expireAll,
    close() {
      closing ??= (async () => {
        await expireAll();
        await new Promise<void>((resolve) => {
          http.close(() => resolve());
          http.closeAllConnections();
        });
      })();
      return closing;
    },
  };
}

/** The sessions of one fault server and the handling of `/mcp`, with the HTTP-level faults. */
class FaultSessions {
  readonly #core: FaultCore;
  readonly #options: FaultServerOptions;
  readonly #sessions = new Map<string, Session>();
  readonly #all = new Set<Session>();
  /** Sessions created so far. */
  created = 0;

  constructor(options: FaultServerOptions, core: FaultCore) {
    this.#options = options;
    this.#core = core;
  }

  /** Open sessions (initialised). */
  get count(): number {
    return this.#sessions.size;
  }

  async forget(session: Session): Promise<void> {
    if (session.id !== undefined) this.#sessions.delete(session.id);
    this.#all.delete(session);
    await session.mcp.close().catch(() => undefined);
  }

  /** Forgets every session now, like a server restart. */
  async expireAll(): Promise<void> {
    await Promise.allSettled([...this.#all].map((s) => this.forget(s)));
  }

  /** `/mcp`: a request of a known session (HTTP-level faults first), or an initialize that opens one. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const header = req.headers['mcp-session-id'];
    const sessionId = Array.isArray(header) ? header[0] : header;
    if (sessionId !== undefined) {
      const session = this.#sessions.get(sessionId);
      if (!session) return sendJsonRpcError(res, 404, -32001, 'Session not found');
      const body = req.method === 'POST' ? await readJson(req, res) : undefined;
      if (body === INVALID) return;
      if (body !== undefined && !Array.isArray(body)) {
        const message = body as JSONRPCMessage;
        if ('id' in message && 'method' in message) {
          session.sockets.set(message.id, req.socket);
          res.on('close', () => session.sockets.delete(message.id));
          if (await this.#httpFault(session, message, req, res)) return;
        }
      }
      return session.transport.handleRequest(req, res, body);
    }
    if (req.method !== 'POST') return sendJsonRpcError(res, 400, -32000, 'Bad Request: Mcp-Session-Id header is required');
    const body = await readJson(req, res);
    if (body === INVALID) return;
    const initializing = Array.isArray(body) ? body.some((m) => isInitializeRequest(m)) : isInitializeRequest(body);
    if (!initializing) return sendJsonRpcError(res, 400, -32000, 'Bad Request: no session; send initialize first');
    if (this.#options.startDelayMs) await new Promise((resolve) => setTimeout(resolve, this.#options.startDelayMs));
    const session = await this.#newSession();
    await session.transport.handleRequest(req, res, body);
    if (session.id === undefined) await this.forget(session);
  }

  async #newSession(): Promise<Session> {
    const mcp = createFaultMcpServer(this.#options, this.#core);
    const sockets = new Map<RequestId, Socket>();
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        session.id = id;
        this.#sessions.set(id, session);
      },
    });
    const fault = new FaultTransport(transport, this.#core, {
      drop: (id) => sockets.get(id)?.destroy(),
      crash: (id) => {
        sockets.get(id)?.destroy();
        void this.expireAll();
      },
    });
    const session: Session = { id: undefined, mcp, transport, fault, sockets };
    this.#all.add(session);
    this.created++;
    mcp.server.onclose = () => {
      this.#all.delete(session);
      if (session.id !== undefined) this.#sessions.delete(session.id);
    };
    await mcp.connect(fault);
    return session;
  }

  /** Applies the HTTP-level faults to a single request; true when it answered (or dropped) the request itself. */
  async #httpFault(session: Session, message: JSONRPCMessage, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const target = faultTarget(this.#core, message);
    if (!target) return false;
    const action = this.#core.engine.decide(target.tool);
    this.#core.ledger.recordReceived(target.key, target.tool, action.kind);
    switch (action.kind) {
      case 'drop-before':
        req.socket.destroy();
        return true;
      case 'crash':
        req.socket.destroy();
        await this.expireAll();
        return true;
      case 'session-expired':
        await this.forget(session);
        sendJsonRpcError(res, 404, -32001, 'Session not found (fault: session expired)');
        return true;
      case 'retry-after': {
        const seconds = Math.ceil(action.retryAfterMs / 1000);
        res.writeHead(action.status, { 'content-type': 'application/json', 'retry-after': String(seconds) });
        res.end(
          JSON.stringify({
            jsonrpc: '2.0',
            id: target.id,
            error: {
              code: -32000,
              message: `fault: HTTP ${action.status}, retry after ${action.retryAfterMs} ms`,
              data: { retryAfter: seconds, retryAfterMs: action.retryAfterMs },
            },
          }),
        );
        return true;
      }
      default:
        session.fault.predecide(target.id, action, target.key, target.tool);
        return false;
    }
  }
}
