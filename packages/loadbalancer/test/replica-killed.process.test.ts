import { fileURLToPath } from 'node:url';
import { createBridge, type Bridge, type Plugin } from '@mcp-bridge/core';
import { health } from '@mcp-bridge/health';
import { retry } from '@mcp-bridge/retry';
import { afterEach, describe, expect, it } from 'vitest';
import { loadBalancer } from '../src/index.js';

const SERVER = fileURLToPath(new URL('./fixtures/latency-server.mjs', import.meta.url));

/** Counts failed attempts per upstream id, and when each one was last marked unhealthy. */
function attemptLog(): Plugin & { failures: { id: string; at: number }[] } {
  const failures: { id: string; at: number }[] = [];
  return {
    name: 'test-attempt-log',
    version: '0.0.0',
    failures,
    setup(api) {
      api.use({
        phase: 'upstream',
        async handle(ctx, next) {
          try {
            return await next();
          } catch (error) {
            failures.push({ id: ctx.upstream!.id, at: performance.now() });
            throw error;
          }
        },
      });
    },
  };
}

let bridge: Bridge | undefined;
afterEach(async () => {
  await bridge?.close();
  bridge = undefined;
});

describe('one of three real stdio replicas killed mid-run', () => {
  it('no read-only call fails (retry), the dead replica is out of rotation within 5 failures, and it comes back when healthy', async () => {
    const log = attemptLog();
    bridge = createBridge({
      servers: {
        api: {
          command: process.execPath,
          args: [SERVER],
          trusted: true,
          env: { LATENCY_MS: '10' },
          replicas: [
            { env: { LATENCY_MS: '10', REPLICA: 'r1' } },
            { env: { LATENCY_MS: '10', REPLICA: 'r2' } },
            { env: { LATENCY_MS: '10', REPLICA: 'r3' } },
          ],
        },
      },
      reconnectMinMs: 50,
      reconnectMaxMs: 200,
      plugins: [
        log,
        retry({ attempts: 3, baseDelayMs: 1, maxDelayMs: 5, breaker: false, budget: false }),
        health({ probes: { intervalMs: 100, timeoutMs: 2_000 } }),
        loadBalancer(),
      ],
    });
    await bridge.start();
    const ups = bridge.upstreams('api');
    const seen: Record<string, number> = {};
    let failed = 0;
    let stop = false;
    let unhealthyAt: number | undefined;
    bridge.on('upstream:health', (e) => {
      if (e.upstream.id === 'api#2' && e.state === 'unhealthy' && unhealthyAt === undefined) unhealthyAt = performance.now();
    });
    const workers = Array.from({ length: 10 }, async () => {
      while (!stop) {
        try {
          const result = await bridge!.callTool('lookup', {});
          const r = (result.content[0] as { text: string }).text;
          seen[r] = (seen[r] ?? 0) + 1;
        } catch (error) {
          failed++;
          console.error('[loadbalancer] call failed:', error);
        }
      }
    });
    const until = async (check: () => boolean, what: string, ms = 20_000): Promise<void> => {
      const end = Date.now() + ms;
      while (!check()) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    try {
      await until(() => ups.every((u) => u.status === 'ready') && (seen.r2 ?? 0) > 20, 'every replica to serve');
      const pid = bridge.connection(ups[1]!)!.pid!;
      const killedAt = performance.now();
      process.kill(pid, 'SIGKILL');
      await until(() => unhealthyAt !== undefined, 'api#2 to be marked unhealthy');
      // Failed attempts on the dead replica, from the kill until it left the rotation.
      const before = log.failures.filter((f) => f.id === 'api#2' && f.at >= killedAt && f.at <= unhealthyAt!).length;
      expect(before).toBeLessThanOrEqual(5);
      const r2Before = seen.r2 ?? 0;
      await until(() => ups[1]!.health === 'healthy' && (seen.r2 ?? 0) > r2Before + 20, 'api#2 to come back and serve again');
      expect(bridge.connection(ups[1]!)!.pid).not.toBe(pid);
    } finally {
      stop = true;
      await Promise.all(workers);
    }
    expect(failed).toBe(0);
    console.log(`[loadbalancer] kill test: calls per replica ${JSON.stringify(seen)}, failed attempts ${log.failures.length}`);
  }, 60_000);
});
