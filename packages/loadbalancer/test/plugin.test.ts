import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { createBridge, defaultHealthPolicy, NoUpstreamError, type Bridge, type HealthHost, type Plugin } from '@mcp-bridge/core';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadBalancer } from '../src/index.js';

/** In-memory replicas of a `get` tool that answer with their own index. */
function replicas(count: number) {
  const make = (i: number) => () => {
    const server = new McpServer({ name: `r${i}`, version: '1.0.0' });
    server.registerTool('get', { inputSchema: { key: z.string() }, annotations: { readOnlyHint: true } }, async () => ({
      content: [{ type: 'text' as const, text: `r${i}` }],
    }));
    return server;
  };
  return { type: 'in-memory', server: make(0), replicas: Array.from({ length: count }, (_, i) => ({ server: make(i) })) };
}

/** Core's health policy, with a handle to set an upstream's health by hand (upstreams are read-only; the host sets health). */
function healthByHand(): { plugin: Plugin; set: HealthHost['setHealth'] } {
  let host: HealthHost | undefined;
  const plugin: Plugin = {
    name: 'test-health-by-hand',
    version: '1.0.0',
    provides: ['health'],
    setup(api) {
      api.provide('health', (h) => defaultHealthPolicy((host = h)));
    },
  };
  return { plugin, set: (up, state, reason) => host!.setHealth(up, state, reason) };
}

let bridge: Bridge | undefined;
afterEach(async () => {
  await bridge?.close();
  bridge = undefined;
});

const textOf = (r: { content: unknown[] }): string => (r.content[0] as { text: string }).text;

describe('loadBalancer on a bridge', () => {
  it('one logical name, tools listed once; round robin rotates over the replicas and counts picks', async () => {
    bridge = createBridge({ servers: { kv: replicas(3) }, plugins: [loadBalancer({ picker: 'round-robin' })] });
    await bridge.start();
    expect((await bridge.listTools()).tools.map((t) => t.name)).toEqual(['get']);
    bridge.loadBalancer.reset();
    const seen = [];
    for (let i = 0; i < 6; i++) seen.push(textOf(await bridge.callTool('get', { key: 'a' })));
    // The rotation already moved for the catalog's own list calls: check the cycle, not its start.
    expect(new Set(seen.slice(0, 3)).size).toBe(3);
    expect(seen.slice(3)).toEqual(seen.slice(0, 3));
    expect(bridge.loadBalancer.stats().picks).toEqual({ 'kv#1': 2, 'kv#2': 2, 'kv#3': 2 });
  });

  it('consistent hash on an argument sends the same key to the same replica', async () => {
    bridge = createBridge({
      servers: { kv: replicas(3) },
      plugins: [loadBalancer({ picker: 'consistent-hash', hashKey: (ctx) => (ctx.params.arguments as { key?: string } | undefined)?.key })],
    });
    await bridge.start();
    const owners = new Map<string, string>();
    for (let round = 0; round < 3; round++) {
      for (const key of ['a', 'b', 'c', 'd', 'e', 'f']) {
        const owner = textOf(await bridge.callTool('get', { key }));
        expect(owners.get(key) ?? owner).toBe(owner);
        owners.set(key, owner);
      }
    }
    expect(new Set(owners.values()).size).toBeGreaterThan(1);
  });

  it("panic 'fail' fails fast with core's NoUpstreamError when fewer than half are healthy", async () => {
    const health = healthByHand();
    bridge = createBridge({ servers: { kv: replicas(3) }, plugins: [loadBalancer({ panic: 'fail' }), health.plugin] });
    const panics: number[] = [];
    bridge.on('loadbalancer:panic', (e) => panics.push(e.healthy));
    await bridge.start();
    const ups = bridge.upstreams('kv');
    health.set(ups[0]!, 'unhealthy');
    health.set(ups[1]!, 'unhealthy');
    await expect(bridge.callTool('get', { key: 'a' })).rejects.toSatisfy((e) => NoUpstreamError.isInstance(e));
    expect(panics).toEqual([1]);
    health.set(ups[1]!, 'healthy');
    expect(['r1', 'r2']).toContain(textOf(await bridge.callTool('get', { key: 'a' })));
  });

  it('rejects bad options at start, naming the plugin and the field', async () => {
    bridge = createBridge({ servers: {}, plugins: [loadBalancer({ picker: 'random' as never })] });
    await expect(bridge.start()).rejects.toThrow(/@mcp-bridge\/loadbalancer.*picker/);
    bridge = createBridge({ servers: {}, plugins: [loadBalancer({ hedging: { budget: 2 } })] });
    await expect(bridge.start()).rejects.toThrow(/hedging\.budget/);
    bridge = undefined;
  });
});
