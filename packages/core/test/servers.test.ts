import { describe, expect, it } from 'vitest';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ListRootsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { processesWith, stdioTestServer } from '@mcp-bridge/testing';
import { ConfigError, createDefaultPool, type Bridge, type Plugin } from '../src/index.js';
import { inMemory, useBridges } from './fixtures.js';

const { started } = useBridges();

const names = async (bridge: Bridge) => (await bridge.listTools()).tools.map((t) => t.name);

describe('servers of a running bridge', () => {
  it('adds and removes servers; removing ends the process and updates the catalog', async () => {
    const bridge = await started({ servers: { a: inMemory('a', ['only_a']) } });
    const events: string[] = [];
    bridge.on('upstream:add', ({ server }) => events.push(`add ${server}`));
    bridge.on('upstream:remove', ({ server }) => events.push(`remove ${server}`));
    bridge.on('catalog:changed', ({ server, kinds }) => events.push(`changed ${server} ${kinds.join(',')}`));

    const marker = `added-${process.pid}-${Date.now()}`;
    await bridge.addServer('child', stdioTestServer({ name: marker, tools: ['echo'], resources: false, prompts: false }));
    expect(await names(bridge)).toEqual(['only_a', 'echo']);
    expect(processesWith(marker)).toHaveLength(1);

    await expect(bridge.addServer('child', { command: 'x' })).rejects.toThrow(/server "child" already exists/);
    const bad = await bridge.addServer('bad', { url: 'not a url' }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ConfigError);
    expect((bad as Error).message).toMatch(/server "bad" has an invalid config: url: /);

    expect(await bridge.removeServer('child')).toBe(true);
    expect(await names(bridge)).toEqual(['only_a']);
    expect(processesWith(marker)).toEqual([]);
    expect(await bridge.removeServer('child')).toBe(false);
    expect(events).toEqual(['add child', 'changed child tools', 'remove child', 'changed child tools,prompts,resources']);
  });

  it('lists through a pool that never hands out its connections', async () => {
    const leasing: Plugin = {
      name: 'leasing-pool',
      version: '1.0.0',
      provides: ['pool'],
      setup: (api) =>
        api.provide('pool', (host) => {
          const inner = createDefaultPool(host);
          return { ...inner, connection: () => undefined };
        }),
    };
    const bridge = await started({ servers: { a: inMemory('a', ['t1', 't2']) }, plugins: [leasing] });
    expect(await names(bridge)).toEqual(['t1', 't2']);
  });

  it('announces client capabilities and lets plugins answer server-to-client requests', async () => {
    let upstream: McpServer | undefined;
    const roots: Plugin = {
      name: 'roots',
      version: '1.0.0',
      setup(api) {
        api.on('client:created', ({ client, server }) =>
          client.setRequestHandler(ListRootsRequestSchema, async () => ({ roots: [{ uri: `file:///work/${server}`, name: server }] })),
        );
      },
    };
    const bridge = await started({
      servers: { s: { type: 'in-memory', server: () => (upstream = new McpServer({ name: 's', version: '1' })) } },
      clientCapabilities: { roots: { listChanged: true } },
      plugins: [roots],
    });
    expect(upstream!.server.getClientCapabilities()).toMatchObject({ roots: { listChanged: true } });
    expect(await upstream!.server.listRoots()).toEqual({ roots: [{ uri: 'file:///work/s', name: 's' }] });
    expect(bridge.upstreams('s')[0]!.serverInfo).toMatchObject({ name: 's' });
  });
});
