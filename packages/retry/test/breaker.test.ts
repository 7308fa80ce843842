import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CircuitOpenError, type Bridge } from '@mcp-bridge/core';
import { inMemoryFaultServer } from '@mcp-bridge/testing';
import { retry, type BreakerOptions } from '../src/index.js';
import { roundRobin, seeded, startBridge } from './helpers.js';

const TOOLS = { lookup: { readOnlyHint: true } };
let bridge: Bridge | undefined;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
});
afterEach(async () => {
  await bridge?.close();
  bridge = undefined;
  vi.useRealTimers();
});

/** One upstream behind a breaker; the retry part makes one attempt, so every call is one breaker decision. */
async function setup(breaker: BreakerOptions) {
  const fault = inMemoryFaultServer({ tools: TOOLS, faults: { rates: { error: 1 } } });
  ({ bridge } = await startBridge({
    servers: { f: { ...fault, trusted: true } },
    plugins: [retry({ attempts: 1, breaker, random: seeded(9) })],
  }));
  const transitions: string[] = [];
  const openTimes: number[] = [];
  bridge.on('breaker:open', ({ reason, openMs }) => {
    transitions.push(`open:${reason}`);
    openTimes.push(openMs);
  });
  bridge.on('breaker:half-open', ({ probes }) => transitions.push(`half-open:${probes}`));
  bridge.on('breaker:close', () => transitions.push('close'));
  const call = (key: string) => bridge!.callTool('lookup', { key }, { timeout: 60_000 });
  // The catalog's list calls at start went through the breaker too: let them leave its window.
  await vi.advanceTimersByTimeAsync(breaker.windowMs ?? 10_000);
  expect(bridge.retry.breaker('f')?.window.calls).toBe(0);
  return { fault, transitions, openTimes, call, state: () => bridge!.retry.breaker('f')?.state };
}

async function failTimes(call: (key: string) => Promise<unknown>, n: number, prefix: string): Promise<void> {
  for (let i = 0; i < n; i++) await call(`${prefix}${i}`).catch(() => undefined);
}

describe('circuit breaker', () => {
  it('never opens below its minimum volume, even on consecutive failures', async () => {
    const { call, state, transitions, fault } = await setup({ minVolume: 20, consecutiveFailures: 5, errorRate: 0.5 });
    await failTimes(call, 19, 'a');
    expect(state()).toBe('closed');
    expect(transitions).toEqual([]);
    await failTimes(call, 1, 'b');
    expect(state()).toBe('open');
    expect(transitions).toEqual(['open:consecutive']);
    const error = await call('c').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CircuitOpenError);
    expect((error as CircuitOpenError).data).toMatchObject({ upstream: 'f', sent: false });
    expect(fault.ledger.totalReceived).toBe(20);
  });

  it('error-rate mode opens once the window holds the minimum volume and the rate is above the threshold', async () => {
    const { call, state, transitions, fault } = await setup({ minVolume: 10, consecutiveFailures: false, errorRate: 0.5 });
    // ok, error, error, ok, error, error ...: two thirds fail, never five in a row.
    fault.setFaults({ script: Array.from({ length: 30 }, (_, i) => (i % 3 === 0 ? 'ok' : 'error')) });
    for (let i = 0; i < 9; i++) await call(`r${i}`).catch(() => undefined);
    expect(state()).toBe('closed');
    await call('r9').catch(() => undefined); // the 10th call succeeds: no decision on success
    expect(state()).toBe('closed');
    await call('r10').catch(() => undefined); // 11th fails: volume 11, 7/11 failed
    expect(state()).toBe('open');
    expect(transitions).toEqual(['open:error-rate']);
  });

  it('forgets failures older than its window', async () => {
    const { call, state } = await setup({ minVolume: 5, consecutiveFailures: false, errorRate: 0.5, windowMs: 1000, windowBuckets: 10 });
    await failTimes(call, 4, 'old');
    await vi.advanceTimersByTimeAsync(1500);
    await failTimes(call, 4, 'new');
    expect(state()).toBe('closed');
    expect(bridge!.retry.breaker('f')?.window.calls).toBe(4);
  });

  it('half-opens after the open time, lets exactly k probes through, and closes when all succeed', async () => {
    const { call, state, transitions, fault } = await setup({
      minVolume: 3,
      consecutiveFailures: 3,
      openMs: 1000,
      openJitter: 0,
      halfOpenProbes: 3,
      probeTimeoutMs: 500,
    });
    await failTimes(call, 3, 'x');
    expect(state()).toBe('open');
    await vi.advanceTimersByTimeAsync(999);
    expect(state()).toBe('open');
    await vi.advanceTimersByTimeAsync(1);
    expect(state()).toBe('half-open');
    fault.setFaults({ rates: { hang: 1 } });
    const received = fault.ledger.totalReceived;
    const calls = Array.from({ length: 6 }, (_, i) =>
      call(`p${i}`).then(
        () => 'ok',
        (e: unknown) => e,
      ),
    );
    await vi.advanceTimersByTimeAsync(0);
    // Exactly k reached the upstream; the others were refused without being sent.
    expect(fault.ledger.totalReceived - received).toBe(3);
    const refused = await Promise.all(calls.slice(3));
    expect(refused.every((e) => e instanceof CircuitOpenError)).toBe(true);
    fault.setFaults({});
    expect(transitions).toEqual(['open:consecutive', 'half-open:3']);
    // The hung probes: the breaker re-opens at the probe timeout, not later, and the upstream is told to cancel.
    await vi.advanceTimersByTimeAsync(499);
    expect(state()).toBe('half-open');
    await vi.advanceTimersByTimeAsync(1);
    expect(state()).toBe('open');
    expect(transitions.at(-1)).toBe('open:probe-timeout');
    const probes = await Promise.all(calls.slice(0, 3));
    expect(probes.every((e) => e instanceof Error && /probe|timed out/.test(e.message))).toBe(true);
    await vi.advanceTimersByTimeAsync(5);
    expect(fault.ledger.tool('lookup').cancelled).toBe(3);

    // Re-opened for twice as long; then three good probes close it.
    await vi.advanceTimersByTimeAsync(2000);
    expect(state()).toBe('half-open');
    for (let i = 0; i < 3; i++) await call(`ok${i}`);
    expect(state()).toBe('closed');
    expect(transitions.slice(-2)).toEqual(['half-open:3', 'close']);
  });

  it('re-opens after a failed probe with an open time that grows, with jitter, up to its cap', async () => {
    const { call, openTimes } = await setup({
      minVolume: 2,
      consecutiveFailures: 2,
      openMs: 1000,
      openMultiplier: 2,
      maxOpenMs: 5000,
      openJitter: 0.2,
      halfOpenProbes: 1,
    });
    await failTimes(call, 2, 'g');
    for (let i = 0; i < 4; i++) {
      await vi.advanceTimersByTimeAsync(openTimes.at(-1)!);
      await call(`probe${i}`).catch(() => undefined);
    }
    expect(openTimes).toHaveLength(5);
    const bases = [1000, 2000, 4000, 5000, 5000];
    openTimes.forEach((ms, i) => {
      expect(ms).toBeGreaterThanOrEqual(Math.min(5000, bases[i]! * 0.8));
      expect(ms).toBeLessThanOrEqual(5000);
      if (bases[i]! < 5000) expect(ms).toBeLessThanOrEqual(bases[i]! * 1.2);
    });
    // Jitter: not all equal to their base.
    expect(openTimes.slice(0, 3).some((ms, i) => ms !== bases[i])).toBe(true);
  });

  it('an open breaker sends the retry to another replica at once', async () => {
    const a = inMemoryFaultServer({ name: 'a', tools: TOOLS, faults: { rates: { error: 1 } } });
    const b = inMemoryFaultServer({ name: 'b', tools: TOOLS });
    ({ bridge } = await startBridge({
      servers: { g: { type: 'in-memory', trusted: true, replicas: [a, b] } },
      plugins: [
        roundRobin(),
        retry({ breaker: { minVolume: 2, consecutiveFailures: 2, openMs: 60_000 }, random: seeded(1), budget: false }),
      ],
    }));
    const delays: number[] = [];
    bridge.on('retry:attempt', ({ delayMs, error }) => {
      if (error instanceof CircuitOpenError) delays.push(delayMs);
    });
    for (let i = 0; i < 10; i++) {
      const p = bridge.callTool('lookup', { key: `k${i}` });
      await vi.advanceTimersByTimeAsync(100);
      await p;
    }
    expect(bridge.retry.breaker('g#1')?.state).toBe('open');
    expect(a.ledger.totalReceived).toBe(2);
    expect(b.ledger.totalReceived).toBe(10);
    expect(delays.length).toBeGreaterThan(0);
    expect(delays.every((d) => d === 0)).toBe(true);
  });
});
