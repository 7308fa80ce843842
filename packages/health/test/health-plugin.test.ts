import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { createBridge, type Bridge, type BridgeEvents, type Plugin } from '@mcp-bridge/core';
import { afterEach, describe, expect, it } from 'vitest';
import { health } from '../src/index.js';

/** In-memory replicas that can be taken down (connection closed, reconnects refused) and brought back. */
function fleet(count: number) {
  const down = Array.from({ length: count }, () => false);
  const live: (McpServer | undefined)[] = [];
  const calls = Array.from({ length: count }, () => 0);
  const make = (i: number) => () => {
    if (down[i]) throw new Error(`replica ${i} is down`);
    const server = new McpServer({ name: `r${i}`, version: '1.0.0' });
    server.registerTool('read', { annotations: { readOnlyHint: true } }, async () => {
      calls[i]!++;
      return { content: [{ type: 'text' as const, text: `r${i}` }] };
    });
    live[i] = server;
    return server;
  };
  const config =
    count === 1
      ? { type: 'in-memory' as const, server: make(0) }
      : { type: 'in-memory' as const, server: make(0), replicas: Array.from({ length: count }, (_, i) => ({ server: make(i) })) };
  return {
    config,
    calls,
    async kill(i: number) {
      down[i] = true;
      await live[i]?.close();
    },
    revive(i: number) {
      down[i] = false;
    },
  };
}

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A balancer that rotates over the replicas, so every one of them gets connected (core's default sticks to the first). */
function rotate(): Plugin {
  let n = 0;
  return {
    name: 'test-rotate',
    version: '0.0.0',
    provides: ['balancer'],
    setup(api) {
      api.provide('balancer', {
        pick: (_ctx, candidates) => candidates.filter((u) => u.health !== 'unhealthy')[n++ % candidates.length] ?? candidates[0],
      });
    },
  };
}

let bridge: Bridge | undefined;
afterEach(async () => {
  await bridge?.close();
  bridge = undefined;
});

describe('health plugin on a live bridge', () => {
  it('probes each replica, ejects a dead one at once, and brings it back after 2 passing probes', async () => {
    const f = fleet(3);
    const events: BridgeEvents['upstream:health'][] = [];
    bridge = createBridge({
      servers: { api: f.config },
      reconnectMinMs: 20,
      reconnectMaxMs: 50,
      plugins: [health({ probes: { intervalMs: 40, timeoutMs: 500 } }), rotate()],
    });
    bridge.on('upstream:health', (e) => events.push(e));
    await bridge.start();
    // Connect every replica (the catalog only needed one).
    for (let i = 0; i < 9; i++) await bridge.callTool('read', {});
    await until(() => bridge!.health().servers.api!.upstreams.every((u) => u.probe?.ok === true), 'first probes');

    await f.kill(1);
    await until(() => bridge!.upstreams('api')[1]!.health === 'unhealthy', 'the dead replica to be ejected');
    const snapshot = bridge.health();
    expect(snapshot.servers.api!.state).toBe('degraded');
    expect(snapshot.servers.api!.upstreams[1]).toMatchObject({ id: 'api#2', state: 'unhealthy', ejections: 1 });
    expect(snapshot.servers.api!.upstreams[1]!.ejectedUntil).toBeGreaterThan(Date.now());
    // While it is out, calls go elsewhere and none fails.
    const before = f.calls[1];
    for (let i = 0; i < 20; i++) await bridge.callTool('read', {});
    expect(f.calls[1]).toBe(before);

    f.revive(1);
    await until(() => bridge!.upstreams('api')[1]!.health === 'healthy', 'the replica to come back');
    expect(events.some((e) => e.upstream.id === 'api#2' && e.state === 'unhealthy')).toBe(true);
    expect(events.at(-1)).toMatchObject({ state: 'healthy', previous: 'unhealthy' });
    expect(bridge.health().servers.api!.upstreams[1]!.probe?.ok).toBe(true);
  });

  it('hideUnhealthy hides a down server from the catalog (catalog:changed) and restores it', async () => {
    const f = fleet(1);
    const other = fleet(1);
    bridge = createBridge({
      servers: { solo: f.config, other: other.config },
      naming: { policy: 'prefix' },
      reconnectMinMs: 20,
      reconnectMaxMs: 50,
      plugins: [health({ probes: { intervalMs: 40, timeoutMs: 500 }, hideUnhealthy: true })],
    });
    const changes: string[] = [];
    bridge.on('catalog:changed', (e) => changes.push(e.server));
    await bridge.start();
    const names = async () => (await bridge!.listTools()).tools.map((t) => t.name).sort();
    expect(await names()).toEqual(['other__read', 'solo__read']);
    await f.kill(0);
    await until(() => bridge!.isServerHidden('solo'), 'solo to be hidden');
    expect(await names()).toEqual(['other__read']);
    expect(bridge.health().servers.solo).toMatchObject({ state: 'unhealthy', hidden: true });
    expect(changes).toContain('solo');
    f.revive(0);
    await until(() => !bridge!.isServerHidden('solo'), 'solo to be shown again');
    expect(await names()).toEqual(['other__read', 'solo__read']);
  });

  it('a configured read-only tool call can be the probe, per server', async () => {
    const f = fleet(1);
    const seen: string[] = [];
    const origins: string[] = [];
    // Probes say what they are by origin and pin, never by a caller string.
    const observer: Plugin = {
      name: 'mcp-bridge-plugin-sees-origins',
      version: '1.0.0',
      setup: (api) =>
        api.use({ phase: 'observe', handle: (ctx, next) => (origins.push(`${ctx.origin}:${ctx.pin}:${ctx.caller}`), next()) }),
    };
    bridge = createBridge({
      servers: { api: f.config },
      plugins: [health({ probes: { intervalMs: 30, target: 'ping', servers: { api: { tool: 'read' } } } }), observer],
    });
    bridge.on('health:probe', (e) => seen.push(`${e.upstream.id}:${e.ok}`));
    await bridge.start();
    await until(() => f.calls[0]! >= 2, 'the probe tool to run');
    expect(seen.slice(0, 2)).toEqual(['api:true', 'api:true']);
    expect(origins).toContain('probe:api:undefined');
  });

  it('rejects bad options at start, naming the plugin and the field', async () => {
    bridge = createBridge({ servers: {}, plugins: [health({ consecutiveFailures: 0 })] });
    await expect(bridge.start()).rejects.toThrow(/@mcp-bridge\/health.*consecutiveFailures/);
    bridge = undefined;
  });
});
