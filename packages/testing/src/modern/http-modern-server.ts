import type { IncomingMessage, ServerResponse } from 'node:http';
import { createMcpHandler, type McpHttpHandler, type McpRequestContext, type PerRequestResponseMode } from '@modelcontextprotocol/server';
import type { FaultAction } from '../fault/fault-engine.js';
import type { FaultLedger } from '../fault/fault-ledger.js';
import type { FaultPlan } from '../fault/fault-options.js';
import { faultTarget, type FaultCore } from '../fault/fault-transport.js';
import { MAX_BODY_BYTES, sendJsonRpcError } from '../http-body.js';
import type { TestLedger } from '../ledger.js';
import { createModernTestServer, modernInternals, type ModernTestServer } from './create-modern-test-server.js';
import type { ModernEra, ModernTestServerOptions } from './modern-options.js';
import { listenMcp, readBody, toWebRequest, writeWebResponse } from './node-fetch.js';

/** Options of {@link startModernHttpTestServer}. */
export interface ModernHttpTestServerOptions extends ModernTestServerOptions {
  /** Serve this server instead of making one from the other options (then only `port`, `host`, `responseMode` may be given). */
  server?: ModernTestServer;
  /** Port to listen on. Default 0 (a free port). */
  port?: number;
  /** Interface to listen on. Default `'127.0.0.1'`. */
  host?: string;
  /** How modern responses are shaped (the SDK's `responseMode`): `auto` (default), `sse` or `json`. */
  responseMode?: PerRequestResponseMode;
}

/** One JSON-RPC message the server received (kept for the last {@link MAX_RECORDED} messages). */
export interface ModernHttpRequestRecord {
  /** JSON-RPC method (`tools/call`, `server/discover`, `subscriptions/listen`, `initialize`, ...). */
  method: string;
  /** `params.name` (tools, prompts) or `params.uri` (resources), when there is one. */
  name?: string;
  /** The HTTP headers, names lower-cased (`mcp-method`, `mcp-name`, `mcp-protocol-version`, `traceparent`, ...). */
  headers: Record<string, string>;
  /** `params._meta` as sent: the 2026-07-28 per-request envelope (protocol version, client info, capabilities, ...). */
  meta?: Record<string, unknown>;
}

/** How many received messages {@link ModernHttpTestServer.requests} keeps. */
export const MAX_RECORDED = 500;

/** A running modern HTTP test server. */
export interface ModernHttpTestServer {
  /** The Streamable HTTP endpoint, `http://127.0.0.1:PORT/mcp`. */
  url: string;
  port: number;
  era: ModernEra;
  server: ModernTestServer;
  /** Executions per tool (`server.ledger`). */
  ledger: TestLedger;
  /** Per call key: received, executed, cancelled (`server.faultLedger`). */
  faultLedger: FaultLedger;
  /** Server instances the SDK made so far, by era: every 2025-era request gets a fresh one (stateless). */
  readonly instances: { legacy: number; modern: number };
  /** The last {@link MAX_RECORDED} JSON-RPC messages received, oldest first: what the caller really sent (headers, `_meta`). */
  readonly requests: readonly ModernHttpRequestRecord[];
  /** Replaces the fault plan (of one tool, or the global one) from the next request on. */
  setFaults(plan: FaultPlan, tool?: string): void;
  /** Ends open streams (listen included) and the HTTP server. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts a modern test server on a real `node:http` server, Streamable HTTP at `/mcp`, through the
 * SDK's own HTTP entry (`createMcpHandler`): 2026-07-28 requests are served per request; 2025-era
 * requests statelessly (`era: 'dual'`, a fresh instance per request, no sessions: GET/DELETE get
 * 405) or rejected with -32022 (`'modern-only'`). `subscriptions/listen` streams get tool and
 * resource changes. Faults act on the request's connection: `drop-before` destroys the socket
 * before the request reaches the SDK (never executed); `drop-after` lets it execute, waits for the
 * whole answer, then destroys the socket instead of sending it.
 *
 * @throws TypeError for invalid options (before listening).
 * @example
 * const http = await startModernHttpTestServer({ era: 'modern-only', toolFaults: { echo: { script: ['drop-after'] } } });
 * const client = new Client({ name: 't', version: '1' }, { versionNegotiation: { mode: 'auto' } });
 * await client.connect(new StreamableHTTPClientTransport(new URL(http.url)));
 */
export async function startModernHttpTestServer(options: ModernHttpTestServerOptions = {}): Promise<ModernHttpTestServer> {
  const { port = 0, host = '127.0.0.1', responseMode, server: given, ...serverOptions } = options;
  if (given && Object.keys(serverOptions).length > 0) {
    throw new TypeError(
      `[mcp-bridge] [@mcp-bridge/testing] startModernHttpTestServer: give either \`server\` or server options, not both (got ${Object.keys(serverOptions).join(', ')})`,
    );
  }
  const server = given ?? createModernTestServer(serverOptions);
  const { state, faults } = modernInternals(server);
  const instances = { legacy: 0, modern: 0 };
  const requests: ModernHttpRequestRecord[] = [];
  const handler = createMcpHandler(
    (ctx: McpRequestContext) => {
      instances[ctx.era]++;
      return server.factory(ctx);
    },
    { legacy: server.era === 'dual' ? 'stateless' : 'reject', ...(responseMode ? { responseMode } : {}), keepAliveMs: 0 },
  );
  state.setNotifier(handler.notify);

  const listening = await listenMcp((req, res, origin) => serve({ handler, faults, requests }, req, res, origin), port, host);
  const { http, origin } = listening;

  let closing: Promise<void> | undefined;
  return {
    url: `${origin}/mcp`,
    port: listening.port,
    era: server.era,
    server,
    ledger: server.ledger,
    faultLedger: server.faultLedger,
    instances,
    get requests() {
      return [...requests];
    },
    setFaults: (plan, tool) => server.setFaults(plan, tool),
    close() {
      closing ??= (async () => {
        state.setNotifier(undefined);
        // Running tasks (slow_compute ...) hold timers: end them with the server.
        modernInternals(server).taskStore?.close();
        await handler.close();
        await new Promise<void>((resolve) => {
          http.close(() => resolve());
          // Open listen streams and keep-alive sockets would otherwise hold close() open.
          http.closeAllConnections();
        });
      })();
      return closing;
    },
  };
}

/** What one HTTP test server's requests share. */
interface Serving {
  handler: McpHttpHandler;
  faults: FaultCore;
  requests: ModernHttpRequestRecord[];
}

/** Keeps what a received message carried (the last MAX_RECORDED). */
function record(requests: ModernHttpRequestRecord[], req: IncomingMessage, parsed: unknown): void {
  for (const message of Array.isArray(parsed) ? parsed : [parsed]) {
    if (typeof message !== 'object' || message === null || typeof (message as { method?: unknown }).method !== 'string') continue;
    const { method, params } = message as { method: string; params?: { name?: unknown; uri?: unknown; _meta?: Record<string, unknown> } };
    const name = typeof params?.name === 'string' ? params.name : typeof params?.uri === 'string' ? params.uri : undefined;
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(req.headers))
      if (value !== undefined) headers[key] = Array.isArray(value) ? value.join(', ') : value;
    requests.push({ method, ...(name !== undefined ? { name } : {}), headers, ...(params?._meta ? { meta: params._meta } : {}) });
    if (requests.length > MAX_RECORDED) requests.shift();
  }
}

/** One request at `/mcp`: recorded, the fault plan first, then the SDK's handler. */
async function serve({ handler, faults, requests }: Serving, req: IncomingMessage, res: ServerResponse, origin: string): Promise<void> {
  const body = req.method === 'POST' ? await readBody(req, MAX_BODY_BYTES) : undefined;
  if (req.method === 'POST' && body === undefined) return sendJsonRpcError(res, 413, -32000, 'Request body too large');
  let parsed: unknown;
  try {
    parsed = body && body.length > 0 ? JSON.parse(body.toString('utf8')) : undefined;
  } catch {
    parsed = undefined; // the SDK answers the parse error
  }
  record(requests, req, parsed);
  const target = parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? faultTarget(faults, parsed as never) : undefined;
  const action = target ? faults.engine.decide(target.tool) : undefined;
  if (target && action) {
    faults.ledger.recordReceived(target.key, target.tool, action.kind);
    const cancelled = (): void => faults.ledger.recordCancelled(target.key, target.tool);
    if (await answerFault(action, target.id, req, res, cancelled)) return;
  }
  const response = await handler.fetch(toWebRequest(req, res, body, origin), parsed === undefined ? {} : { parsedBody: parsed });
  if (action?.kind === 'drop-after') {
    // Executed, and the answer is lost: the case a retry must never repeat for unsafe tools.
    await response.arrayBuffer().catch(() => undefined);
    req.socket.destroy();
    return;
  }
  await writeWebResponse(response, res);
}

/** Applies a fault that answers (or drops) the request itself; false when the SDK should serve it. */
async function answerFault(
  action: FaultAction,
  id: unknown,
  req: IncomingMessage,
  res: ServerResponse,
  cancelled: () => void,
): Promise<boolean> {
  const reply = (body: object): void => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ jsonrpc: '2.0', id, ...body }));
  };
  switch (action.kind) {
    case 'drop-before':
      req.socket.destroy();
      return true;
    case 'error':
      reply({ error: { code: action.code, message: action.message ?? 'fault: injected internal error' } });
      return true;
    case 'is-error':
      reply({
        result: {
          resultType: 'complete',
          content: [{ type: 'text', text: action.message ?? 'fault: injected isError result' }],
          isError: true,
        },
      });
      return true;
    case 'hang':
      // Never answered: the client gives up (its abort closes the connection, counted as a cancellation).
      res.on('close', cancelled);
      return true;
    case 'delay': {
      const gone = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), action.ms);
        res.once('close', () => {
          clearTimeout(timer);
          resolve(true);
        });
      });
      if (gone) cancelled();
      return gone;
    }
    default:
      return false;
  }
}
