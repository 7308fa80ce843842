import { fileURLToPath } from 'node:url';
import { createBridge, type Bridge } from '@mcp-bridge/core';
import { afterEach, describe, expect, it } from 'vitest';
import { loadBalancer, type LoadBalancerOptions } from '../src/index.js';

const SERVER = fileURLToPath(new URL('./fixtures/latency-server.mjs', import.meta.url));
const FAST_MS = 50;
const SLOW_MS = 500;
const IN_FLIGHT = 20;
const CALLS = 600;

/** Three real stdio replicas of one server; the third is 10x slower. */
function replicas(): Record<string, unknown> {
  return {
    command: process.execPath,
    args: [SERVER],
    trusted: true,
    replicas: [
      { env: { LATENCY_MS: String(FAST_MS), REPLICA: 'fast-1' } },
      { env: { LATENCY_MS: String(FAST_MS), REPLICA: 'fast-2' } },
      { env: { LATENCY_MS: String(SLOW_MS), REPLICA: 'slow' } },
    ],
  };
}

let bridge: Bridge | undefined;
afterEach(async () => {
  await bridge?.close();
  bridge = undefined;
});

async function drive(b: Bridge, calls: number): Promise<{ latencies: number[]; byReplica: Record<string, number> }> {
  const latencies: number[] = [];
  const byReplica: Record<string, number> = {};
  let issued = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (issued < calls) {
        issued++;
        const t = performance.now();
        const result = await b.callTool('lookup', {});
        latencies.push(performance.now() - t);
        const replica = (result.content[0] as { text: string }).text;
        byReplica[replica] = (byReplica[replica] ?? 0) + 1;
      }
    }),
  );
  return { latencies, byReplica };
}

async function measure(options: LoadBalancerOptions): Promise<{ mean: number; slowShare: number }> {
  bridge = createBridge({ servers: { api: replicas() }, plugins: [loadBalancer(options)] });
  await bridge.start();
  // Warm-up: every replica spawned and connected, so the run measures balancing, not cold starts.
  for (let round = 0; round < 20 && bridge.upstreams('api').some((u) => u.status !== 'ready'); round++) await drive(bridge, IN_FLIGHT);
  expect(bridge.upstreams('api').map((u) => u.status)).toEqual(['ready', 'ready', 'ready']);
  const { latencies, byReplica } = await drive(bridge, CALLS);
  await bridge.close();
  bridge = undefined;
  const mean = latencies.reduce((a, b) => a + b, 0) / latencies.length;
  return { mean, slowShare: (byReplica['slow'] ?? 0) / latencies.length };
}

describe('three real stdio replicas, one 10x slower', () => {
  it(`least-outstanding sends <= 12% of calls to the slow one at ${IN_FLIGHT} in flight and beats round robin's mean latency by >= 1.8x`, async () => {
    const lo = await measure({ picker: 'least-outstanding' });
    const rr = await measure({ picker: 'round-robin' });
    console.log(
      `[loadbalancer] ${CALLS} calls at ${IN_FLIGHT} in flight: least-outstanding mean ${lo.mean.toFixed(1)} ms, slow share ${(lo.slowShare * 100).toFixed(1)}%; ` +
        `round robin mean ${rr.mean.toFixed(1)} ms, slow share ${(rr.slowShare * 100).toFixed(1)}%; ratio ${(rr.mean / lo.mean).toFixed(2)}x`,
    );
    expect(lo.slowShare).toBeLessThanOrEqual(0.12);
    expect(Math.abs(rr.slowShare - 1 / 3)).toBeLessThan(0.02);
    expect(rr.mean / lo.mean).toBeGreaterThanOrEqual(1.8);
  }, 60_000);
});
