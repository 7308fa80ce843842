import { createBridge, type Bridge } from '@mcp-bridge/core';
import { serveHttp, type HttpGateway } from '@mcp-bridge/server';
import { inMemoryFaultServer, inMemoryTestServer } from '@mcp-bridge/testing';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterEach, describe, expect, it } from 'vitest';
import { accessRules, type AccessOptions } from '../src/index.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => undefined);
});

async function gateway(
  options: AccessOptions,
  servers: Record<string, unknown>,
  tokens?: Record<string, string>,
): Promise<{ bridge: Bridge; gw: HttpGateway }> {
  const bridge = createBridge({ servers, plugins: [accessRules(options)], onError: () => undefined });
  cleanups.push(() => bridge.close());
  const gw = await serveHttp(bridge, { onError: () => undefined, ...(tokens ? { tokens } : {}) });
  cleanups.push(() => gw.close());
  return { bridge, gw };
}

async function client(url: string, token?: string): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(
    new URL(url),
    token ? { requestInit: { headers: { authorization: `Bearer ${token}` } } } : undefined,
  );
  const c = new Client({ name: 'access-test', version: '1.0.0' });
  await c.connect(transport);
  cleanups.push(() => c.close());
  return c;
}

const toolNames = async (c: Client) =>
  (await c.listTools()).tools
    .map((t) => t.name)
    .filter((n) => !n.includes('ledger'))
    .sort();

describe('per-caller rules over the HTTP gateway', () => {
  it('two clients with different callers see different tools/list, and a denied call is refused with a clear error', async () => {
    const github = inMemoryFaultServer({
      name: 'github',
      tools: { search_issues: { readOnlyHint: true }, create_issue: {}, delete_repo: {} },
    });
    const { gw } = await gateway(
      { deny: ['*/delete_*'], callers: { 'agent-*': { deny: ['*/create_*'] }, intern: { allow: ['*/search_*'] } } },
      { github },
      { 'agent-7': 'token-agent', admin: 'token-admin', intern: 'token-intern' },
    );
    const agent = await client(gw.url, 'token-agent');
    const admin = await client(gw.url, 'token-admin');
    const intern = await client(gw.url, 'token-intern');

    expect(await toolNames(agent)).toEqual(['search_issues']);
    expect(await toolNames(admin)).toEqual(['create_issue', 'search_issues']);
    expect(await toolNames(intern)).toEqual(['search_issues']);

    // Hidden from its list, so unknown to it (-32602, as for any unknown tool): the answer does not confirm that the tool exists.
    await expect(agent.callTool({ name: 'create_issue', arguments: { key: 'g1' } })).rejects.toThrow(
      /-32602.*no tool named "create_issue"/,
    );
    expect(github.ledger.received('g1')).toBe(0);

    const allowed = await admin.callTool({ name: 'create_issue', arguments: { key: 'g2' } });
    expect(allowed.isError).toBeFalsy();
    expect(github.ledger.executions('g2')).toBe(1);
    // Globally denied: not in anybody's list, and unknown by its exposed name.
    await expect(admin.callTool({ name: 'github/delete_repo', arguments: {} })).rejects.toThrow(/no tool named "github\/delete_repo"/);
  });

  it('without named tokens each session is its own caller; server-wide caller rules hide prompts and resources too', async () => {
    const { gw } = await gateway(
      { callers: { '*': { deny: ['closed/*'] } }, anonymous: { deny: ['open/*'] } },
      { open: inMemoryTestServer({ name: 'open' }), closed: inMemoryTestServer({ name: 'closed' }) },
    );
    const c = await client(gw.url);
    const tools = (await c.listTools()).tools;
    expect(tools.length).toBeGreaterThan(0);
    // Both servers have the same tools, so every exposed name is prefixed; only open's are left.
    expect(tools.every((t) => t.name.startsWith('open_'))).toBe(true);
    const resources = (await c.listResources()).resources.map((r) => r.uri);
    expect(resources.length).toBeGreaterThan(0);
    expect(resources.every((u) => u.includes('//open/'))).toBe(true);
    const prompts = (await c.listPrompts()).prompts.map((p) => p.name);
    expect(prompts.length).toBeGreaterThan(0);
    expect(prompts.every((n) => n.startsWith('open_'))).toBe(true);
  });
});

describe('what a caller learns of servers it may not see', () => {
  it("a tools/list's _meta names only the servers the caller may see", async () => {
    const { gw } = await gateway(
      { callers: { guest: { deny: ['closed/*'] } } },
      { open: inMemoryTestServer({ name: 'open' }), closed: inMemoryTestServer({ name: 'closed' }) },
      { admin: 'token-admin', guest: 'token-guest' },
    );
    const servers = async (c: Client) => Object.keys((await c.listTools())._meta?.['mcp-bridge/servers'] as Record<string, unknown>).sort();
    expect(await servers(await client(gw.url, 'token-admin'))).toEqual(['closed', 'open']);
    expect(await servers(await client(gw.url, 'token-guest'))).toEqual(['open']);
  });
});
