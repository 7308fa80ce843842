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

/** The JSON body of a request, read with plain stream events (an async iterator costs several promises per request). */
export function readJson(
  req: IncomingMessage,
): Promise<{ ok: true; value: unknown } | { ok: false; status: number; message: string; code: number }> {
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
        resolve({
          ok: false,
          status: 400,
          message: `Parse error: ${error instanceof Error ? error.message : String(error)}`,
          code: -32700,
        });
      }
    };
    req.on('data', onData).once('end', onEnd).once('error', reject);
  });
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
