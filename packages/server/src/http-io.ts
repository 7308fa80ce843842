import { timingSafeEqual } from 'node:crypto';
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

/** The token of an `Authorization: Bearer ...` header, as bytes (undefined when there is none). */
export function bearerOf(header: string | undefined): Buffer | undefined {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
  return match ? Buffer.from(match[1]!.trim()) : undefined;
}

/** Compares a given token with an expected one in constant time. */
export function sameBytes(given: Buffer, expected: Buffer): boolean {
  return given.length === expected.length && timingSafeEqual(given, expected);
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

/** What a body read may hold: bytes counted against its caller (a refusal past the cap), and the reads in progress. */
export interface BodyGuard {
  add(bytes: number): { status: number; message: string; retryAfter: number } | undefined;
  release(): void;
  reads: Set<BodyRead>;
}

/**
 * The JSON body of a request, read with plain stream events (an async iterator costs several
 * promises per request). With a guard, every chunk is counted against the caller's byte budget and
 * the read is registered for the body timeout; the bytes are given back however the read ends.
 */
export function readJson(req: IncomingMessage, guard?: BodyGuard): Promise<{ ok: true; value: unknown } | BodyFailure> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const read: BodyRead = {
      startedAt: Date.now(),
      expire: (ms) => fail(408, `Request Timeout: the body was not received within ${ms} ms (bodyTimeoutMs)`),
    };
    guard?.reads.add(read);
    let done = false;
    // Listeners stay (removing four costs more than the call they guard): later events find `done`.
    const finish = (outcome: { ok: true; value: unknown } | BodyFailure): void => {
      done = true;
      guard?.reads.delete(read);
      guard?.release();
      chunks.length = 0;
      resolve(outcome);
    };
    // A stalled body or one past the caller's budget: the connection is closed once answered, so its bytes stop coming.
    const fail = (status: number, message: string, code = -32600, retryAfter?: number): void =>
      finish({ ok: false, status, message, code, close: true, ...(retryAfter !== undefined ? { retryAfter } : {}) });
    const onData = (chunk: Buffer): void => {
      if (done) return;
      size += chunk.length;
      // Too big: the rest is read and discarded by Node (nothing held), so the client gets its 413 rather than a reset.
      if (size > MAX_BODY_BYTES)
        return finish({ ok: false, status: 413, message: `Request body larger than ${MAX_BODY_BYTES} bytes`, code: -32600 });
      const refused = guard?.add(chunk.length);
      if (refused) return fail(refused.status, refused.message, -32000, refused.retryAfter);
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      if (done) return;
      const text = (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)).toString('utf8');
      try {
        finish({ ok: true, value: JSON.parse(text) });
      } catch (error) {
        finish({ ok: false, status: 400, message: `Parse error: ${error instanceof Error ? error.message : String(error)}`, code: -32700 });
      }
    };
    // A client that goes away mid-body: nobody to answer, nothing to log.
    const onError = (): void => {
      if (!done) fail(400, 'Bad Request: the request body was not completed');
    };
    const onClose = (): void => {
      if (!done && !req.complete) onError();
    };
    req.on('data', onData).once('end', onEnd).once('error', onError).once('close', onClose);
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
