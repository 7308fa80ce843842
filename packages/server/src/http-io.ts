import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Bridge } from '@mcp-bridge/core';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { HttpSessionTransport } from './http-transport.js';

// The HTTP gateway's small request/response helpers, apart from its request handling (http-gateway.ts).

const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** Stops the sessions taking new requests and waits, at most `ms`, for the calls they already accepted to be answered. */
export async function drain(transports: HttpSessionTransport[], ms: number): Promise<void> {
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
export function pathnameOf(target: string, endpoint: string): string {
  if (target === endpoint) return endpoint;
  if (target.startsWith(endpoint) && target.charCodeAt(endpoint.length) === 63 /* ? */) return endpoint;
  return new URL(target, 'http://gateway').pathname;
}

/** Whether a JSON-RPC body (one message or a batch) holds an initialize request. */
export function isInitialize(body: unknown): boolean {
  return Array.isArray(body) ? body.some((m) => isInitializeRequest(m)) : isInitializeRequest(body);
}

/** A body read that failed: the status and JSON-RPC error to answer with; `close` drops the connection after it. */
export interface BodyFailure {
  ok: false;
  status: number;
  message: string;
  code: number;
  /** The body was not read to its end: the connection is closed once answered (never left half-read). */
  close?: boolean;
  retryAfter?: number;
}

/** A body being read, for the gateway's one-second tick: one that takes longer than `bodyTimeoutMs` is given up. */
export interface BodyRead {
  readonly startedAt: number;
  expire(ms: number): void;
}

/** What a body read holds of its caller's byte budget: `add` refuses past the cap; `release` gives every byte back. */
export interface BodyGuard {
  add(bytes: number): { status: number; message: string; retryAfter: number } | undefined;
  release(): void;
}

type BodyOutcome = { ok: true; value: unknown } | BodyFailure;

const READER = Symbol('mcp-bridge body reader');
type Reading = IncomingMessage & { [READER]?: BodyReader };

/** One body being read: its chunks, and what it holds of its caller's budget, given back however the read ends. */
class BodyReader implements BodyRead {
  readonly startedAt = Date.now();
  chunks: Buffer[] = [];
  size = 0;
  /** Settled: later events (an `error` or `close` after `end`) find nothing to do. */
  done = false;

  constructor(
    private readonly guard: BodyGuard | undefined,
    private readonly reads: Set<BodyRead> | undefined,
    private readonly resolve: (outcome: BodyOutcome) => void,
  ) {}

  expire(ms: number): void {
    this.fail(408, `Request Timeout: the body was not received within ${ms} ms (bodyTimeoutMs)`);
  }

  data(chunk: Buffer): void {
    if (this.done) return;
    this.size += chunk.length;
    // Too big: the rest is read and discarded by Node (nothing held), so the client gets its 413 rather than a reset.
    if (this.size > MAX_BODY_BYTES)
      return this.finish({ ok: false, status: 413, message: `Request body larger than ${MAX_BODY_BYTES} bytes`, code: -32600 });
    const refused = this.guard?.add(chunk.length);
    if (refused) return this.fail(refused.status, refused.message, -32000, refused.retryAfter);
    this.chunks.push(chunk);
  }

  end(): void {
    if (this.done) return;
    const { chunks } = this;
    const text = (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)).toString('utf8');
    try {
      this.finish({ ok: true, value: JSON.parse(text) });
    } catch (error) {
      this.finish({
        ok: false,
        status: 400,
        message: `Parse error: ${error instanceof Error ? error.message : String(error)}`,
        code: -32700,
      });
    }
  }

  /** A stalled body or one past the caller's budget: the connection is closed once answered, so its bytes stop coming. */
  fail(status: number, message: string, code = -32600, retryAfter?: number): void {
    if (this.done) return;
    this.finish({ ok: false, status, message, code, close: true, ...(retryAfter !== undefined ? { retryAfter } : {}) });
  }

  finish(outcome: BodyOutcome): void {
    this.done = true;
    this.reads?.delete(this);
    this.guard?.release();
    this.chunks = [];
    this.resolve(outcome);
  }
}

// Listeners shared by every request (no closures per request); each finds its reader on the request.
function onBodyData(this: Reading, chunk: Buffer): void {
  this[READER]!.data(chunk);
}
function onBodyEnd(this: Reading): void {
  this[READER]!.end();
}
// A client that goes away mid-body: nobody to answer, nothing to log.
function onBodyGone(this: Reading): void {
  if (!this.complete) this[READER]!.fail(400, 'Bad Request: the request body was not completed');
}

/**
 * The JSON body of a request, read with plain stream events (an async iterator costs several
 * promises per request). With a guard, every chunk is counted against the caller's byte budget; in
 * `reads` until it settles, for the body timeout.
 */
export function readJson(req: IncomingMessage, guard?: BodyGuard, reads?: Set<BodyRead>): Promise<BodyOutcome> {
  return new Promise((resolve) => {
    const reader = new BodyReader(guard, reads, resolve);
    (req as Reading)[READER] = reader;
    reads?.add(reader);
    // Listeners stay once the read settles (removing four costs more than the read): later events find it done.
    req.on('data', onBodyData).on('end', onBodyEnd).on('error', onBodyGone).on('close', onBodyGone);
  });
}

/** Answers a failed body read; a body not read to its end closes the connection (so its bytes stop coming). */
export function rejectBody(res: ServerResponse, failure: BodyFailure): void {
  if (failure.retryAfter !== undefined) res.setHeader('Retry-After', String(failure.retryAfter));
  const socket = res.socket;
  if (failure.close && socket) {
    res.setHeader('connection', 'close');
    res.once('finish', () => socket.destroy());
  }
  reject(res, failure.status, failure.message, failure.code);
}

/**
 * `/readyz`: 200 once the bridge is ready and no server is still starting; every server's state,
 * and, while some are, `starting` with their names (a load balancer then knows what is missing).
 */
export function readyz(bridge: Bridge, res: ServerResponse): void {
  const servers = bridge.state === 'new' ? [] : bridge.status().map((s) => ({ name: s.name, state: s.state }));
  const starting = servers.filter((s) => s.state === 'starting' || s.state === 'pending').map((s) => s.name);
  const ready = bridge.state === 'ready' && starting.length === 0;
  return json(res, ready ? 200 : 503, { ready, state: bridge.state, servers, ...(starting.length > 0 ? { starting } : {}) });
}

/** Answers with a JSON body. */
export function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** Answers with a JSON-RPC error that belongs to no request (`id: null`). */
export function reject(res: ServerResponse, status: number, message: string, code = -32000): void {
  json(res, status, { jsonrpc: '2.0', error: { code, message }, id: null });
}
