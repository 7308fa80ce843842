import { request as httpRequest } from 'node:http';
import { createBridge } from '@mcp-bridge/core';
import { inMemoryTestServer } from '@mcp-bridge/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { serveHttp } from '../src/index.js';

/** One raw POST; resolves with the status and the body as text. */
function post(url: string, body: string | Buffer, path?: string): Promise<{ status: number; text: string }> {
  const target = new URL(url);
  if (path !== undefined) target.pathname = path;
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      target,
      { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The request body and target parsing of the HTTP gateway (its fast paths must keep the answers). */
describe('serveHttp: request bodies and targets', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => undefined);
  });

  async function gateway(): Promise<string> {
    const bridge = createBridge({ servers: { echo: inMemoryTestServer() }, onError: () => undefined });
    cleanups.push(() => bridge.close());
    const g = await serveHttp(bridge, { onError: () => undefined });
    cleanups.push(() => g.close());
    return g.url;
  }

  const initialize = JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
  });

  it('answers 400 for a body that is not JSON, 413 for one over 4 MiB, and keeps serving', async () => {
    const url = await gateway();
    const bad = await post(url, '{nope');
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.text)).toMatchObject({ error: { code: -32700, message: expect.stringMatching(/^Parse error/) } });
    const big = await post(url, Buffer.alloc(5 * 1024 * 1024, 0x20));
    expect(big.status).toBe(413);
    expect(JSON.parse(big.text)).toMatchObject({ error: { code: -32600, message: 'Request body larger than 4194304 bytes' } });
    const ok = await post(url, initialize);
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('"protocolVersion"');
  });

  it('finds the endpoint with a query string, and 404s other paths', async () => {
    const url = await gateway();
    expect((await post(`${url}?x=1`, initialize)).status).toBe(200);
    const other = await post(url, initialize, '/mcpx');
    expect(other.status).toBe(404);
    expect(other.text).toContain('not found: /mcpx');
  });
});
