/**
 * Issue 12, defect 1: a hostile client sends arguments nested 20,000 deep. The gateway cannot
 * serialise them to the upstream; that is the caller's failure (`invalid-request`, JSON-RPC -32602),
 * never counted against the upstream: the breaker and health stay untouched, another client's calls
 * still pass. Real parts: a stdio upstream (child process), the HTTP gateway on 127.0.0.1, raw HTTP
 * for the hostile client (the SDK client itself could not serialise such a request).
 */
import { createBridge, type Bridge } from '@mcp-bridge/core';
import { health } from '@mcp-bridge/health';
import { retry } from '@mcp-bridge/retry';
import { serveHttp, type HttpGateway } from '@mcp-bridge/server';
import { stdioTestServer } from '@mcp-bridge/testing';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterEach, describe, expect, it } from 'vitest';

const HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25' };

/** A JSON text nested `depth` objects deep, built as text: JSON.stringify itself overflows on it. */
function deepJson(depth: number): string {
  return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

/** Opens a session with raw HTTP; returns its id. */
async function openSession(url: string): Promise<string> {
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
async function rpc(
  url: string,
  session: string,
  body: string,
): Promise<{ result?: Record<string, unknown>; error?: { code: number; message: string } }> {
  const res = await fetch(url, { method: 'POST', headers: { ...HEADERS, 'mcp-session-id': session }, body });
  const text = await res.text();
  const json = res.headers.get('content-type')?.includes('event-stream') ? /^data: (.*)$/m.exec(text)![1]! : text;
  return JSON.parse(json) as { result?: Record<string, unknown>; error?: { code: number; message: string } };
}

describe('a request the gateway cannot serialise (20,000-deep arguments)', () => {
  let bridge: Bridge | undefined;
  let gateway: HttpGateway | undefined;
  afterEach(async () => {
    await gateway?.close();
    await bridge?.close();
  });

  it('is the caller’s invalid request: -32602, breaker and health untouched, a victim’s calls still pass', async () => {
    bridge = createBridge({
      servers: { tools: stdioTestServer({ name: 'tools' }) },
      plugins: [retry({ breaker: { minVolume: 2, consecutiveFailures: 2 } }), health()],
      onError: () => undefined,
    });
    gateway = await serveHttp(bridge, { onError: () => undefined });

    const victim = new Client({ name: 'victim', version: '1' });
    await victim.connect(new StreamableHTTPClientTransport(new URL(gateway.url)));
    expect(await victim.callTool({ name: 'echo', arguments: { text: 'before' } })).toMatchObject({ content: [{ text: 'before' }] });

    const session = await openSession(gateway.url);
    for (let i = 0; i < 6; i++) {
      const body = `{"jsonrpc":"2.0","id":${10 + i},"method":"tools/call","params":{"name":"echo","arguments":{"text":${deepJson(20_000)}}}}`;
      const answer = await rpc(gateway.url, session, body);
      expect(answer.error?.code).toBe(-32602);
      expect(answer.error?.message).toMatch(/cannot be serialised/);
    }

    // Nothing was counted against the upstream.
    const breaker = bridge.retry.breaker('tools');
    expect(breaker?.state).toBe('closed');
    expect(breaker?.window.failures ?? 0).toBe(0);
    const up = bridge.health().servers.tools!.upstreams[0]!;
    expect(up.state).toBe('healthy');
    expect(up.consecutiveFailures).toBe(0);
    expect(bridge.status().find((s) => s.name === 'tools')?.state).not.toMatch(/unhealthy|failed/);

    // The victim's calls still pass.
    for (let i = 0; i < 3; i++) {
      expect(await victim.callTool({ name: 'echo', arguments: { text: `after ${i}` } })).toMatchObject({
        content: [{ text: `after ${i}` }],
      });
    }
    await victim.close();
  });
});
