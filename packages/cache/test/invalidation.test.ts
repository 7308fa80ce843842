import { describe, expect, it, vi } from 'vitest';
import type { BridgeEvents } from '@mcp-bridge/core';
import { testResourceUris } from '@mcp-bridge/testing';
import { cache } from '../src/index.js';
import { controllableServer, useBridges } from './helpers.js';

const bridges = useBridges();

async function setup() {
  const server = controllableServer({ name: 'a' });
  const bridge = await bridges.started({ servers: { a: server.config }, plugins: [cache({ ttl: 600_000 })], reconnectMinMs: 1 });
  const notifications: string[] = [];
  const invalidations: BridgeEvents['cache:invalidate'][] = [];
  bridge.on('notification', (n) => notifications.push(n.method));
  bridge.on('cache:invalidate', (e) => invalidations.push(e));
  return { server, bridge, notifications, invalidations };
}

const toolNames = (list: unknown): string[] => (list as { tools: { name: string }[] }).tools.map((t) => t.name);

describe('invalidation', () => {
  it('tools/list_changed invalidates the cached list within that one notification', async () => {
    const { bridge, notifications, invalidations } = await setup();
    await bridge.request('a', 'tools/list');
    expect(bridge.cache.stats().servers.a).toMatchObject({ hits: 1 });
    await bridge.callTool('add_tool', { name: 'fresh' });
    // The catalog re-lists on that notification through the cache: it must not get the old list.
    await vi.waitFor(() => expect(bridge.tools().map((t) => t.name)).toContain('fresh'));
    expect(notifications.filter((m) => m === 'notifications/tools/list_changed')).toHaveLength(1);
    expect(invalidations).toEqual([expect.objectContaining({ server: 'a', method: 'tools/list', reason: 'notification', removed: 1 })]);
    expect(toolNames(await bridge.request('a', 'tools/list'))).toContain('fresh');
    // The re-list stored the new list: asking again is a hit.
    const hits = bridge.cache.stats().servers.a!.hits;
    await bridge.request('a', 'tools/list');
    expect(bridge.cache.stats().servers.a!.hits).toBe(hits + 1);
  });

  it('resources/updated invalidates the reads of that resource only', async () => {
    const { server, bridge, invalidations } = await setup();
    const uris = testResourceUris('a');
    await bridge.readResource(uris.readme);
    await bridge.readResource(uris.item('1'));
    await server.server.server.sendResourceUpdated({ uri: uris.readme });
    await vi.waitFor(() => expect(invalidations).toHaveLength(1));
    expect(invalidations[0]).toMatchObject({ server: 'a', method: 'resources/read', uri: uris.readme, removed: 1 });
    const before = bridge.cache.stats().servers.a!;
    await bridge.readResource(uris.readme);
    await bridge.readResource(uris.item('1'));
    const after = bridge.cache.stats().servers.a!;
    expect(after.misses - before.misses).toBe(1);
    expect(after.hits - before.hits).toBe(1);
  });

  it('a reconnect invalidates the lists of that server (it may be a new version)', async () => {
    const { server, bridge, invalidations } = await setup();
    await server.down();
    server.up();
    // The pool backs off after the connection died: keep asking until it reconnects.
    await vi.waitFor(() => bridge.callTool('echo', { text: 'x' }), { timeout: 10_000, interval: 100 });
    expect(
      invalidations
        .filter((e) => e.reason === 'reconnect')
        .map((e) => e.method)
        .sort(),
    ).toEqual(['prompts/list', 'resources/list', 'resources/templates/list', 'tools/list']);
  });
});
