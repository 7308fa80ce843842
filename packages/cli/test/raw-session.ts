/**
 * Raw HTTP for hostile clients in the gateway tests: what an SDK client would refuse to send (or
 * would spend the test process's own time serialising), written as text.
 */
import { expect } from 'vitest';

export const HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  'mcp-protocol-version': '2025-11-25',
};

/** A JSON-RPC answer as the gateway sent it. */
export interface RpcAnswer {
  result?: Record<string, unknown>;
  error?: { code: number; message: string };
}

/** Opens a session with raw HTTP; returns its id. */
export async function openSession(url: string): Promise<string> {
  const init = {
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'hostile', version: '1' } },
  };
  const res = await fetch(url, { method: 'POST', headers: HEADERS, body: JSON.stringify(init) });
  expect(res.status).toBe(200);
  await res.text();
  const session = res.headers.get('mcp-session-id')!;
  const done = await fetch(url, {
    method: 'POST',
    headers: { ...HEADERS, 'mcp-session-id': session },
    body: '{"jsonrpc":"2.0","method":"notifications/initialized"}',
  });
  expect(done.status).toBe(202);
  return session;
}

/** The JSON-RPC response of a POST (plain JSON or the first SSE message event). */
export async function rpc(url: string, session: string, body: string): Promise<RpcAnswer> {
  const res = await fetch(url, { method: 'POST', headers: { ...HEADERS, 'mcp-session-id': session }, body });
  const text = await res.text();
  const json = res.headers.get('content-type')?.includes('event-stream') ? /^data: (.*)$/m.exec(text)![1]! : text;
  return JSON.parse(json) as RpcAnswer;
}

/** The p-th percentile of `values`. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
