import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Bridge, Principal } from '@mcp-bridge/core';
import { GatewayAuth, type Admission } from './auth/gateway-auth.js';
import { HttpSessionTransport } from './http-transport.js';
import { hostRule, originRule } from './http-checks.js';
import { drain, isInitialize, json, pathnameOf, readJson, readyz, reject, rejectBody, type BodyRead } from './http-io.js';
import { anonymousCaller, newSessionId, ownerKey, ownerMismatch, ownerOf, type Owner } from './session-owner.js';
import type { HttpGatewayOptions } from './options.js';
import { createSession } from './session.js';
import type { SessionIdentity } from './session-identity.js';
import { connectSession } from './served.js';
import type { DownstreamSession, Router } from './router.js';
import { CallerLimits, Ticket, type Refusal } from './caller-limits.js';
import { SessionTable } from './session-table.js';
import { limitsOf, type GatewayLoad } from './http-limits.js';

/** One downstream MCP session of the HTTP gateway. */
export interface HttpSession {
  readonly id: string;
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
  /** The owner's key: whose share of the session table and caps this session takes. */
  readonly callerKey: string;
  /** The client sent `notifications/initialized`; until then the session expires after `sessionInitMs`. */
  ready: boolean;
  readonly createdAt: number;
  closing: boolean;
}

/**
 * The state and request handling of one Streamable HTTP gateway (see `serveHttp`, which owns the
 * listener): the Host/Origin checks and the bearer token, session creation and lookup, the idle
 * sweep and keep-alive ticks, and the drain on close.
 */
export class HttpGatewayServer {
  readonly sessions: SessionTable<HttpSession>;
  readonly limits: CallerLimits;
  readonly onError: (error: unknown) => void;
  readonly host: string;
  readonly path: string;
  private readonly idleMs: number;
  private readonly initMs: number;
  private readonly bodyTimeoutMs: number;
  private readonly sendTimeoutMs: number;
  private readonly keepAliveMs: number;
  private readonly drainMs: number;
  /** Request bodies being read, for the body timeout. */
  private readonly reads = new Set<BodyRead>();
  private readonly hostCheck: ReturnType<typeof hostRule>;
  // The Origin rule needs the port actually bound (port 0 picks one): set once listening.
  private originCheck: (origin: string) => boolean = () => false;
  /** The credential checks: shared token, named tokens, JWTs (see auth/gateway-auth.ts). */
  readonly auth: GatewayAuth;
  /** Set once the bridge has started; MCP requests wait for `routerReady` before using it. */
  router!: Router;
  /** Assigned right after listen(), before any request can be read. */
  routerReady!: Promise<Router>;
  private stopping = false;
  private sweep: NodeJS.Timeout | undefined;
  private keepAlive: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;

  constructor(
    private readonly bridge: Bridge,
    private readonly o: HttpGatewayOptions,
  ) {
    this.onError = o.onError ?? ((e: unknown) => console.error(e));
    this.host = o.host ?? '127.0.0.1';
    this.path = o.path ?? '/mcp';
    const l = limitsOf(o);
    this.idleMs = l.sessionIdleMs;
    this.initMs = l.sessionInitMs;
    this.bodyTimeoutMs = l.bodyTimeoutMs;
    this.sendTimeoutMs = l.sendTimeoutMs;
    this.sessions = new SessionTable(l.maxSessions, l.maxSessionsPerCaller);
    this.limits = new CallerLimits(l);
    // The SDK's transport keeps quiet streams alive every 15 s too.
    this.keepAliveMs = o.keepAliveMs ?? 15_000;
    this.drainMs = o.drainMs ?? 5_000;
    this.hostCheck = hostRule(this.host, o.allowedHosts);
    this.auth = new GatewayAuth(o);
  }

  /** Sets the Origin rule and the auth checks once the listener knows its port and URL. */
  listening(port: number, url: string): void {
    this.originCheck = originRule(this.hostCheck, port, this.o.allowedOrigins);
    this.auth.listening(url);
  }

  /** What a session's calls carry about its principal: the principal, and its latest JWT for token exchange. */
  private identity(principal: Principal | undefined): SessionIdentity | undefined {
    if (principal === undefined) return undefined;
    const id = principal.id;
    return { principal, subjectToken: () => this.auth.subjectToken(id) };
  }

  /** Serves one HTTP request: checks and probes first, then the MCP session it belongs to (or a new one). */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const admitted = await this.admit(req, res);
    if (admitted === false) return;
    const { principal } = admitted;
    const owner = ownerOf(req, principal, this.o.token !== undefined, this.o.caller);
    const key = ownerKey(owner);
    // Counted before the body is read: a caller at its caps gets no more of the gateway's memory or time.
    const ticket = this.limits.admit(key, req.socket, req.method === 'POST', res);
    if (!(ticket instanceof Ticket)) return refuse(res, ticket);

    let body: unknown;
    if (req.method === 'POST') {
      const parsed = await readJson(req, ticket, this.reads);
      if (!parsed.ok) return rejectBody(res, parsed);
      body = parsed.value;
    }

    const sessionId = req.headers['mcp-session-id'];
    if (typeof sessionId === 'string') {
      const s = this.sessions.byId.get(sessionId);
      if (!s) return reject(res, 404, 'Session not found', -32001);
      const refused = ownerMismatch(s.owner, owner);
      if (refused) return reject(res, 403, refused);
      this.serve(s, req, res, body, ticket);
      return;
    }
    await this.openSession(req, res, body, { principal, owner, ticket });
  }

  /**
   * The checks every request passes before MCP: Host and Origin (403), the probes, unknown paths (404),
   * the bearer token (401), and the extra `routes`. False when the request was answered here.
   */
  private async admit(req: IncomingMessage, res: ServerResponse): Promise<false | Admission> {
    const { path, o } = this;
    const url = { pathname: pathnameOf(req.url ?? '/', path) };
    const hostHeader = req.headers.host;
    if (!this.hostCheck.allows(hostHeader))
      return answered(reject(res, 403, `Forbidden: Host header ${JSON.stringify(hostHeader ?? '')} is not allowed`));
    const origin = req.headers.origin;
    if (origin !== undefined && !this.originCheck(origin))
      return answered(reject(res, 403, `Forbidden: Origin ${JSON.stringify(origin)} is not allowed`));

    if (url.pathname === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) return answered(json(res, 200, { status: 'ok' }));
    if (url.pathname === '/readyz' && (req.method === 'GET' || req.method === 'HEAD')) return answered(readyz(this.bridge, res));
    // RFC 9728 metadata is public: it is how a client without a token learns where to get one.
    if (this.auth.metadata(req, res, url.pathname)) return false;
    const route = url.pathname !== path && o.routes && Object.hasOwn(o.routes, url.pathname) ? o.routes[url.pathname] : undefined;
    if (url.pathname !== path && !route)
      return answered(json(res, 404, { error: `not found: ${url.pathname} (the MCP endpoint is ${path})` }));

    const admission = await this.auth.admit(req, res);
    if (admission === false) return false;
    // Extra routes (`routes` option, e.g. a metrics handler) sit behind the same Host/Origin checks and token.
    if (route) {
      await route(req, res);
      return false;
    }
    return admission;
  }

  /** A request without a session id: an initialize opens a session (unless stopping or full). */
  private async openSession(
    req: IncomingMessage,
    res: ServerResponse,
    body: unknown,
    { principal, owner, ticket }: { principal: Principal | undefined; owner: Owner; ticket: Ticket },
  ): Promise<void> {
    const { sessions, o } = this;
    if (req.method !== 'POST' || !isInitialize(body)) return reject(res, 400, 'Bad Request: no valid session id (send initialize first)');
    if (this.stopping) return reject(res, 503, 'Service Unavailable: the gateway is stopping');
    const callerKey = ownerKey(owner);
    const full = sessions.refusal(callerKey);
    if (full) return refuse(res, { ...full, retryAfter: 5 });
    const ready = await this.routerReady;
    const id = newSessionId();
    // The session id is a bearer secret: the caller name that plugins, logs and metrics see is not it.
    const session = createSession(ready, id, o, owner.caller ?? anonymousCaller(), this.identity(principal));
    const now = Date.now();
    const s: HttpSession = {
      id,
      session,
      transport: undefined as never,
      lastActivity: now,
      createdAt: now,
      busy: 0,
      closing: false,
      ready: false,
      owner,
      callerKey,
    };
    session.server.oninitialized = () => void (s.ready = true);
    s.transport = new HttpSessionTransport(id, () => {
      // Room is made when the session really opens: a caller past its share, or a full table, loses its longest-idle session.
      for (const evicted of sessions.add(s)) void this.endSession(evicted);
    });
    s.transport.onclose = () => void this.endSession(s);
    await connectSession(ready.bridge, session, s.transport, 'tcp');
    this.serve(s, req, res, body, ticket);
    // An initialize that failed leaves no session behind.
    if (!sessions.byId.has(id)) await this.endSession(s);
  }

  private serve(s: HttpSession, req: IncomingMessage, res: ServerResponse, body: unknown, ticket: Ticket): void {
    const now = Date.now();
    s.lastActivity = now;
    const counts = req.method === 'POST';
    if (counts) s.busy++;
    // Watched for a client that stops reading (sendTimeoutMs, maxBufferedBytesPerCaller).
    ticket.watch(s.transport);
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
  }

  /** Closes one session: its transport (cancelling its calls), its router entry, its MCP server. */
  async endSession(s: HttpSession): Promise<void> {
    if (s.closing) return;
    s.closing = true;
    this.sessions.remove(s);
    // The SDK aborts the calls' signals (plugins see a cancelled call), which cancels their upstream requests.
    await s.transport.close().catch(this.onError);
    await this.router.removeSession(s.session.id);
    await s.session.server.close().catch(this.onError);
  }

  /** Starts the idle sweep and the keep-alive ticks (neither keeps the process alive). */
  startTimers(): void {
    const { idleMs, initMs, keepAliveMs, sessions } = this;
    this.sweep = setInterval(
      () => {
        const now = Date.now();
        for (const s of sessions.byId.values()) {
          if (s.busy > 0) continue;
          // A client that never sent notifications/initialized goes soon: an initialize flood cannot fill the table.
          if (now - s.lastActivity >= idleMs || (!s.ready && now - s.createdAt >= initMs)) void this.endSession(s);
        }
      },
      Math.max(10, Math.min(Math.floor(idleMs / 4), Math.floor(initMs / 4), 30_000)),
    );
    this.sweep.unref();
    const { bodyTimeoutMs, sendTimeoutMs, reads, limits } = this;
    this.watchdog = setInterval(
      () => {
        const now = Date.now();
        for (const read of reads) if (now - read.startedAt >= bodyTimeoutMs) read.expire(bodyTimeoutMs);
        limits.look(now, sendTimeoutMs);
      },
      Math.max(10, Math.min(1_000, Math.floor(bodyTimeoutMs / 4), Math.floor(sendTimeoutMs / 4))),
    );
    this.watchdog.unref();
    this.keepAlive = setInterval(
      () => {
        const now = Date.now();
        for (const s of sessions.byId.values()) s.transport.tick(now, keepAliveMs);
      },
      Math.max(10, Math.floor(keepAliveMs / 3)),
    );
    this.keepAlive.unref();
  }

  /** Stops the timers and refuses new sessions (503). */
  stop(): void {
    clearInterval(this.sweep);
    clearInterval(this.keepAlive);
    clearInterval(this.watchdog);
    this.stopping = true;
  }

  /** Waits for the calls already accepted (at most `drainMs`), then ends every session. */
  async endAll(): Promise<void> {
    await drain(
      [...this.sessions.byId.values()].map((s) => s.transport),
      this.drainMs,
    );
    await Promise.allSettled([...this.sessions.byId.values()].map((s) => this.endSession(s)));
  }

  /** What the gateway holds now: sessions (by caller key), requests, connections, buffered bytes. */
  load(): GatewayLoad {
    return { sessions: this.sessions.size, sessionsByCaller: this.sessions.countsByCaller(), ...this.limits.load() };
  }
}

/** Answers a request past a cap: 429 (this caller) or 503 (the gateway), with `Retry-After`; a refused connection is closed. */
function refuse(res: ServerResponse, refusal: Refusal): void {
  res.setHeader('Retry-After', String(refusal.retryAfter));
  if (refusal.close) res.setHeader('connection', 'close');
  reject(res, refusal.status, refusal.message);
}

/** Marks a request as answered by the checks (the answer itself returns nothing). */
function answered(_: void): false {
  return false;
}
