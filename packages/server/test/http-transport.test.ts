import { request as httpRequest } from 'node:http';
import { createBridge } from '@mcp-bridge/core';
import { createConformanceServer } from '@mcp-bridge/testing';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { gatewayClientCapabilities, serveHttp, type HttpGateway, type HttpGatewayOptions } from '../src/index.js';
import { httpClient, textOf } from './support/clients.js';

/**
 * The gateway's own Streamable HTTP transport (http-transport.ts), seen from the wire: a call whose
 * result is the first thing ready is one JSON body; anything that must go first (progress, a
 * sampling request) or a slow answer turns the response into an SSE stream; and the spec's checks.
 */
describe('Streamable HTTP on the wire', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => undefined);
  });

  async function gateway(options: HttpGatewayOptions = {}): Promise<HttpGateway> {
    const bridge = createBridge({
      servers: { fixture: { type: 'in-memory', server: () => createConformanceServer() } },
      clientCapabilities: gatewayClientCapabilities(),
      onError: () => undefined,
    });
    cleanups.push(() => bridge.close());
    const g = await serveHttp(bridge, { onError: () => undefined, ...options });
    cleanups.push(() => g.close());
    return g;
  }

  interface Reply {
    status: number;
    type: string;
    headers: Headers;
    text: string;
  }

  async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Reply> {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: res.status, type: res.headers.get('content-type') ?? '', headers: res.headers, text: await res.text() };
  }

  /** A session opened by hand: its id and the headers every later request carries. */
  async function session(url: string): Promise<Record<string, string>> {
    const init = await post(url, {
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    });
    expect(init.status).toBe(200);
    const id = init.headers.get('mcp-session-id');
    expect(id).toBeTruthy();
    const headers = { 'mcp-session-id': id!, 'mcp-protocol-version': LATEST_PROTOCOL_VERSION };
    expect((await post(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, headers)).status).toBe(202);
    return headers;
  }

  const call = (id: number, name: string, args: Record<string, unknown> = {}, meta?: Record<string, unknown>) => ({
    jsonrpc: '2.0',
    id,
    method: 'tools/call',
    params: { name, arguments: args, ...(meta ? { _meta: meta } : {}) },
  });

  /** The JSON-RPC messages of an SSE body, in order. */
  const events = (text: string): { id?: number; method?: string; result?: unknown }[] =>
    text
      .split('\n')
      .filter((l) => l.startsWith('data: '))
      .map((l) => JSON.parse(l.slice(6)) as { id?: number; method?: string; result?: unknown });

  it('answers a call whose result is the first thing ready with one JSON body', async () => {
    const g = await gateway();
    const headers = await session(g.url);
    const reply = await post(g.url, call(1, 'test_simple_text'), headers);
    expect([reply.status, reply.type, reply.headers.get('mcp-session-id')]).toEqual([200, 'application/json', headers['mcp-session-id']]);
    expect(JSON.parse(reply.text)).toMatchObject({ jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text' }] } });
  });

  it('streams a call with progress: the progress events, then the result, on one SSE response', async () => {
    const g = await gateway();
    const headers = await session(g.url);
    const reply = await post(g.url, call(2, 'test_tool_with_progress', {}, { progressToken: 'p' }), headers);
    expect([reply.status, reply.type]).toEqual([200, 'text/event-stream']);
    const messages = events(reply.text);
    expect(messages.map((m) => m.method ?? `result ${m.id}`)).toEqual([
      'notifications/progress',
      'notifications/progress',
      'notifications/progress',
      'result 2',
    ]);
  });

  it('answers a batch of one with an array, streams a bigger batch without holding its fast answers for its slow one, 202 without requests', async () => {
    const g = await gateway();
    const headers = await session(g.url);
    const one = await post(g.url, [call(3, 'test_simple_text')], headers);
    expect([one.status, one.type]).toEqual([200, 'application/json']);
    expect((JSON.parse(one.text) as { id: number }[]).map((r) => r.id)).toEqual([3]);

    const started = Date.now();
    const fastAt: number[] = [];
    const body = await new Promise<string>((resolve, reject) => {
      const req = httpRequest(
        g.url,
        { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers } },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => {
            text += d;
            if (fastAt.length === 0 && text.includes('"id":5')) fastAt.push(Date.now() - started);
          });
          res.on('end', () => resolve(text));
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify([call(4, 'test_wait_for_cancel', { ms: 1_000 }), { jsonrpc: '2.0', id: 5, method: 'ping' }]));
    });
    expect(events(body).map((m) => m.id)).toEqual([5, 4]);
    expect(fastAt[0]).toBeLessThan(700);
    expect((await post(g.url, [{ jsonrpc: '2.0', method: 'notifications/roots/list_changed' }], headers)).status).toBe(202);
  });

  it('ends the POST of a request the client cancelled (no response will come), and the session can idle out', async () => {
    const g = await gateway({ keepAliveMs: 50, sessionIdleMs: 300 });
    const headers = await session(g.url);
    const pending = post(g.url, call(6, 'test_wait_for_cancel', { ms: 20_000 }), headers);
    await new Promise((r) => setTimeout(r, 150));
    expect(
      (await post(g.url, { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 6, reason: 'stop' } }, headers)).status,
    ).toBe(202);
    const reply = await pending;
    expect(reply.status).toBe(200);
    expect(events(reply.text)).toEqual([]);
    const deadline = Date.now() + 5_000;
    while (g.sessionCount() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(g.sessionCount()).toBe(0);
  });

  it('a slow answer starts streaming and keeps the stream alive before the result comes', async () => {
    const g = await gateway({ keepAliveMs: 100 });
    const headers = await session(g.url);
    const started = Date.now();
    const { headersAt, type, body } = await new Promise<{ headersAt: number; type: string; body: string }>((resolve, reject) => {
      const req = httpRequest(
        g.url,
        { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers } },
        (res) => {
          const headersAt = Date.now() - started;
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (body += d));
          res.on('end', () => resolve({ headersAt, type: res.headers['content-type'] ?? '', body }));
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify(call(7, 'test_wait_for_cancel', { ms: 800 })));
    });
    expect(type).toBe('text/event-stream');
    // Headers long before the 800 ms result; keep-alive comments while it ran.
    expect(headersAt).toBeLessThan(600);
    expect(body.split(': keepalive').length - 1).toBeGreaterThanOrEqual(2);
    expect(events(body)).toMatchObject([{ id: 7, result: { content: [{ text: 'finished' }] } }]);
  });

  it('refuses what the spec refuses: Accept, Content-Type, protocol version, a second GET stream, other methods, bad messages', async () => {
    const g = await gateway();
    const headers = await session(g.url);
    expect((await post(g.url, call(8, 'test_simple_text'), { ...headers, accept: 'application/json' })).status).toBe(406);
    expect((await post(g.url, call(8, 'test_simple_text'), { ...headers, 'content-type': 'text/plain' })).status).toBe(415);
    const version = await post(g.url, call(8, 'test_simple_text'), { ...headers, 'mcp-protocol-version': '1999-01-01' });
    expect([version.status, version.text]).toEqual([400, expect.stringContaining('Unsupported protocol version: 1999-01-01')]);
    const notRpc = await post(g.url, { hello: 'world' }, headers);
    expect([notRpc.status, JSON.parse(notRpc.text).error.code]).toEqual([400, -32700]);
    const big = await post(
      g.url,
      Array.from({ length: 101 }, (_, i) => ({ jsonrpc: '2.0', id: 100 + i, method: 'ping' })),
      headers,
    );
    expect([big.status, big.text]).toEqual([400, expect.stringContaining('must not exceed 100')]);
    const reinit = await post(
      g.url,
      {
        jsonrpc: '2.0',
        id: 9,
        method: 'initialize',
        params: { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
      },
      headers,
    );
    expect([reinit.status, reinit.text]).toEqual([400, expect.stringContaining('already initialized')]);
    const put = await fetch(g.url, { method: 'PUT', headers });
    expect([put.status, put.headers.get('allow')]).toEqual([405, 'GET, POST, DELETE']);

    const controller = new AbortController();
    cleanups.push(async () => controller.abort());
    const first = await fetch(g.url, { headers: { ...headers, accept: 'text/event-stream' }, signal: controller.signal });
    expect([first.status, first.headers.get('content-type')]).toEqual([200, 'text/event-stream']);
    const second = await fetch(g.url, { headers: { ...headers, accept: 'text/event-stream' } });
    expect(second.status).toBe(409);
    expect((await fetch(g.url, { headers: { ...headers, accept: 'application/json' } })).status).toBe(406);
  });

  it('a client that disconnects before its answer costs nothing: the session serves on', async () => {
    const g = await gateway();
    const headers = await session(g.url);
    const controller = new AbortController();
    const gone = fetch(g.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
      body: JSON.stringify(call(10, 'test_wait_for_cancel', { ms: 300 })),
      signal: controller.signal,
    }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 100));
    controller.abort();
    expect(await gone).toBeInstanceOf(Error);
    // Its result arrives after the client left, and is dropped without an error.
    await new Promise((r) => setTimeout(r, 400));
    expect(JSON.parse((await post(g.url, call(11, 'test_simple_text'), headers)).text)).toMatchObject({ id: 11 });
    expect(g.sessionCount()).toBe(1);
  });

  it('an SDK client gets list_changed on its GET stream and sampling on its call’s stream', async () => {
    const g = await gateway();
    const c = await httpClient('sdk', g.url);
    cleanups.push(() => c.close());
    expect(textOf(await c.client.callTool({ name: 'test_sampling', arguments: { prompt: 'hi' } }))).toContain('sampled by sdk');
    await c.client.callTool({ name: 'test_add_tool', arguments: {} });
    const deadline = Date.now() + 5_000;
    while (!c.listChanged.includes('tools') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(c.listChanged).toContain('tools');
  });
});
