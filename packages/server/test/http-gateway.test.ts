import { request as httpRequest } from 'node:http';
import { createBridge, type Bridge } from '@mcp-bridge/core';
import { inMemoryTestServer, stdioTestServer } from '@mcp-bridge/testing';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterEach, describe, expect, it } from 'vitest';
import { serveHttp, type HttpGateway, type HttpGatewayOptions } from '../src/index.js';
import { textOf, waitFor } from './support/clients.js';

const INITIALIZE = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1.0.0' } },
});

/** A raw HTTP request, so Host and Origin can be anything (fetch does not let us set Host). */
function raw(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string; path?: string } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: u.hostname,
        port: u.port,
        path: options.path ?? u.pathname,
        method: options.method ?? 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...options.headers },
      },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body ?? (options.method && options.method !== 'POST' ? undefined : INITIALIZE));
  });
}

async function connect(
  url: string,
  headers?: Record<string, string>,
): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(new URL(url), headers ? { requestInit: { headers } } : undefined);
  const client = new Client({ name: 'focused', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport };
}

describe('serveHttp', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => undefined);
  });

  async function start(
    options: HttpGatewayOptions = {},
    servers: Record<string, unknown> = { steady: inMemoryTestServer({ name: 'steady' }) },
  ): Promise<{ bridge: Bridge; gateway: HttpGateway }> {
    const bridge = createBridge({ servers, onError: () => undefined, reconnectMinMs: 50, reconnectMaxMs: 100 });
    cleanups.push(() => bridge.close());
    const gateway = await serveHttp(bridge, { onError: () => undefined, ...options });
    cleanups.push(() => gateway.close());
    return { bridge, gateway };
  }

  it('starts a new bridge, listens on 127.0.0.1 and serves its catalog', async () => {
    const { bridge, gateway } = await start();
    expect(bridge.state).toBe('ready');
    expect(gateway.url).toBe(`http://127.0.0.1:${gateway.port}/mcp`);
    const { client } = await connect(gateway.url);
    cleanups.push(() => client.close());
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('echo');
    expect(textOf(await client.callTool({ name: 'echo', arguments: { text: 'hi' } }))).toBe('hi');
    expect(client.getServerVersion()).toMatchObject({ name: 'mcp-bridge' });
  });

  it('rejects a foreign Host or Origin with 403 and accepts loopback ones (DNS-rebinding protection)', async () => {
    const { gateway } = await start();
    const evil = await raw(gateway.url, { headers: { host: 'evil.example.com', origin: 'http://evil.example.com' } });
    expect(evil.status).toBe(403);
    expect(evil.body).toContain('evil.example.com');
    expect((await raw(gateway.url, { headers: { host: `evil.example.com:${gateway.port}` } })).status).toBe(403);
    expect((await raw(gateway.url, { headers: { origin: 'http://evil.example.com' } })).status).toBe(403);
    expect((await raw(gateway.url, { headers: { origin: 'null' } })).status).toBe(403);
    // Origins are whole origins: the gateway's own passes, another local site (another port) does not.
    expect(
      (await raw(gateway.url, { headers: { host: `localhost:${gateway.port}`, origin: `http://localhost:${gateway.port}` } })).status,
    ).toBe(200);
    expect((await raw(gateway.url, { headers: { host: `localhost:${gateway.port}`, origin: 'http://localhost:5173' } })).status).toBe(403);
    expect((await raw(gateway.url, { headers: { host: `127.0.0.1:${gateway.port}` } })).status).toBe(200);
  });

  it('honours allowedHosts and allowedOrigins', async () => {
    const { gateway } = await start({ allowedHosts: ['gateway.internal'], allowedOrigins: ['https://app.example.com'] });
    expect((await raw(gateway.url, { headers: { host: `gateway.internal:${gateway.port}` } })).status).toBe(200);
    expect((await raw(gateway.url, { headers: { host: `127.0.0.1:${gateway.port}` } })).status).toBe(403);
    expect((await raw(gateway.url, { headers: { host: 'gateway.internal', origin: 'https://app.example.com' } })).status).toBe(200);
    expect((await raw(gateway.url, { headers: { host: 'gateway.internal', origin: 'http://gateway.internal' } })).status).toBe(403);
  });

  it('asks for the bearer token when one is set (401 with WWW-Authenticate)', async () => {
    const { gateway } = await start({ token: 's3cret-token' });
    const missing = await raw(gateway.url);
    expect(missing.status).toBe(401);
    expect(missing.headers['www-authenticate']).toBe('Bearer realm="mcp-bridge"');
    const wrong = await raw(gateway.url, { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers['www-authenticate']).toContain('error="invalid_token"');
    await expect(connect(gateway.url)).rejects.toThrow();
    const { client } = await connect(gateway.url, { authorization: 'Bearer s3cret-token' });
    cleanups.push(() => client.close());
    expect(textOf(await client.callTool({ name: 'echo', arguments: { text: 'authorised' } }))).toBe('authorised');
    // Probes stay open: orchestrators call them without credentials.
    expect((await raw(gateway.url, { method: 'GET', path: '/healthz' })).status).toBe(200);
  });

  it('answers /healthz while the process is up and /readyz with the bridge state per server', async () => {
    const { bridge, gateway } = await start(
      {},
      { steady: inMemoryTestServer({ name: 'steady' }), gone: { command: '/nonexistent/mcp-server-binary' } },
    );
    const health = await raw(gateway.url, { method: 'GET', path: '/healthz' });
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toEqual({ status: 'ok' });
    const ready = await raw(gateway.url, { method: 'GET', path: '/readyz' });
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.body)).toEqual({
      ready: true,
      state: 'ready',
      servers: [
        { name: 'steady', state: 'ok' },
        { name: 'gone', state: 'down' },
      ],
    });
    await bridge.close();
    const closed = await raw(gateway.url, { method: 'GET', path: '/readyz' });
    expect(closed.status).toBe(503);
    expect(JSON.parse(closed.body)).toMatchObject({ ready: false, state: 'closed' });
    expect((await raw(gateway.url, { method: 'GET', path: '/healthz' })).status).toBe(200);
    expect((await raw(gateway.url, { method: 'GET', path: '/elsewhere' })).status).toBe(404);
  });

  it('closes sessions that stay idle, and DELETE ends a session at once', async () => {
    const { gateway } = await start({ sessionIdleMs: 300 });
    const first = await connect(gateway.url);
    cleanups.push(() => first.client.close());
    expect(gateway.sessionCount()).toBe(1);
    // Busy with a long call: not idle, even past sessionIdleMs.
    expect(textOf(await first.client.callTool({ name: 'slow', arguments: { ms: 700 } }))).toBeDefined();
    expect(gateway.sessionCount()).toBe(1);
    await waitFor('the idle session to expire', () => gateway.sessionCount() === 0, 10_000);
    await expect(first.client.callTool({ name: 'echo', arguments: { text: 'late' } })).rejects.toThrow(/404|not found/i);

    const second = await connect(gateway.url);
    cleanups.push(() => second.client.close());
    expect(gateway.sessionCount()).toBe(1);
    await second.transport.terminateSession();
    expect(gateway.sessionCount()).toBe(0);
    const unknown = await raw(gateway.url, {
      headers: { 'mcp-session-id': 'no-such-session' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping' }),
    });
    expect(unknown.status).toBe(404);
  });

  it('a full table (maxSessions) ends its longest-idle session for a newcomer, and refuses (503) only when every session is busy', async () => {
    const { gateway } = await start({ maxSessions: 1 });
    const one = await connect(gateway.url);
    cleanups.push(() => one.client.close());
    const two = await connect(gateway.url);
    cleanups.push(() => two.client.close());
    expect(gateway.sessionCount()).toBe(1);
    // The first session was the longest idle: it is gone (404 tells its client to initialize again).
    await expect(one.client.listTools()).rejects.toThrow(/404|Session not found/);
    expect((await two.client.listTools()).tools.length).toBeGreaterThan(0);

    // Every session busy: nothing to evict, so the newcomer is refused.
    const busy = two.client.callTool({ name: 'slow', arguments: { ms: 1_000 } });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const refused = await raw(gateway.url);
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('5');
    expect(JSON.parse(refused.body)).toMatchObject({ error: { message: expect.stringContaining('(maxSessions)') } });
    await busy;
  });

  it('a tool whose upstream is down returns an isError result naming server and cause; the gateway stays up', async () => {
    const { bridge, gateway } = await start(
      {},
      {
        steady: inMemoryTestServer({ name: 'steady' }),
        flaky: stdioTestServer({ name: 'flaky', toolPrefix: 'flaky_' }),
        gone: { command: '/nonexistent/mcp-server-binary' },
      },
    );
    const { client } = await connect(gateway.url);
    cleanups.push(() => client.close());
    expect(textOf(await client.callTool({ name: 'flaky_echo', arguments: { text: 'up' } }))).toBe('up');

    const pid = bridge.connection(bridge.upstreams('flaky')[0]!)?.pid;
    expect(pid).toBeTypeOf('number');
    process.kill(pid!, 'SIGKILL');
    await waitFor('the bridge to see the upstream die', () => bridge.upstreams('flaky')[0]!.status !== 'ready');
    const down = await client.callTool({ name: 'flaky_echo', arguments: { text: 'down?' } });
    // It may already have been reconnected (the pool restarts stdio servers on use): either answer is fine, a thrown error is not.
    if (down.isError) expect(textOf(down)).toContain('"flaky"');

    const never = await client.callTool({ name: 'gone/anything', arguments: {} });
    expect(never.isError).toBe(true);
    expect(textOf(never)).toMatch(/server "gone"/);
    // The kind of failure, not its text: the command line (and so any secret in it) stays in the operator's log.
    expect(textOf(never)).toMatch(/server "gone" is unavailable/);
    expect(textOf(never)).not.toMatch(/nonexistent/);
    expect(never._meta?.['mcp-bridge/error']).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', server: 'gone' });

    expect(textOf(await client.callTool({ name: 'echo', arguments: { text: 'still here' } }))).toBe('still here');
    expect((await raw(gateway.url, { method: 'GET', path: '/healthz' })).status).toBe(200);
  });

  it('runs every call through the pipeline with caller set to a per-session handle (never the secret session id)', async () => {
    const callers: (string | undefined)[] = [];
    const bridge = createBridge({
      servers: { steady: inMemoryTestServer({ name: 'steady' }) },
      onError: () => undefined,
      plugins: [
        {
          name: 'mcp-bridge-plugin-callers',
          version: '1.0.0',
          setup(api) {
            api.use({
              phase: 'observe',
              methods: ['tools/call', 'resources/read', 'prompts/get'],
              handle: (ctx, next) => (callers.push(ctx.caller), next()),
            });
          },
        },
      ],
    });
    cleanups.push(() => bridge.close());
    const gateway = await serveHttp(bridge, { onError: () => undefined });
    cleanups.push(() => gateway.close());
    const one = await connect(gateway.url);
    const two = await connect(gateway.url);
    cleanups.push(
      () => one.client.close(),
      () => two.client.close(),
    );
    await one.client.callTool({ name: 'echo', arguments: { text: '1' } });
    await two.client.callTool({ name: 'echo', arguments: { text: '2' } });
    expect((await one.client.getPrompt({ name: 'greet', arguments: { who: 'x' } })).messages.length).toBeGreaterThan(0);
    expect(one.transport.sessionId).toBeTypeOf('string');
    const [first, second] = callers;
    expect(first).toMatch(/^session-[0-9a-f]{12}$/);
    expect(second).toMatch(/^session-[0-9a-f]{12}$/);
    expect(first).not.toBe(second);
    expect(callers).not.toContain(one.transport.sessionId);
    expect(new Set(callers.slice(2))).toEqual(new Set([first]));
  });

  it('an unknown tool is a JSON-RPC InvalidParams error', async () => {
    const { gateway } = await start();
    const { client } = await connect(gateway.url);
    cleanups.push(() => client.close());
    await expect(client.callTool({ name: 'no_such_tool', arguments: {} })).rejects.toThrow(/-32602.*no tool named "no_such_tool"/);
  });

  it('rejects bad options naming the field', async () => {
    const bridge = createBridge({});
    cleanups.push(() => bridge.close());
    await expect(serveHttp(bridge, { port: -1 })).rejects.toThrow(/serveHttp: invalid options: port/);
    await expect(serveHttp(bridge, { path: 'mcp' })).rejects.toThrow(/path/);
    expect(bridge.state).toBe('new');
  });
});
