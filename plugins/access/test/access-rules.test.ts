import * as core from '@mcp-bridge/core';
import { BridgeError, createBridge, type Bridge, type BridgeOptions } from '@mcp-bridge/core';
import { describePluginConformance, inMemoryFaultServer, inMemoryTestServer } from '@mcp-bridge/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { AccessDeniedError, accessRules, type AccessOptions } from '../src/index.js';

describePluginConformance(() => accessRules({ deny: ['*/never_*'], tools: { 'conformance/lookup': { description: 'renamed nothing' } } }), {
  core,
  vitest: { describe, it },
});
// With a caller whose own rules apply on every call the suite makes.
describePluginConformance(() => accessRules({ callers: { 'agent-*': { allow: ['conformance/*'], deny: ['*/create'] } } }), {
  core,
  vitest: { describe, it },
  caller: 'agent-7',
});

const open: Bridge[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((b) => b.close()));
});

function servers() {
  const github = inMemoryFaultServer({
    name: 'github',
    tools: { search_issues: { readOnlyHint: true }, create_issue: {}, delete_repo: { destructiveHint: true } },
  });
  const lab = inMemoryFaultServer({ name: 'lab', tools: { try_thing: {} } });
  return {
    github: { ...github, tags: ['vcs'] },
    lab: { ...lab, tags: ['experimental'] },
    ledgers: { github: github.ledger, lab: lab.ledger },
  };
}

async function start(options: AccessOptions, extra: Partial<BridgeOptions> = {}) {
  const { ledgers, ...configs } = servers();
  const bridge = createBridge({ servers: configs, plugins: [accessRules(options)], ...extra });
  open.push(bridge);
  await bridge.start();
  const names = async () =>
    (await bridge.listTools()).tools
      .map((t) => t.name)
      .filter((n) => !n.includes('ledger'))
      .sort();
  return { bridge, ledgers, names };
}

const denied = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected the call to be refused');
    },
    (error: unknown) => error as AccessDeniedError,
  );

describe('accessRules', () => {
  it('denied tools disappear from lists and are refused on call, before reaching the upstream', async () => {
    const { bridge, ledgers, names } = await start({ deny: ['*/delete_*', 'tag:experimental'] });
    expect(await names()).toEqual(['create_issue', 'search_issues']);
    // A hidden tool is not in the catalog; called by `server/tool` it reaches the rules.
    await expect(bridge.callTool('delete_repo', { key: 'd1' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const error = await denied(bridge.callTool('github/delete_repo', { key: 'd2' }));
    expect(error).toBeInstanceOf(AccessDeniedError);
    expect(error).toBeInstanceOf(BridgeError);
    expect(error.code).toBe('ACCESS_DENIED');
    expect(error.message).toBe(
      '[mcp-bridge] [@mcp-bridge/plugin-access] tool "github/delete_repo" of server "github" is not allowed: denied by global rule {"server":"*","tool":"delete_*"}',
    );
    expect(error.data).toMatchObject({ server: 'github', tool: 'delete_repo', reason: expect.stringContaining('delete_*') });
    const tagged = await denied(bridge.callTool('lab/try_thing', { key: 't1' }));
    expect(tagged.message).toMatch(/denied by global rule tag:experimental/);
    expect(ledgers.github.received('d2')).toBe(0);
    expect(ledgers.lab.received('t1')).toBe(0);
    await bridge.callTool('search_issues', { key: 's1' });
    expect(ledgers.github.executions('s1')).toBe(1);
  });

  it('an allow list keeps only what it names (objects with server, tool and tags too)', async () => {
    const { bridge, names } = await start({ allow: ['github/search_*', { tags: ['experimental'], tool: 'try_*' }] });
    expect(await names()).toEqual(['search_issues', 'try_thing']);
    await expect(denied(bridge.callTool('github/create_issue', {}))).resolves.toMatchObject({
      message: expect.stringMatching(/not in the global allow list/),
    });
  });

  it('renames tools and overrides descriptions; the renamed tool calls the upstream tool', async () => {
    const { bridge, ledgers, names } = await start({
      tools: {
        'github/create_issue': { name: 'new_issue', description: 'Open an issue in our tracker' },
        'github/search_issues': { description: 'Find issues' },
      },
    });
    expect(await names()).toEqual(['delete_repo', 'new_issue', 'search_issues', 'try_thing']);
    const listed = (await bridge.listTools()).tools;
    expect(listed.find((t) => t.name === 'new_issue')?.description).toBe('Open an issue in our tracker');
    expect(listed.find((t) => t.name === 'search_issues')?.description).toBe('Find issues');
    const result = await bridge.callTool('new_issue', { key: 'n1' });
    expect(JSON.parse((result.content[0] as { text: string }).text)).toMatchObject({ tool: 'create_issue', key: 'n1' });
    expect(ledgers.github.executions('n1')).toBe(1);
  });

  it('renamed tools keep their rules: denying the upstream name denies the alias', async () => {
    const { bridge } = await start({ deny: ['github/create_issue'], tools: { 'github/create_issue': { name: 'new_issue' } } });
    expect((await bridge.listTools()).tools.map((t) => t.name)).not.toContain('new_issue');
    await expect(denied(bridge.callTool('github/new_issue', {}))).resolves.toMatchObject({ code: 'ACCESS_DENIED' });
  });

  it('per-caller rules restrict calls by ctx.caller, and visibleTools gives the per-caller list', async () => {
    const { bridge, ledgers } = await start({
      deny: ['tag:experimental'],
      callers: { 'agent-*': { deny: ['*/create_*', '*/delete_*'] }, 'intern-*': { allow: ['*/search_*'] } },
      anonymous: { deny: ['*/delete_*'] },
    });
    // A tool hidden from a caller's list does not exist for that caller: unknown tool, not "denied" (which would confirm it exists).
    const error = await denied(bridge.callTool('create_issue', { key: 'c1' }, { caller: 'agent-42' }));
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toMatch(/no tool named "create_issue"/);
    await expect(denied(bridge.callTool('github/create_issue', { key: 'c1' }, { caller: 'agent-42' }))).resolves.toMatchObject({
      code: 'NOT_FOUND',
    });
    expect(ledgers.github.received('c1')).toBe(0);
    await bridge.callTool('create_issue', { key: 'c2' }, { caller: 'admin' });
    expect(ledgers.github.executions('c2')).toBe(1);
    await expect(denied(bridge.callTool('delete_repo', {}))).resolves.toMatchObject({ code: 'NOT_FOUND' });
    await expect(denied(bridge.callTool('search_issues', {}, { caller: 'agent-1' }))).rejects.toThrow('expected the call to be refused');

    expect(
      bridge.access
        .visibleTools('agent-1')
        .map((t) => t.name)
        .filter((n) => !n.includes('ledger'))
        .sort(),
    ).toEqual(['search_issues']);
    expect(bridge.access.visibleTools('intern-1').map((t) => t.name)).toEqual(['search_issues']);
    expect(
      bridge.access
        .visibleTools('admin')
        .map((t) => t.name)
        .filter((n) => !n.includes('ledger'))
        .sort(),
    ).toEqual(['create_issue', 'delete_repo', 'search_issues']);
    // The lists built for a caller are the same views (api.filterList); without a caller, the anonymous rules apply.
    const listed = async (caller?: string) =>
      (await bridge.listTools(caller === undefined ? {} : { caller })).tools
        .map((t) => t.name)
        .filter((n) => !n.includes('ledger'))
        .sort();
    expect(await listed('agent-1')).toEqual(['search_issues']);
    expect(await listed('intern-1')).toEqual(['search_issues']);
    expect(await listed('admin')).toEqual(['create_issue', 'delete_repo', 'search_issues']);
    expect(await listed()).toEqual(['create_issue', 'search_issues']);
    expect(bridge.access.isAllowed('github', 'delete_repo', 'admin')).toBe(true);
    expect(bridge.access.isAllowed('github', 'delete_repo')).toBe(false);
  });

  it('a server denied as a whole loses its prompts and resources too', async () => {
    const bridge = createBridge({
      servers: { open: inMemoryTestServer({ name: 'open' }), closed: inMemoryTestServer({ name: 'closed' }) },
      plugins: [accessRules({ deny: ['closed/*'] })],
    });
    open.push(bridge);
    await bridge.start();
    const prompts = (await bridge.listPrompts()).prompts.map((p) => p.name);
    expect(prompts.length).toBeGreaterThan(0);
    // Both servers have the same prompts: had the closed one's been listed, the names would collide and be prefixed.
    expect(prompts.filter((n) => n.includes('__'))).toEqual([]);
    const resources = (await bridge.listResources()).resources.map((r) => r.uri);
    expect(resources.length).toBeGreaterThan(0);
    expect(resources.every((u) => u.includes('//open/'))).toBe(true);
    expect(bridge.tools().every((t) => t.server === 'open')).toBe(true);
    await expect(bridge.request('closed', 'ping', {})).resolves.toEqual({});
    await expect(bridge.request('closed', 'resources/read', { uri: 'test://x' })).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
  });

  it('bad options fail start() naming the plugin and the option', async () => {
    const bridge = createBridge({ plugins: [accessRules({ deny: [42 as unknown as string], tools: { nope: { name: 'has space' } } })] });
    open.push(bridge);
    await expect(bridge.start()).rejects.toMatchObject({
      code: 'PLUGIN_OPTIONS_INVALID',
      message: expect.stringMatching(
        /\[@mcp-bridge\/plugin-access\] invalid options: deny\[0\]: expected "server\/tool", "tool", "tag:<tag>" .*; tools\.nope: keys are "server\/tool"/,
      ),
    });
  });
});

describe('requireScopes', () => {
  const principal = (id: string, scopes: string[]): core.Principal => ({ id, kind: 'jwt', scopes, claims: {} });

  it('lists and calls a scoped tool only for principals holding the scope; others do not know it', async () => {
    const { bridge, ledgers } = await start({ requireScopes: { 'github/create_*': ['repo:write'] } });
    const writer = { caller: 'alice', principal: principal('alice', ['repo:read', 'repo:write']) };
    const reader = { caller: 'bob', principal: principal('bob', ['repo:read']) };
    const names = async (who: core.ListOptions) =>
      (await bridge.listTools(who)).tools.map((t) => t.name).filter((n) => n.includes('issue'));
    expect(await names(writer)).toEqual(['create_issue', 'search_issues']);
    expect(await names(reader)).toEqual(['search_issues']);
    expect(await names({ caller: 'anon' })).toEqual(['search_issues']);

    await bridge.callTool('create_issue', { key: 's1' }, writer);
    expect(ledgers.github.executions('s1')).toBe(1);
    await expect(denied(bridge.callTool('create_issue', { key: 's2' }, reader))).resolves.toMatchObject({ code: 'NOT_FOUND' });
    expect(ledgers.github.received('s2')).toBe(0);
  });

  it('a server-wide scope rule guards its prompts and resources too', async () => {
    const { bridge } = await start({ requireScopes: { 'github/*': ['github'] } });
    const error = await denied(
      bridge.request('github', 'resources/read', { uri: 'test://x' }, { caller: 'bob', principal: principal('bob', []) }),
    );
    expect(error).toMatchObject({ code: 'ACCESS_DENIED', message: expect.stringMatching(/requires the scope\(s\) github/) });
  });
});
