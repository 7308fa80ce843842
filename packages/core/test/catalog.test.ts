import { describe, expect, it } from 'vitest';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { createBridge, NotFoundError, UpstreamUnavailableError } from '../src/index.js';
import { fixtureServer, inMemory, text, useBridges } from './fixtures.js';

const { started } = useBridges();

describe('the merged catalog', () => {
  it('merges tools, prefixes only the colliding ones, in a deterministic order, and routes calls back', async () => {
    const bridge = await started({ servers: { b: inMemory('b', ['zeta', 'echo']), a: inMemory('a', ['echo', 'alpha']) } });
    const { tools, _meta } = await bridge.listTools();
    expect(tools.map((t) => t.name)).toEqual(['b__echo', 'zeta', 'alpha', 'a__echo']);
    expect(_meta['mcp-bridge/servers']).toMatchObject({ a: { status: 'ok' }, b: { status: 'ok' } });
    expect(text(await bridge.callTool('a__echo', { text: '1' }))).toBe('a:echo:1');
    expect(text(await bridge.callTool('b__echo', { text: '2' }))).toBe('b:echo:2');
    expect(text(await bridge.callTool('alpha'))).toBe('a:alpha:');
    // The upstream name can always be reached explicitly.
    expect(text(await bridge.callTool('a/echo', { text: '3' }))).toBe('a:echo:3');
    expect(text(await bridge.callTool('echo', { text: '4' }, { server: 'b' }))).toBe('b:echo:4');
  });

  it('applies the prefix policy and keeps names valid and reversible', async () => {
    const long = `t_${'x'.repeat(80)}`;
    const bridge = await started({ servers: { 'my.server': inMemory('m', [long, 'ok']) }, naming: { policy: 'prefix' } });
    const names = (await bridge.listTools()).tools.map((t) => t.name);
    expect(names).toHaveLength(2);
    for (const n of names) expect(n).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
    const longName = names.find((n) => n.length === 64)!;
    expect(text(await bridge.callTool(longName, { text: 'L' }))).toBe(`m:${long}:L`);
  });

  it('reports a collision against the later server under the error policy', async () => {
    const bridge = await started({ servers: { a: inMemory('a'), b: inMemory('b') }, naming: { policy: 'error' } });
    const { tools, _meta } = await bridge.listTools();
    expect(tools.map((t) => t.name)).toEqual(['echo']);
    expect(_meta['mcp-bridge/servers'].b).toMatchObject({ status: 'error', code: 'NAME_COLLISION' });
  });

  it('refreshes on list_changed and emits catalog:changed', async () => {
    let live: McpServer | undefined;
    const bridge = await started({
      servers: {
        dyn: {
          type: 'in-memory',
          server: () => {
            live = fixtureServer('dyn').server;
            return live;
          },
        },
      },
    });
    const changed = new Promise((resolve) => bridge.on('catalog:changed', resolve));
    live!.registerTool('added_later', { description: 'new' }, async () => ({ content: [{ type: 'text', text: 'late' }] }));
    expect(await changed).toEqual({ server: 'dyn', kinds: ['tools'] });
    expect((await bridge.listTools()).tools.map((t) => t.name)).toEqual(['added_later', 'echo']);
    expect(text(await bridge.callTool('added_later'))).toBe('late');
  });

  it('merges resources, templates and prompts, maps colliding URIs and routes reads and completions', async () => {
    const bridge = await started({
      servers: {
        a: inMemory('a', ['echo'], { resources: true, prompts: true }),
        b: inMemory('b', ['echo'], { resources: true, prompts: true }),
      },
    });
    const { resources } = await bridge.listResources();
    expect(resources.map((r) => r.uri)).toEqual(['mem://a/readme', 'mem://b/readme']);
    const { resourceTemplates } = await bridge.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate)).toEqual(['mem://a/items/{id}', 'mem://b/items/{id}']);
    expect((await bridge.readResource('mem://b/readme')).contents[0]).toMatchObject({ uri: 'mem://b/readme', text: 'readme of b' });
    expect((await bridge.readResource('mem://a/items/7')).contents[0]).toMatchObject({ text: 'item 7 of a' });
    const { prompts } = await bridge.listPrompts();
    expect(prompts.map((p) => p.name)).toEqual(['a__greet', 'b__greet']);
    const prompt = await bridge.getPrompt('b__greet', { who: 'ann' });
    expect(prompt.messages[0]!.content).toMatchObject({ text: 'hello ann from b' });
    const done = await bridge.complete({ ref: { type: 'ref/resource', uri: 'mem://a/items/{id}' }, argument: { name: 'id', value: '1' } });
    expect(done.completion.values).toEqual(['1', '10']);
  });

  it('prefixes colliding resource URIs as server+uri and strips the prefix on read', async () => {
    const same = (label: string) => ({
      type: 'in-memory' as const,
      server: () => {
        const s = new McpServer({ name: label, version: '1' });
        s.registerResource('cfg', 'config://main', {}, async (uri) => ({ contents: [{ uri: uri.href, text: `config of ${label}` }] }));
        return s;
      },
    });
    const bridge = await started({ servers: { a: same('a'), b: same('b') } });
    expect((await bridge.listResources()).resources.map((r) => r.uri)).toEqual(['a+config://main', 'b+config://main']);
    const read = await bridge.readResource('b+config://main');
    expect(read.contents[0]).toMatchObject({ uri: 'b+config://main', text: 'config of b' });
  });

  it('fails open: a server that cannot start is reported, the others work', async () => {
    const bridge = await started({
      servers: {
        good: inMemory('good', ['ok_tool']),
        broken: {
          type: 'in-memory',
          server: () => {
            throw new Error('cannot build server');
          },
        },
        // @ts-expect-error -- a bad entry on purpose: typed servers reject it, start() must still report it
        invalid: { command: 42 },
      },
    });
    const { tools, _meta } = await bridge.listTools();
    expect(tools.map((t) => t.name)).toEqual(['ok_tool']);
    expect(_meta['mcp-bridge/servers'].broken).toMatchObject({ status: 'unavailable', code: 'UPSTREAM_UNAVAILABLE' });
    expect(_meta['mcp-bridge/servers'].broken!.error).toMatch(/server "broken" failed to connect: .*cannot build server/);
    const status = bridge.status();
    expect(status.find((s) => s.name === 'broken')).toMatchObject({ state: 'down' });
    expect(status.find((s) => s.name === 'invalid')).toMatchObject({ state: 'invalid', issues: [{ path: 'command' }] });
    expect(text(await bridge.callTool('ok_tool'))).toBe('good:ok_tool:');
    const err = await bridge.callTool('broken/anything').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamUnavailableError);
    const missing = await bridge.callTool('nope').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NotFoundError);
    expect((missing as Error).message).toMatch(/no tool named "nope"; servers not listed: broken \(unavailable/);
  });

  it('refuses calls before start and after close', async () => {
    const bridge = createBridge({ servers: { a: inMemory('a') } });
    await expect(bridge.callTool('echo')).rejects.toThrow(/not started/);
    await bridge.start();
    await bridge.close();
    await expect(bridge.callTool('echo')).rejects.toThrow(/the bridge is closed/);
    await bridge.close();
  });

  it('rejects bad bridge options with the field named', () => {
    expect(() => createBridge({ requestTimeout: -1 })).toThrow(/invalid bridge options: requestTimeout: /);
    expect(() => createBridge({ naming: { policy: 'sometimes' as never } })).toThrow(/naming.policy/);
  });
});
