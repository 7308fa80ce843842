import { afterEach, describe, expect, it } from 'vitest';
import type { Bridge } from '@mcp-bridge/core';
import { inMemoryFaultServer } from '@mcp-bridge/testing';
import { retry } from '../src/index.js';
import { roundRobin, seeded, startBridge } from './helpers.js';

const TOOLS = { lookup: { readOnlyHint: true }, create: { destructiveHint: true } };
let bridge: Bridge | undefined;
afterEach(async () => {
  await bridge?.close();
  bridge = undefined;
});

describe('replicas, budget', () => {
  it('3 replicas, one failing 50% of calls: a read-only tool succeeds >= 99.9% of 10,000 calls, retries avoid the replica tried', async () => {
    const bad = inMemoryFaultServer({ name: 'bad', tools: TOOLS, seed: 11, faults: { rates: { error: 0.5 } } });
    const good = [inMemoryFaultServer({ name: 'good1', tools: TOOLS }), inMemoryFaultServer({ name: 'good2', tools: TOOLS })];
    ({ bridge } = await startBridge({
      servers: { search: { type: 'in-memory', trusted: true, replicas: [bad, ...good] } },
      reconnectMinMs: 1,
      reconnectMaxMs: 10,
      // Default retry policy (3 attempts, 20% budget); the backoff is shortened to keep the test fast, and
      // the breaker is off so the faulty replica keeps its share of traffic: retries alone carry the calls.
      plugins: [roundRobin(), retry({ baseDelayMs: 1, maxDelayMs: 4, random: seeded(3), breaker: false })],
    }));
    let sameReplicaRetries = 0;
    const previous = new Map<number, string>();
    bridge.on('retry:attempt', ({ ctx }) => {
      const last = ctx.upstream?.id;
      if (last !== undefined && previous.get(ctx.id) === last) sameReplicaRetries++;
      if (last !== undefined) previous.set(ctx.id, last);
    });
    let ok = 0;
    const CALLS = 10_000;
    const BATCH = 20;
    for (let i = 0; i < CALLS; i += BATCH) {
      const results = await Promise.allSettled(Array.from({ length: BATCH }, (_, j) => bridge!.callTool('lookup', { key: `c${i + j}` })));
      ok += results.filter((r) => r.status === 'fulfilled' && !r.value.isError).length;
    }
    expect(ok / CALLS).toBeGreaterThanOrEqual(0.999);
    // The faulty replica really failed calls and got retried elsewhere.
    expect(bad.ledger.faults('error')).toBeGreaterThan(1_000);
    expect(sameReplicaRetries).toBe(0);
    const served = good.reduce((s, g) => s + g.ledger.totalExecutions, 0);
    expect(served).toBeGreaterThan(6_000);
  }, 60_000);

  it('the same with the breaker on: the faulty replica is cut off, and calls still succeed', async () => {
    const bad = inMemoryFaultServer({ name: 'bad', tools: TOOLS, seed: 12, faults: { rates: { error: 0.5 } } });
    const good = [inMemoryFaultServer({ name: 'good1', tools: TOOLS }), inMemoryFaultServer({ name: 'good2', tools: TOOLS })];
    ({ bridge } = await startBridge({
      servers: { search: { type: 'in-memory', trusted: true, replicas: [bad, ...good] } },
      plugins: [roundRobin(), retry({ baseDelayMs: 1, maxDelayMs: 4, random: seeded(3) })],
    }));
    const opened: string[] = [];
    bridge.on('breaker:open', ({ upstream }) => opened.push(upstream.id));
    let ok = 0;
    for (let i = 0; i < 3_000; i += 20) {
      const results = await Promise.allSettled(Array.from({ length: 20 }, (_, j) => bridge!.callTool('lookup', { key: `b${i + j}` })));
      ok += results.filter((r) => r.status === 'fulfilled').length;
    }
    expect(ok / 3_000).toBeGreaterThanOrEqual(0.999);
    expect(opened).toContain('search#1');
    expect(opened.every((id) => id === 'search#1')).toBe(true);
    expect(bad.ledger.totalReceived).toBeLessThan(500);
  });

  it('at 100% upstream failure, upstream attempts stay <= 1.25x the offered calls (retry budget)', async () => {
    const dead = inMemoryFaultServer({ tools: TOOLS, faults: { rates: { error: 1 } } });
    ({ bridge } = await startBridge({
      servers: { dead: { ...dead, trusted: true } },
      // The breaker is off: the budget alone must hold the load.
      plugins: [retry({ attempts: 5, baseDelayMs: 1, maxDelayMs: 2, breaker: false, random: seeded(4) })],
    }));
    const CALLS = 2_000;
    let giveUpBudget = 0;
    bridge.on('retry:giveup', ({ reason }) => void (reason === 'budget' && giveUpBudget++));
    for (let i = 0; i < CALLS; i += 50) {
      await Promise.allSettled(Array.from({ length: 50 }, (_, j) => bridge!.callTool('lookup', { key: `d${i + j}` })));
    }
    const attempts = dead.ledger.tool('lookup').received;
    expect(attempts).toBeLessThanOrEqual(1.25 * CALLS);
    // Without a budget it would be 5x; some retries did happen (the minimum, and 20% of traffic).
    expect(attempts).toBeGreaterThan(CALLS);
    expect(giveUpBudget).toBeGreaterThan(CALLS / 2);
  }, 60_000);

  it('with the breaker on as well, a dead upstream sees even less', async () => {
    const dead = inMemoryFaultServer({ tools: TOOLS, faults: { rates: { error: 1 } } });
    ({ bridge } = await startBridge({
      servers: { dead: { ...dead, trusted: true } },
      plugins: [retry({ attempts: 5, baseDelayMs: 1, maxDelayMs: 2 })],
    }));
    for (let i = 0; i < 1_000; i += 50) {
      await Promise.allSettled(Array.from({ length: 50 }, (_, j) => bridge!.callTool('lookup', { key: `b${i + j}` })));
    }
    expect(dead.ledger.tool('lookup').received).toBeLessThan(100);
    expect(bridge.retry.breaker('dead')?.state).toBe('open');
  });
});
