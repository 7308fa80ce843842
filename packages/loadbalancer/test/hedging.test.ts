import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { createBridge, type Bridge } from '@mcp-bridge/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { loadBalancer, type LoadBalancerOptions } from '../src/index.js';
import { seeded } from './helpers.js';

const SLOW_SHARE = 0.05;

interface Replica {
  started: number;
  cancelled: number;
}

/** In-memory replicas of one read-only tool: 5% of executions (seeded) are 10x slow; cancellation is honoured. */
function replicaSet(seed: number, count = 3, annotations = { readOnlyHint: true }, trusted = true) {
  const random = seeded(seed);
  const stats: Replica[] = Array.from({ length: count }, () => ({ started: 0, cancelled: 0 }));
  const make = (i: number) => () => {
    const server = new McpServer({ name: `replica-${i}`, version: '1.0.0' });
    server.registerTool('lookup', { inputSchema: { key: z.string().optional() }, annotations }, async (_args, extra) => {
      stats[i]!.started++;
      // 15-25 ms, and 5% of executions 10x that. Time is faked: latencies are exact, host noise is out.
      const fast = 15 + Math.floor(random() * 11);
      const ms = random() < SLOW_SHARE ? fast * 10 : fast;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, ms);
        extra.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          stats[i]!.cancelled++;
          reject(new Error('cancelled'));
        });
      });
      return { content: [{ type: 'text' as const, text: `replica-${i}` }] };
    });
    return server;
  };
  const config = { type: 'in-memory', server: make(0), trusted, replicas: Array.from({ length: count }, (_, i) => ({ server: make(i) })) };
  return { config, stats };
}

let bridge: Bridge | undefined;
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
});
afterEach(async () => {
  await bridge?.close();
  bridge = undefined;
  vi.useRealTimers();
});

/** Runs fake time forward 1 ms at a time until `work` settles. */
async function settle<T>(work: Promise<T>): Promise<T> {
  let done = false;
  void work.then(
    () => (done = true),
    () => (done = true),
  );
  while (!done) await vi.advanceTimersByTimeAsync(1);
  return work;
}

async function run(options: LoadBalancerOptions, calls: number, set = replicaSet(42)) {
  bridge = createBridge({ servers: { api: set.config }, plugins: [loadBalancer({ random: seeded(9), ...options })] });
  await settle(bridge.start());
  const latencies: number[] = [];
  let issued = 0;
  await settle(
    Promise.all(
      Array.from({ length: 10 }, async () => {
        while (issued < calls) {
          issued++;
          const t = Date.now();
          await bridge!.callTool('lookup', {});
          latencies.push(Date.now() - t);
        }
      }),
    ),
  );
  latencies.sort((a, b) => a - b);
  const p99 = latencies[Math.ceil(0.99 * latencies.length) - 1]!;
  const executions = set.stats.reduce((a, s) => a + s.started, 0);
  const cancelled = set.stats.reduce((a, s) => a + s.cancelled, 0);
  const stats = bridge.loadBalancer.stats();
  await settle(bridge.close());
  bridge = undefined;
  return { p99, executions, cancelled, stats };
}

describe('hedging read-only calls', () => {
  it('with 5% of calls 10x slow, p99 improves >= 50% with <= 7% extra calls; losers are cancelled', async () => {
    const calls = 1500;
    const plain = await run({}, calls);
    const hedged = await run({ hedging: true }, calls);
    const extra = hedged.stats.hedging.hedges / calls;
    console.log(
      `[loadbalancer] hedging: p99 ${plain.p99.toFixed(1)} ms -> ${hedged.p99.toFixed(1)} ms, extra calls ${(extra * 100).toFixed(1)}%, ` +
        `hedge wins ${hedged.stats.hedging.hedgeWins}, cancelled ${hedged.cancelled}`,
    );
    expect(plain.stats.hedging.hedges).toBe(0);
    expect(hedged.p99).toBeLessThanOrEqual(plain.p99 * 0.5);
    expect(extra).toBeLessThanOrEqual(0.07);
    expect(hedged.executions).toBeLessThanOrEqual(calls * 1.07 + 10); // the list at start is not a tool execution
    expect(hedged.stats.hedging.hedgeWins).toBeGreaterThan(0);
    // The loser's upstream got notifications/cancelled and stopped.
    expect(hedged.cancelled).toBeGreaterThan(0);
  }, 60_000);

  it('never hedges a tool that is not read-only, or a server that is not trusted', async () => {
    const notReadOnly = await run({ hedging: { delayMs: 1 } }, 100, replicaSet(1, 3, { readOnlyHint: false }));
    expect(notReadOnly.stats.hedging.hedges).toBe(0);
    expect(notReadOnly.executions).toBe(100);
    const untrusted = await run({ hedging: { delayMs: 1 } }, 100, replicaSet(1, 3, { readOnlyHint: true }, false));
    expect(untrusted.stats.hedging.hedges).toBe(0);
  });

  it('the budget bounds hedges even when every call is slow to answer', async () => {
    const calls = 400;
    const result = await run({ hedging: { delayMs: 1, budget: 0.02, burst: 2 } }, calls);
    expect(result.stats.hedging.hedges).toBeLessThanOrEqual(calls * 0.02 + 2);
    expect(result.stats.hedging.budgetDenied).toBeGreaterThan(0);
  });
});
