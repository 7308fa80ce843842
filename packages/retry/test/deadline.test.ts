import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Bridge } from '@mcp-bridge/core';
import { FAULT_KINDS, inMemoryFaultServer } from '@mcp-bridge/testing';
import { retry } from '../src/index.js';
import { seeded, startBridge } from './helpers.js';

const TOOLS = { lookup: { readOnlyHint: true }, create: { destructiveHint: true } };
let bridge: Bridge | undefined;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
});
afterEach(async () => {
  await bridge?.close();
  bridge = undefined;
  vi.useRealTimers();
});

/** Runs `call` and advances fake time until it settles; returns when (ms after start) it settled. */
async function settleTime(call: () => Promise<unknown>, limitMs: number): Promise<{ ms: number; ok: boolean }> {
  const start = Date.now();
  let settled: { ms: number; ok: boolean } | undefined;
  void call().then(
    () => (settled = { ms: Date.now() - start, ok: true }),
    () => (settled = { ms: Date.now() - start, ok: false }),
  );
  for (let t = 0; t < limitMs && !settled; t += 5) await vi.advanceTimersByTimeAsync(5);
  if (!settled) throw new Error(`the call did not settle within ${limitMs} ms of fake time`);
  return settled;
}

describe('deadlines and per-attempt timeouts', () => {
  it('cancels each timed-out attempt at the upstream (notifications/cancelled arrives) and stops at the deadline', async () => {
    const fault = inMemoryFaultServer({ tools: TOOLS, faults: { rates: { hang: 1 } } });
    ({ bridge } = await startBridge({
      servers: { f: { ...fault, trusted: true } },
      plugins: [retry({ attempts: 10, attemptTimeoutMs: 300, baseDelayMs: 10, budget: false, breaker: false, random: seeded(1) })],
    }));
    const { ms, ok } = await settleTime(() => bridge!.callTool('lookup', { key: 'h' }, { timeout: 1000 }), 5000);
    expect(ok).toBe(false);
    expect(ms).toBeLessThanOrEqual(1000);
    // Attempts at ~0, ~300+, ~600+, ~900+ (the last one cut to what is left of the deadline).
    expect(fault.ledger.received('h')).toBeGreaterThanOrEqual(3);
    await vi.advanceTimersByTimeAsync(10);
    expect(fault.ledger.cancelled('h')).toBe(fault.ledger.received('h'));
  });

  it('never lets a call outlive its deadline, over random fault schedules (fast-check)', async () => {
    const fault = inMemoryFaultServer({ tools: TOOLS, seed: 3 });
    ({ bridge } = await startBridge({
      servers: { f: { ...fault, trusted: true } },
      reconnectMinMs: 5,
      reconnectMaxMs: 50,
      plugins: [
        retry({
          attempts: 4,
          attemptTimeoutMs: 250,
          baseDelayMs: 40,
          maxDelayMs: 400,
          random: seeded(2),
          breaker: { minVolume: 5, openMs: 200, maxOpenMs: 250, probeTimeoutMs: 100, halfOpenProbes: 1 },
        }),
      ],
    }));
    const step = fc.oneof(
      fc.constantFrom(...FAULT_KINDS.filter((k) => k !== 'delay')),
      fc.record({ kind: fc.constant('delay' as const), ms: fc.integer({ min: 0, max: 2000 }) }),
      fc.record({ kind: fc.constant('retry-after' as const), retryAfterMs: fc.integer({ min: 0, max: 3000 }) }),
    );
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 50, max: 1500 }),
        fc.constantFrom('lookup', 'create'),
        async (script, timeout, tool) => {
          fault.setFaults({ script });
          // Time passes between calls, so an open breaker half-opens and probes run too.
          await vi.advanceTimersByTimeAsync(300);
          const { ms } = await settleTime(() => bridge!.callTool(tool, { key: `d${runs++}` }, { timeout }), 20_000);
          expect(ms).toBeLessThanOrEqual(timeout);
        },
      ),
      { numRuns: 60, seed: 42 },
    );
    // The schedules really reached the server: hangs, drops and retries happened.
    expect(fault.ledger.faults('hang')).toBeGreaterThan(0);
    expect(fault.ledger.faults('drop-after') + fault.ledger.faults('drop-before')).toBeGreaterThan(0);
    expect(fault.ledger.totalReceived).toBeGreaterThan(runs);
  });
});
