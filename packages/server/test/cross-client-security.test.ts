import { createServer, request as httpRequest, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createBridge, type Bridge } from '@mcp-bridge/core';
import { createConformanceServer, inMemoryTestServer } from '@mcp-bridge/testing';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterEach, describe, expect, it } from 'vitest';
import { gatewayClientCapabilities, serveHttp, type HttpGateway, type HttpGatewayOptions } from '../src/index.js';
import { httpClient, textOf, waitFor } from './support/clients.js';

/**
 * Item 0 of the isolation issue: nothing one client receives can hurt another client or leak a
 * secret. Each test is an attack that worked on 0.1 (checked against it), run as a client would.
 */

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => undefined);
});

const INITIALIZE = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1.0.0' } },
});

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw HTTP request to the gateway, from a chosen local address (127.0.0.2 is loopback too, but another client address). */
function raw(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string; from?: string } = {},
): Promise<RawAnswer> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method: options.method ?? 'POST',
        ...(options.from ? { localAddress: options.from } : {}),
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...options.headers },
      },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(options.method && options.method !== 'POST' ? undefined : (options.body ?? INITIALIZE));
  });
}

async function gatewayOver(
  servers: Record<string, unknown>,
  options: HttpGatewayOptions = {},
  bridgeOptions: Record<string, unknown> = {},
): Promise<{ bridge: Bridge; gateway: HttpGateway }> {
  const bridge = createBridge({
    servers: servers as never,
    clientCapabilities: gatewayClientCapabilities(),
    onError: () => undefined,
    ...bridgeOptions,
  });
  cleanups.push(() => bridge.close());
  const gateway = await serveHttp(bridge, { onError: () => undefined, ...options });
  cleanups.push(() => gateway.close());
  return { bridge, gateway };
}

const sessionIdOf = (client: Client): string => (client.transport as StreamableHTTPClientTransport).sessionId!;

describe('nothing a client receives names another client', () => {
  it('a refused sampling request (two clients with calls on one upstream) names no session id', async () => {
    const { gateway } = await gatewayOver({ fixture: { type: 'in-memory', server: () => createConformanceServer() } });
    const a = await httpClient('a', gateway.url);
    cleanups.push(() => a.close());
    const b = await httpClient('b', gateway.url);
    cleanups.push(() => b.close());
    const idA = sessionIdOf(a.client);
    const idB = sessionIdOf(b.client);

    // B's call stays in flight on the shared upstream session while A's tool asks for sampling.
    const controller = new AbortController();
    const pending = b.client
      .callTool({ name: 'test_wait_for_cancel', arguments: {} }, undefined, { signal: controller.signal })
      .catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 100));
    let seenByA: string;
    try {
      seenByA = JSON.stringify(await a.client.callTool({ name: 'test_sampling', arguments: { prompt: 'whose?' } }));
    } catch (error) {
      seenByA = `${(error as Error).message} ${JSON.stringify((error as { data?: unknown }).data ?? null)}`;
    }
    controller.abort();
    await pending;
    expect(seenByA.length).toBeGreaterThan(0);
    expect(seenByA).not.toContain(idB);
    expect(seenByA).not.toContain(idA);
  });

  it('session ids carry 128 random bits, and the default caller name is not the session id', async () => {
    const callers: (string | undefined)[] = [];
    const { gateway } = await gatewayOver(
      { t: inMemoryTestServer({ name: 't' }) },
      {},
      {
        plugins: [
          {
            name: 'see-callers',
            version: '1.0.0',
            setup: (api: { use: (m: unknown) => void }) =>
              api.use({ phase: 'observe', handle: (ctx: { caller?: string }, next: () => unknown) => (callers.push(ctx.caller), next()) }),
          },
        ],
      },
    );
    const ids = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const r = await raw(gateway.url);
      const id = r.headers['mcp-session-id'] as string;
      // base64url of 16 random bytes; a UUID (122 bits, fixed version nibbles) does not pass.
      expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(Buffer.from(id, 'base64url')).toHaveLength(16);
      ids.add(id);
    }
    expect(ids.size).toBe(5);
    const c = await httpClient('c', gateway.url);
    cleanups.push(() => c.close());
    await c.client.callTool({ name: 'echo', arguments: { text: 'x' } });
    const caller = callers.at(-1);
    expect(caller).toMatch(/^session-[0-9a-f]{12}$/);
    expect(caller).not.toContain(sessionIdOf(c.client));
  });
});

describe('a session is bound to the credential (or address) that opened it', () => {
  it('without auth: another client address gets 403 for POST and DELETE, and the session lives on', async () => {
    const { gateway } = await gatewayOver({ t: inMemoryTestServer({ name: 't' }) });
    const owner = await httpClient('owner', gateway.url);
    cleanups.push(() => owner.close());
    const id = sessionIdOf(owner.client);
    const list = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    const headers = { 'mcp-session-id': id, 'mcp-protocol-version': '2025-11-25' };

    const hijack = await raw(gateway.url, { from: '127.0.0.2', headers, body: list });
    expect(hijack.status).toBe(403);
    expect(hijack.body).not.toContain(id);
    const end = await raw(gateway.url, { from: '127.0.0.2', method: 'DELETE', headers });
    expect(end.status).toBe(403);
    expect(gateway.sessionCount()).toBe(1);
    // The owner goes on as before.
    expect(textOf(await owner.client.callTool({ name: 'echo', arguments: { text: 'still mine' } }))).toBe('still mine');
    // From its own address the id works (the SDK client's own requests above prove POST; DELETE here).
    expect((await raw(gateway.url, { from: '127.0.0.1', method: 'DELETE', headers })).status).toBe(200);
    await waitFor('the session to end', () => gateway.sessionCount() === 0);
  });

  it('with named tokens: another token gets 403 for DELETE too', async () => {
    const { gateway } = await gatewayOver({ t: inMemoryTestServer({ name: 't' }) }, { tokens: { alice: 'tok-alice', bob: 'tok-bob' } });
    const transport = new StreamableHTTPClientTransport(new URL(gateway.url), {
      requestInit: { headers: { authorization: 'Bearer tok-bob' } },
    });
    const bob = new Client({ name: 'bob', version: '1.0.0' });
    await bob.connect(transport);
    cleanups.push(() => bob.close());
    const headers = { 'mcp-session-id': transport.sessionId!, 'mcp-protocol-version': '2025-11-25', authorization: 'Bearer tok-alice' };
    expect((await raw(gateway.url, { method: 'DELETE', headers })).status).toBe(403);
    expect(gateway.sessionCount()).toBe(1);
    await bob.listTools();
  });

  it('with the caller option: another caller (same address) gets 403', async () => {
    const { gateway } = await gatewayOver(
      { t: inMemoryTestServer({ name: 't' }) },
      { caller: (req) => req.headers['x-user'] as string | undefined },
    );
    const opened = await raw(gateway.url, { headers: { 'x-user': 'alice' } });
    const id = opened.headers['mcp-session-id'] as string;
    const headers = { 'mcp-session-id': id, 'mcp-protocol-version': '2025-11-25' };
    const list = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    expect((await raw(gateway.url, { headers: { ...headers, 'x-user': 'mallory' }, body: list })).status).toBe(403);
    expect((await raw(gateway.url, { headers: { ...headers, 'x-user': 'alice' }, body: list })).status).toBe(200);
  });
});

describe('no configured secret reaches a client', () => {
  const SECRET = 'sk-live-4f1c9e2b7a';
  const HEADER_SECRET = 'hdr-9b8a7c6d5e';

  /** An HTTP "MCP server" that fails with an error page quoting the request's URL and Authorization header, as some do. */
  async function leakyHttpServer(): Promise<string> {
    const server: HttpServer = createServer((req, res) => {
      req.resume();
      res
        .writeHead(500, { 'content-type': 'text/html' })
        .end(`<h1>Internal error</h1><pre>${req.method} ${req.url}\nauthorization: ${req.headers.authorization}</pre>`);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => server.close(resolve)));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp?key=${SECRET}`;
  }

  it('in tools/list _meta, unknown-tool errors, isError texts and JSON-RPC errors', async () => {
    const url = await leakyHttpServer();
    const { gateway } = await gatewayOver(
      {
        ok: inMemoryTestServer({ name: 'ok' }),
        // A stdio server that never answers initialize: the connect timeout quotes its command line.
        mute: { command: process.execPath, args: ['-e', 'setInterval(() => {}, 1000)', 'api-key', SECRET] },
        web: { url, headers: { authorization: `Bearer ${HEADER_SECRET}` } },
      },
      {},
      { connectTimeout: 1_000, reconnectMinMs: 50, reconnectMaxMs: 100 },
    );
    const c = await httpClient('c', gateway.url);
    cleanups.push(() => c.close());

    const seen: string[] = [];
    const record = async (what: () => Promise<unknown>): Promise<void> => {
      try {
        seen.push(JSON.stringify(await what()));
      } catch (error) {
        seen.push(`${(error as Error).message} ${JSON.stringify((error as { data?: unknown }).data ?? null)}`);
      }
    };
    await record(() => c.client.listTools());
    await record(() => c.client.listPrompts());
    await record(() => c.client.listResources());
    await record(() => c.client.callTool({ name: 'no_such_tool', arguments: {} }));
    await record(() => c.client.callTool({ name: 'mute/anything', arguments: {} }));
    await record(() => c.client.callTool({ name: 'web/anything', arguments: {} }));
    await record(() => c.client.getPrompt({ name: 'web/p' }));
    await record(() => c.client.readResource({ uri: 'test://nope' }));
    const everything = seen.join('\n');

    // The failures are there, named by server and kind...
    expect(everything).toContain('"mute"');
    expect(everything).toContain('"web"');
    expect(everything).toMatch(/unavailable|did not answer|timeout/);
    // ...and not one copy of a secret, the command line or the error page.
    expect(everything).not.toContain(SECRET);
    expect(everything).not.toContain(HEADER_SECRET);
    expect(everything).not.toContain('setInterval');
    expect(everything).not.toContain('Internal error</h1>');
  }, 20_000);
});

describe('Origin is compared as a whole origin', () => {
  it('another port or scheme-less opaque origin on a loopback host is refused; the gateway own origin passes', async () => {
    const { gateway } = await gatewayOver({ t: inMemoryTestServer({ name: 't' }) });
    const port = gateway.port;
    expect((await raw(gateway.url, { headers: { origin: 'http://localhost:5173' } })).status).toBe(403);
    expect((await raw(gateway.url, { headers: { origin: `http://127.0.0.1:${port + 1}` } })).status).toBe(403);
    expect((await raw(gateway.url, { headers: { origin: 'file://' } })).status).toBe(403);
    expect((await raw(gateway.url, { headers: { origin: `http://localhost:${port}` } })).status).toBe(200);
    expect((await raw(gateway.url, { headers: { origin: `http://127.0.0.1:${port}` } })).status).toBe(200);
  });

  it('allowedOrigins are compared as whole origins too (default port normalised)', async () => {
    const { gateway } = await gatewayOver({ t: inMemoryTestServer({ name: 't' }) }, { allowedOrigins: ['https://app.example.com'] });
    expect((await raw(gateway.url, { headers: { origin: 'https://app.example.com:443' } })).status).toBe(200);
    expect((await raw(gateway.url, { headers: { origin: 'https://app.example.com:8443' } })).status).toBe(403);
    expect((await raw(gateway.url, { headers: { origin: 'http://app.example.com' } })).status).toBe(403);
  });

  it('on a wildcard address, Host and Origin are still checked', async () => {
    const { gateway } = await gatewayOver({ t: inMemoryTestServer({ name: 't' }) }, { host: '0.0.0.0' });
    expect((await raw(gateway.url, { headers: { host: 'evil.example.com' } })).status).toBe(403);
    expect((await raw(gateway.url, { headers: { origin: 'http://evil.example.com' } })).status).toBe(403);
    expect((await raw(gateway.url, { headers: { origin: 'file://' } })).status).toBe(403);
    expect((await raw(gateway.url, { headers: { host: `127.0.0.1:${gateway.port}` } })).status).toBe(200);
  });
});
