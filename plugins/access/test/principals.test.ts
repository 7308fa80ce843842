import { createBridge, type Bridge, type BridgeOptions } from '@mcp-bridge/core';
import { cache } from '@mcp-bridge/cache';
import { rateLimits } from '@mcp-bridge/plugin-rate-limit';
import { inMemoryTestServer } from '@mcp-bridge/testing';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startAuthServer, type TestAuthServer } from '../../../test/support/oauth-server.js';
import { serveHttp, type HttpGateway, type HttpGatewayOptions } from '@mcp-bridge/server';
import { accessRules } from '../src/index.js';

// The gateway as an OAuth 2.1 resource server, end to end: a real authorization server signs the
// tokens, real MCP clients call over HTTP, principals reach plugins and upstreams.
const RESOURCE = 'https://gateway.test/mcp';
let as: TestAuthServer;
let other: TestAuthServer;
beforeAll(async () => {
  as = await startAuthServer({ clients: { gateway: 'gateway-secret' } });
  other = await startAuthServer();
});
afterAll(async () => {
  await as?.close();
  await other?.close();
});

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => undefined);
});

async function gateway(bridgeOptions: BridgeOptions, options: HttpGatewayOptions = {}): Promise<{ bridge: Bridge; gw: HttpGateway }> {
  const bridge = createBridge({ onError: () => undefined, ...bridgeOptions });
  cleanups.push(() => bridge.close());
  const gw = await serveHttp(bridge, {
    onError: () => undefined,
    auth: { resource: RESOURCE, jwt: { issuer: as.issuer, requiredScopes: ['mcp'] } },
    ...options,
  });
  cleanups.push(() => gw.close());
  return { bridge, gw };
}

async function client(url: string, token: string): Promise<Client> {
  const c = new Client({ name: 'auth-test', version: '1.0.0' });
  await c.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  cleanups.push(() => c.close());
  return c;
}

const tokenOf = (sub: string, scope = 'mcp', aud: string = RESOURCE): Promise<string> => as.token({ sub, aud, scope });

describe('principals reach plugins', () => {
  it("filters a principal's tools/list by scope; a hidden tool is an unknown tool", async () => {
    const { gw } = await gateway({
      servers: { t: inMemoryTestServer({ name: 't' }) },
      plugins: [accessRules({ requireScopes: { 't/add': ['math'] } })],
    });
    const alice = await client(gw.url, await tokenOf('alice', 'mcp math'));
    const bob = await client(gw.url, await tokenOf('bob', 'mcp'));
    const names = async (c: Client): Promise<string[]> => (await c.listTools()).tools.map((t) => t.name);
    expect(await names(alice)).toContain('add');
    expect(await names(bob)).not.toContain('add');
    expect(await names(bob)).toContain('echo');
    expect(await alice.callTool({ name: 'add', arguments: { a: 1, b: 2 } })).toMatchObject({ structuredContent: { sum: 3 } });
    await expect(bob.callTool({ name: 'add', arguments: { a: 1, b: 2 } })).rejects.toThrow(/no tool named "add"/);
  });

  it('two principals at once: own rate-limit buckets and own private cache partitions, across their sessions', async () => {
    const t = inMemoryTestServer({ name: 't' });
    const { gw } = await gateway({
      servers: { t: { ...t, trusted: true } },
      plugins: [rateLimits({ caller: { limit: 3, intervalMs: 3_600_000 } }), cache({ tools: { add: { ttl: 60_000, scope: 'private' } } })],
    });
    // Two sessions of alice (one principal), one of bob.
    const alice1 = await client(gw.url, await tokenOf('alice'));
    const alice2 = await client(gw.url, await tokenOf('alice'));
    const bob = await client(gw.url, await tokenOf('bob'));
    const add = (c: Client) => c.callTool({ name: 'add', arguments: { a: 2, b: 2 } });
    await add(alice1);
    await add(alice2); // alice's partition: a hit, the upstream ran once
    expect(t.ledger.calls('add')).toBe(1);
    await add(bob); // bob's own partition: a miss
    expect(t.ledger.calls('add')).toBe(2);
    // Rate limits per principal: alice has used 2 of 3 across both sessions.
    await add(alice2);
    const refused = await add(alice1);
    expect(refused.isError).toBe(true);
    expect(JSON.stringify(refused)).toMatch(/rate limit/i);
    expect((await add(bob)).isError).toBeFalsy();
  });
});
