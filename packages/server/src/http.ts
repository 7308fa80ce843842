import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Bridge } from '@mcp-bridge/core';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { HttpSessionTransport } from './http-transport.js';
import { hostRule, originRule, WILDCARD } from './http-checks.js';
import { anonymousCaller, newSessionId, ownerMismatch, ownerOf, type Owner } from './session-owner.js';
import { parseOptions, type HttpGatewayOptions } from './options.js';
import { releaseRouter, routerForStartedBridge } from './router.js';
import { createSession } from './session.js';
import type { DownstreamSession, Router } from './router.js';

/** A running Streamable HTTP gateway. */
export interface HttpGateway {
  /** The MCP endpoint, e.g. `http://127.0.0.1:41234/mcp`. */
  url: string;
  /** The port it listens on. */
  port: number;
  /** Open MCP sessions. */
  sessionCount(): number;
  /**
   * Stops: no new connections or requests (refused unread), calls already accepted run on for up to
   * `drainMs` to their answer, any still running then are answered with an error that says they may
   * have run; then every session and the listener close. The bridge stays open: the caller owns it.
   */
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 4 * 1024 * 1024;


interface HttpSession {
  session: DownstreamSession;
  transport: HttpSessionTransport;
  lastActivity: number;
  /** POST requests being served: a session busy with a long call is not idle. */
  busy: number;
  /**
   * Who opened the session: the named token, the shared token, the `caller` option's answer, or
   * (with no credential at all) the client's IP address. Its later requests must come from the same one.
   */
  owner: Owner;
  closing: boolean;
}

/**
 * Serves a bridge as one MCP server over Streamable HTTP (stateful sessions). Listens on
 * 127.0.0.1 by default, checks the Host and Origin headers (DNS-rebinding protection: 403), asks
 * for a bearer token when `token` is set (401), closes sessions idle for `sessionIdleMs`, answers
 * `GET /healthz` (the process is up) and `GET /readyz` (the bridge is ready; per-server state).
 * Starts the bridge when it is `new` (waits for it when it is starting); never closes it.
 *
 * @example
 * ```ts
 * const bridge = createBridge({ servers: { files: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-filesystem', '.'] } } });
 * const gateway = await serveHttp(bridge, { port: 3000 });
 * console.log(`MCP endpoint: ${gateway.url}`);
 * // later
 * await gateway.close();
 * await bridge.close();
 * ```
 */
export async function serveHttp(bridge: Bridge, options?: HttpGatewayOptions): Promise<HttpGateway> {
  const o = parseOptions('serveHttp', options);
  const onError = o.onError ?? ((e: unknown) => console.error(e));
  const host = o.host ?? '127.0.0.1';
  const path = o.path ?? '/mcp';
  const idleMs = o.sessionIdleMs ?? 30 * 60_000;
  // The SDK's transport keeps quiet streams alive every 15 s too.
  const keepAliveMs = o.keepAliveMs ?? 15_000;
  const maxSessions = o.maxSessions ?? 1000;
  const drainMs = o.drainMs ?? 5_000;
  const hostCheck = hostRule(host, o.allowedHosts);
  // The Origin rule needs the port actually bound (port 0 picks one): set once listening.
  let originCheck: (origin: string) => boolean = () => false;
  const token = o.token === undefined ? undefined : Buffer.from(o.token);
  const named = o.tokens === undefined ? [] : Object.entries(o.tokens).map(([name, value]) => ({ name, token: Buffer.from(value) }));
  const authRequired = token !== undefined || named.length > 0;

  // Listen first (a port in use fails before any upstream is spawned; /healthz answers while they
  // start); MCP requests wait for the bridge's start.
  let router!: Router;
  // Assigned right after listen(), before any request can be read.
  let routerReady!: Promise<Router>;
  const sessions = new Map<string, HttpSession>();

  const endSession = async (s: HttpSession): Promise<void> => {
    if (s.closing) return;
    s.closing = true;
    sessions.delete(s.session.id);
    // The SDK aborts the calls' signals (plugins see a cancelled call), which cancels their upstream requests.
    await s.transport.close().catch(onError);
    await router.removeSession(s.session.id);
    await s.session.server.close().catch(onError);
  };

  let stopping = false;
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = { pathname: pathnameOf(req.url ?? '/', path) };
    const hostHeader = req.headers.host;
    if (!hostCheck.allows(hostHeader)) return reject(res, 403, `Forbidden: Host header ${JSON.stringify(hostHeader ?? '')} is not allowed`);
    const origin = req.headers.origin;
    if (origin !== undefined && !originCheck(origin)) return reject(res, 403, `Forbidden: Origin ${JSON.stringify(origin)} is not allowed`);

    if (url.pathname === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) return json(res, 200, { status: 'ok' });
    if (url.pathname === '/readyz' && (req.method === 'GET' || req.method === 'HEAD')) return readyz(bridge, res);
    const route = url.pathname !== path && o.routes && Object.hasOwn(o.routes, url.pathname) ? o.routes[url.pathname] : undefined;
    if (url.pathname !== path && !route) return json(res, 404, { error: `not found: ${url.pathname} (the MCP endpoint is ${path})` });

    const bearer = authRequired ? bearerOf(req.headers.authorization) : undefined;
    // Every named token is compared (in constant time each), so the time taken does not say which one was close.
    let tokenName: string | undefined;
    for (const n of named) if (bearer !== undefined && sameBytes(bearer, n.token)) tokenName = n.name;
    if (authRequired && tokenName === undefined && !(token !== undefined && bearer !== undefined && sameBytes(bearer, token))) {
      res.setHeader('WWW-Authenticate', req.headers.authorization ? 'Bearer realm="mcp-bridge", error="invalid_token"' : 'Bearer realm="mcp-bridge"');
      return reject(res, 401, 'Unauthorized: a valid bearer token is required');
    }
    // Extra routes (`routes` option, e.g. a metrics handler) sit behind the same Host/Origin checks and token.
    if (route) {
      await route(req, res);
      return;
    }

    let body: unknown;
    if (req.method === 'POST') {
      const parsed = await readJson(req);
      if (!parsed.ok) return reject(res, parsed.status, parsed.message, parsed.code);
      body = parsed.value;
    }

    const sessionId = req.headers['mcp-session-id'];
    if (typeof sessionId === 'string') {
      const s = sessions.get(sessionId);
      if (!s) return reject(res, 404, 'Session not found', -32001);
      const refused = ownerMismatch(s.owner, ownerOf(req, tokenName, token !== undefined, o.caller));
      if (refused) return reject(res, 403, refused);
      serve(s, req, res, body);
      return;
    }
    if (req.method !== 'POST' || !isInitialize(body)) return reject(res, 400, 'Bad Request: no valid session id (send initialize first)');
    if (stopping) return reject(res, 503, 'Service Unavailable: the gateway is stopping');
    if (sessions.size >= maxSessions) {
      res.setHeader('Retry-After', '5');
      return reject(res, 503, `Service Unavailable: the gateway already has ${maxSessions} sessions`);
    }
    const ready = await routerReady;
    const id = newSessionId();
    const owner = ownerOf(req, tokenName, token !== undefined, o.caller);
    // The session id is a bearer secret: the caller name that plugins, logs and metrics see is not it.
    const session = createSession(ready, id, o, tokenName ?? owner.caller ?? anonymousCaller());
    const s: HttpSession = { session, transport: undefined as never, lastActivity: Date.now(), busy: 0, closing: false, owner };
    s.transport = new HttpSessionTransport(id, () => {
      sessions.set(id, s);
    });
    s.transport.onclose = () => void endSession(s);
    await session.server.connect(s.transport);
    serve(s, req, res, body);
    // An initialize that failed leaves no session behind.
    if (!sessions.has(id)) await endSession(s);
  };

  const serve = (s: HttpSession, req: IncomingMessage, res: ServerResponse, body: unknown): void => {
    s.lastActivity = Date.now();
    const counts = req.method === 'POST';
    if (counts) s.busy++;
    try {
      s.transport.handleRequest(req, res, body);
    } finally {
      if (counts) {
        // A POST's response may stream after handleRequest returns: the session is busy until it ends.
        const done = (): void => {
          s.busy--;
          s.lastActivity = Date.now();
        };
        if (res.writableFinished || res.destroyed) done();
        else res.once('close', done);
      }
    }
  };

  const http = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      onError(error);
      if (!res.headersSent) reject(res, 500, 'Internal error');
      else res.end();
    });
  });

  await new Promise<void>((resolve, reject_) => {
    http.once('error', reject_);
    http.listen(o.port ?? 0, host, () => {
      http.off('error', reject_);
      resolve();
    });
  });
  routerReady = routerForStartedBridge(bridge, onError);
  try {
    router = await routerReady;
  } catch (error) {
    http.closeAllConnections();
    await new Promise<void>((resolve) => http.close(() => resolve()));
    throw error;
  }

  const sweep = setInterval(
    () => {
      const now = Date.now();
      for (const s of sessions.values()) if (s.busy === 0 && now - s.lastActivity >= idleMs) void endSession(s);
    },
    Math.max(10, Math.min(Math.floor(idleMs / 4), 30_000)),
  );
  sweep.unref();
  const keepAlive = setInterval(() => {
    const now = Date.now();
    for (const s of sessions.values()) s.transport.tick(now, keepAliveMs);
  }, Math.max(10, Math.floor(keepAliveMs / 3)));
  keepAlive.unref();

  const port = (http.address() as AddressInfo).port;
  originCheck = originRule(hostCheck, port, o.allowedOrigins);
  const urlHost = host.includes(':') ? `[${host}]` : WILDCARD.includes(host) ? '127.0.0.1' : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${port}${path}`,
    port,
    sessionCount: () => sessions.size,
    close: () =>
      (closing ??= (async () => {
        clearInterval(sweep);
        clearInterval(keepAlive);
        stopping = true;
        const listenerClosed = new Promise<void>((resolve) => http.close(() => resolve()));
        http.closeIdleConnections();
        await drain([...sessions.values()].map((s) => s.transport), drainMs);
        await Promise.allSettled([...sessions.values()].map(endSession));
        http.closeAllConnections();
        await listenerClosed;
        releaseRouter(router);
      })()),
  };
}

/** Stops the sessions taking new requests and waits, at most `ms`, for the calls they already accepted to be answered. */
async function drain(transports: HttpSessionTransport[], ms: number): Promise<void> {
  const drained = Promise.all(transports.map((t) => t.drain()));
  if (ms === 0) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([drained, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

/**
 * The path of a request target. The MCP endpoint itself, by far the most frequent, is recognised
 * without building a URL; anything else is parsed as before.
 */
function pathnameOf(target: string, endpoint: string): string {
  if (target === endpoint) return endpoint;
  if (target.startsWith(endpoint) && target.charCodeAt(endpoint.length) === 63 /* ? */) return endpoint;
  return new URL(target, 'http://gateway').pathname;
}

function bearerOf(header: string | undefined): Buffer | undefined {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
  return match ? Buffer.from(match[1]!.trim()) : undefined;
}

function sameBytes(given: Buffer, expected: Buffer): boolean {
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function isInitialize(body: unknown): boolean {
  return Array.isArray(body) ? body.some((m) => isInitializeRequest(m)) : isInitializeRequest(body);
}

/** The JSON body of a request, read with plain stream events (an async iterator costs several promises per request). */
function readJson(req: IncomingMessage): Promise<{ ok: true; value: unknown } | { ok: false; status: number; message: string; code: number }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        // The rest of the body is not read: Node discards it once the 413 is sent.
        req.off('data', onData).off('end', onEnd).off('error', reject);
        resolve({ ok: false, status: 413, message: `Request body larger than ${MAX_BODY_BYTES} bytes`, code: -32600 });
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      try {
        resolve({ ok: true, value: JSON.parse((chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)).toString('utf8')) });
      } catch (error) {
        resolve({ ok: false, status: 400, message: `Parse error: ${error instanceof Error ? error.message : String(error)}`, code: -32700 });
      }
    };
    req.on('data', onData).once('end', onEnd).once('error', reject);
  });
}

/**
 * `/readyz`: 200 once the bridge is ready and no server is still starting; every server's state,
 * and, while some are, `starting` with their names (a load balancer then knows what is missing).
 */
function readyz(bridge: Bridge, res: ServerResponse): void {
  const servers = bridge.state === 'new' ? [] : bridge.status().map((s) => ({ name: s.name, state: s.state }));
  const starting = servers.filter((s) => s.state === 'starting' || s.state === 'pending').map((s) => s.name);
  const ready = bridge.state === 'ready' && starting.length === 0;
  return json(res, ready ? 200 : 503, { ready, state: bridge.state, servers, ...(starting.length > 0 ? { starting } : {}) });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function reject(res: ServerResponse, status: number, message: string, code = -32000): void {
  json(res, status, { jsonrpc: '2.0', error: { code, message }, id: null });
}
