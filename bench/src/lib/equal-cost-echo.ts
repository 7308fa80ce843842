// A hand-written JSON-RPC echo server, no MCP SDK: the "equal-cost upstream" of the benches' era
// comparison. The SDK servers of the two eras do not cost the same (the v2 SDK server burns ~2.5x
// the CPU per call of the 1.x one), so a call-time ratio against them measures the servers; this
// one does the same work per call in both eras (parse, dispatch, one small result, stringify, one
// JSON response), so the bridge's modern/legacy call-time ratio against it measures the bridge.
//
//   node equal-cost-echo.ts http    Streamable HTTP on 127.0.0.1 (free port): prints `<url>` as its first line
//   node equal-cost-echo.ts stdio   newline-delimited JSON-RPC on stdin/stdout
//
// Both eras, told apart per message:
//   2025-11-25  `initialize` (→ `Mcp-Session-Id` over HTTP), `notifications/initialized`, then
//               `tools/list` / `tools/call` in that session
//   2026-07-28  `server/discover`, and stateless `tools/list` / `tools/call`, each carrying the
//               `_meta` envelope (`io.modelcontextprotocol/protocolVersion` ...); results stamped
//               `resultType: "complete"`, lists and discover with `ttlMs` and `cacheScope` (what the
//               v2 client needs to accept them)
// Over HTTP, `GET /stats` answers what it served per era and method, so a bench can prove which era
// its connections really spoke (not timed: read once, after the runs).
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { onLines } from './lines.js';

const LEGACY = '2025-11-25';
const MODERN = '2026-07-28';
const META_VERSION = 'io.modelcontextprotocol/protocolVersion';
const SERVER_INFO = { name: 'bench', version: '1.0.0' };
const ECHO_TOOL = {
  name: 'echo',
  description: 'Returns its text unchanged (the cheap benchmark tool).',
  inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
  annotations: { readOnlyHint: true },
};

type Era = 'legacy' | 'modern';
interface JsonRpcRequest {
  jsonrpc: '2.0';
  id?: string | number;
  method: string;
  params?: { name?: string; arguments?: { text?: unknown }; protocolVersion?: string; _meta?: Record<string, unknown> };
}
/** What a message gets back: a JSON-RPC answer (undefined for a notification) and, for `initialize`, a new session. */
interface Answer {
  body?: object;
  newSession?: boolean;
}

/** Calls served, by era and method: the proof of which era each connection spoke. */
const served: Record<Era, Record<string, number>> = { legacy: {}, modern: {} };

const result = (id: JsonRpcRequest['id'], value: object): object => ({ jsonrpc: '2.0', id, result: value });
const error = (id: JsonRpcRequest['id'], code: number, message: string): object => ({
  jsonrpc: '2.0',
  id: id ?? null,
  error: { code, message },
});

/** The echo: the same work in both eras, the modern stamp aside. */
function echo(request: JsonRpcRequest): { content: object[] } | string {
  if (request.params?.name !== 'echo') return `unknown tool ${JSON.stringify(request.params?.name)} (this server has only "echo")`;
  const text = request.params.arguments?.text;
  if (typeof text !== 'string') return `echo needs arguments.text, a string (got ${JSON.stringify(text)})`;
  return { content: [{ type: 'text', text }] };
}

/** A 2026-07-28 message: stateless, its version in `params._meta`. */
function modern(request: JsonRpcRequest, version: unknown): Answer {
  const { id, method } = request;
  if (version !== MODERN)
    return {
      body: error(
        id,
        -32022,
        `unsupported protocol version ${JSON.stringify(version)}: this server speaks ${MODERN} (and ${LEGACY} after initialize)`,
      ),
    };
  served.modern[method] = (served.modern[method] ?? 0) + 1;
  const stamp = { resultType: 'complete', _meta: { 'io.modelcontextprotocol/serverInfo': SERVER_INFO } };
  // List and discover results are cacheable in 2026-07-28: the v2 client rejects them without these.
  const cacheable = { ttlMs: 0, cacheScope: 'private' };
  switch (method) {
    case 'server/discover':
      return { body: result(id, { supportedVersions: [MODERN], capabilities: { tools: {} }, ...cacheable, ...stamp }) };
    case 'tools/list':
      return { body: result(id, { tools: [ECHO_TOOL], ...cacheable, ...stamp }) };
    case 'tools/call': {
      const out = echo(request);
      return { body: typeof out === 'string' ? error(id, -32602, out) : result(id, { ...out, ...stamp }) };
    }
    default:
      return { body: error(id, -32601, `method ${method} is not served by the equal-cost echo (${MODERN})`) };
  }
}

/** A 2025-11-25 message; `inSession`: it came after `initialize` (a valid session id, or the same stdio stream). */
function legacy(request: JsonRpcRequest, inSession: boolean): Answer {
  const { id, method } = request;
  if (method === 'initialize') {
    served.legacy[method] = (served.legacy[method] ?? 0) + 1;
    return {
      newSession: true,
      body: result(id, { protocolVersion: LEGACY, capabilities: { tools: {} }, serverInfo: SERVER_INFO }),
    };
  }
  if (!inSession)
    return { body: error(id, -32600, `${method} before initialize: send initialize first (${LEGACY}) or the ${MODERN} _meta envelope`) };
  served.legacy[method] = (served.legacy[method] ?? 0) + 1;
  if (id === undefined) return {}; // notifications/initialized, cancellations: nothing to answer
  switch (method) {
    case 'ping':
      return { body: result(id, {}) };
    case 'tools/list':
      return { body: result(id, { tools: [ECHO_TOOL] }) };
    case 'tools/call': {
      const out = echo(request);
      return { body: typeof out === 'string' ? error(id, -32602, out) : result(id, out) };
    }
    default:
      return { body: error(id, -32601, `method ${method} is not served by the equal-cost echo (${LEGACY})`) };
  }
}

/** One message, its era read from itself: the `_meta` envelope's version makes it modern. */
function answer(message: unknown, inSession: boolean): Answer {
  if (typeof message !== 'object' || message === null || Array.isArray(message) || typeof (message as JsonRpcRequest).method !== 'string')
    return { body: error(undefined, -32600, 'expected one JSON-RPC request or notification object') };
  const request = message as JsonRpcRequest;
  const version = request.params?._meta?.[META_VERSION];
  return version !== undefined ? modern(request, version) : legacy(request, inSession);
}

// ------------------------------------------------------------------ Streamable HTTP

const sessions = new Set<string>();

function send(res: ServerResponse, status: number, body?: object, headers: Record<string, string> = {}): void {
  if (body === undefined) return void res.writeHead(status, headers).end();
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

function onPost(req: IncomingMessage, res: ServerResponse, text: string): void {
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    return send(res, 400, error(undefined, -32700, 'the body is not JSON'));
  }
  const sessionId = req.headers['mcp-session-id'];
  if (typeof sessionId === 'string' && !sessions.has(sessionId))
    return send(res, 404, error(undefined, -32001, `unknown session ${sessionId}`));
  const out = answer(message, typeof sessionId === 'string');
  if (out.newSession) {
    const id = randomUUID();
    sessions.add(id);
    return send(res, 200, out.body, { 'mcp-session-id': id });
  }
  // A notification is accepted with 202 and no body, as Streamable HTTP says.
  return out.body === undefined ? send(res, 202) : send(res, 200, out.body);
}

function serveHttp(): void {
  const http = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/stats') return send(res, 200, served);
    if (req.method === 'DELETE') {
      sessions.delete(String(req.headers['mcp-session-id']));
      return send(res, 200);
    }
    // No server-to-client stream (GET /mcp): this server never sends anything unasked.
    if (req.method !== 'POST') return send(res, 405, undefined, { allow: 'POST, DELETE' });
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => onPost(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  http.listen(0, '127.0.0.1', () => process.stdout.write(`http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp\n`));
}

// ------------------------------------------------------------------ stdio

function serveStdio(): void {
  let initialized = false;
  onLines(process.stdin, (line) => {
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      process.stdout.write(`${JSON.stringify(error(undefined, -32700, 'a line that is not JSON'))}\n`);
      return;
    }
    const out = answer(message, initialized);
    if (out.newSession) initialized = true;
    if (out.body !== undefined) process.stdout.write(`${JSON.stringify(out.body)}\n`);
  });
}

const transport = process.argv[2];
if (transport === 'http') serveHttp();
else if (transport === 'stdio') serveStdio();
else {
  process.stderr.write(`equal-cost-echo: give the transport, "http" or "stdio" (got ${JSON.stringify(transport)})\n`);
  process.exit(2);
}
process.stdin.on('end', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
