import { afterEach, describe, expect, it } from 'vitest';
import { createBridge, OverloadedError, TimeoutError, type Bridge, type BridgeEvents } from '@mcp-bridge/core';
import { inMemoryTestServer } from '@mcp-bridge/testing';
import { pool, type PoolOptions } from '../src/index.js';
import { text } from './helpers.js';

const open: Bridge[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((b) => b.close()));
});

async function started(options: PoolOptions) {
  const server = inMemoryTestServer({ name: 'busy' });
  const bridge = createBridge({ servers: { busy: server, other: inMemoryTestServer({ name: 'other' }) }, plugins: [pool(options)] });
  open.push(bridge);
  const overloads: BridgeEvents['pool:overload'][] = [];
  bridge.on('pool:overload', (e) => overloads.push(e));
  await bridge.start();
  return { bridge, ledger: server.ledger, overloads };
}

const slow = (bridge: Bridge, ms: number, options: { timeout?: number; signal?: AbortSignal } = {}) =>
  bridge.callTool('slow', { ms }, { ...options, server: 'busy' });

describe('bulkhead', () => {
  it('runs maxConcurrent calls, queues maxPending, and refuses the rest in under a millisecond', async () => {
    const { bridge, ledger, overloads } = await started({ servers: { busy: { maxConcurrent: 2, maxPending: 3 } } });
    const admitted = Array.from({ length: 5 }, () => slow(bridge, 300));
    await ledger.waitFor((l) => l.tally('slow').inFlight === 2);
    expect(bridge.pool().busy).toMatchObject({ running: 2, pending: 3 });

    const times: number[] = [];
    const errors: unknown[] = [];
    for (let i = 0; i < 200; i++) {
      const t0 = performance.now();
      errors.push(await slow(bridge, 1).catch((e: unknown) => e));
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    expect(errors.every((e) => e instanceof OverloadedError)).toBe(true);
    expect((errors[0] as Error).message).toMatch(
      /server "busy" is overloaded: 2 calls running \(maxConcurrent 2\) and 3 waiting \(maxPending 3\)/,
    );
    // The median includes the pipeline around the pool; a loaded host still stays far below 1 ms.
    expect(times[100]).toBeLessThan(1);
    expect(overloads).toHaveLength(200);
    expect(overloads[0]).toMatchObject({ server: 'busy', method: 'tools/call', running: 2, pending: 3, maxConcurrent: 2, maxPending: 3 });

    expect((await Promise.all(admitted)).map(text)).toEqual(Array(5).fill('slept 300 ms'));
    expect(ledger.tally('slow')).toMatchObject({ calls: 5, maxInFlight: 2 });
    expect(bridge.pool().busy).toMatchObject({ running: 0, pending: 0 });
    // Other upstreams have their own bulkhead.
    expect(text(await bridge.callTool('echo', { text: 'free' }, { server: 'other' }))).toBe('free');
  });

  it('a queued call honours its deadline and its abort, and leaves the queue', async () => {
    const { bridge, ledger } = await started({ maxConcurrent: 1, maxPending: 5 });
    const running = slow(bridge, 400);
    await ledger.waitFor((l) => l.tally('slow').inFlight === 1);
    const timedOut = slow(bridge, 1, { timeout: 100 }).catch((e: unknown) => e);
    const controller = new AbortController();
    const aborted = slow(bridge, 1, { signal: controller.signal }).catch((e: unknown) => e);
    expect(bridge.pool().busy?.pending).toBe(2);
    const t0 = Date.now();
    controller.abort(new Error('caller gave up'));
    expect(((await aborted) as Error).message).toBe('caller gave up');
    const error = await timedOut;
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as Error).message).toMatch(/waited for a free slot/);
    expect(Date.now() - t0).toBeLessThan(350);
    expect(bridge.pool().busy?.pending).toBe(0);
    expect(text(await running)).toBe('slept 400 ms');
    // Neither queued call ran.
    expect(ledger.tally('slow').calls).toBe(1);
  });

  it('hands slots over in arrival order', async () => {
    const { bridge, ledger } = await started({ maxConcurrent: 1, maxPending: 10 });
    const order: number[] = [];
    const first = slow(bridge, 100);
    await ledger.waitFor((l) => l.tally('slow').inFlight === 1);
    const queued = [1, 2, 3, 4].map((i) =>
      bridge.callTool('echo', { text: String(i) }, { server: 'busy' }).then((r) => order.push(Number(text(r)))),
    );
    await Promise.all([first, ...queued]);
    expect(order).toEqual([1, 2, 3, 4]);
  });
});

describe('bulkhead with per-caller upstream sessions', () => {
  const link = (client: string) => ({
    signal: undefined,
    client,
    sent: () => undefined,
    settled: () => undefined,
    ask: () => Promise.reject(new Error('no')),
  });

  it("is the real upstream's: calls of other callers, on sessions of their own, share its maxConcurrent", async () => {
    const { bridge, ledger, overloads } = await started({ servers: { busy: { maxConcurrent: 1, maxPending: 0 } } });
    const first = bridge.callTool('slow', { ms: 300 }, { server: 'busy', link: link('a') });
    await ledger.waitFor((l) => l.tally('slow').inFlight === 1);
    // B's call runs on another upstream session (A holds the first), yet the upstream's one slot is taken.
    await expect(bridge.callTool('slow', { ms: 1 }, { server: 'busy', link: link('b') })).rejects.toBeInstanceOf(OverloadedError);
    expect(overloads.filter((o) => o.method === 'tools/call')).toHaveLength(1);
    expect(text(await first)).toContain('300');
  });
});
