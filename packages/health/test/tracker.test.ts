import type { HealthState, Upstream } from '@mcp-bridge/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { healthOptionsSchema, type HealthOptions } from '../src/options.js';
import { HealthTracker } from '../src/tracker.js';

// Upstreams are read-only for plugins; this test's fake host changes its own fakes.
type FakeUpstream = { -readonly [K in keyof Upstream]: Upstream[K] };

function upstream(id: string): FakeUpstream {
  return {
    id,
    server: id.split('#')[0]!,
    config: {} as Upstream['config'],
    kind: 'stdio',
    status: 'ready',
    health: 'healthy',
    lastError: undefined,
    inFlight: 0,
    capabilities: undefined,
    serverInfo: undefined,
  };
}

function setup(options: HealthOptions = {}, n = 3) {
  const ups = Array.from({ length: n }, (_, i) => upstream(`api#${i + 1}`));
  const events: { id: string; state: HealthState; previous: HealthState; reason?: string }[] = [];
  const ejections: { id: string; durationMs: number; ejections: number }[] = [];
  const tracker = new HealthTracker({
    options: healthOptionsSchema.parse(options),
    now: Date.now,
    siblings: () => ups,
    host: () => ({
      setHealth(up, state, reason) {
        events.push({ id: up.id, state, previous: up.health, reason });
        (up as FakeUpstream).health = state;
      },
    }),
    changed: () => {},
    ejected: (up, durationMs, count) => ejections.push({ id: up.id, durationMs, ejections: count }),
  });
  return { ups, tracker, events, ejections };
}

const failure = new Error('boom');

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('passive outlier detection', () => {
  it('degrades on the first failure and ejects after 5 consecutive failures; a success in between resets the count', () => {
    const { ups, tracker, ejections } = setup();
    const up = ups[0]!;
    for (let i = 0; i < 4; i++) tracker.callResult(up, false, 5, failure);
    expect(up.health).toBe('degraded');
    tracker.callResult(up, true, 5);
    expect(up.health).toBe('healthy');
    for (let i = 0; i < 4; i++) tracker.callResult(up, false, 5, failure);
    expect(up.health).toBe('degraded');
    tracker.callResult(up, false, 5, failure);
    expect(up.health).toBe('unhealthy');
    expect(ejections).toEqual([{ id: 'api#1', durationMs: 30_000, ejections: 1 }]);
  });

  it('ejection time grows with each ejection and is capped; it ends by itself', () => {
    const { ups, tracker, ejections } = setup({ baseEjectionMs: 1_000, maxEjectionMs: 2_500 });
    const up = ups[0]!;
    const eject = (): void => {
      for (let i = 0; i < 5; i++) tracker.callResult(up, false, 5, failure);
    };
    eject();
    expect(up.health).toBe('unhealthy');
    vi.advanceTimersByTime(999);
    expect(up.health).toBe('unhealthy');
    vi.advanceTimersByTime(1);
    expect(up.health).toBe('healthy');
    eject();
    vi.advanceTimersByTime(1_999);
    expect(up.health).toBe('unhealthy');
    vi.advanceTimersByTime(1);
    // Back in rotation; still DEGRADED, since 10 of its last 10 calls failed.
    expect(up.health).toBe('degraded');
    eject();
    expect(ejections.map((e) => e.durationMs)).toEqual([1_000, 2_000, 2_500]);
    vi.advanceTimersByTime(2_500);
    expect(up.health).toBe('degraded');
  });

  it('never ejects more than maxEjectedShare of a server (but always allows one)', () => {
    const { ups, tracker } = setup({ maxEjectedShare: 0.5 }, 4);
    for (const up of ups) for (let i = 0; i < 5; i++) tracker.callResult(up, false, 5, failure);
    expect(ups.map((u) => u.health)).toEqual(['unhealthy', 'unhealthy', 'degraded', 'degraded']);
    const lone = setup({ maxEjectedShare: 0 }, 1);
    for (let i = 0; i < 5; i++) lone.tracker.callResult(lone.ups[0]!, false, 5, failure);
    expect(lone.ups[0]!.health).toBe('unhealthy');
  });

  it('a lost connection ejects at once; a low success rate over the window degrades', () => {
    const { ups, tracker } = setup();
    tracker.disconnected(ups[0]!, new Error('closed'));
    expect(ups[0]!.health).toBe('unhealthy');
    const up = ups[1]!;
    for (let i = 0; i < 20; i++) {
      tracker.callResult(up, i % 4 !== 0, 5, failure);
      tracker.callResult(up, true, 5);
    }
    // 10 failures in 40 calls: 75% < 90%, though never two in a row.
    expect(up.health).toBe('degraded');
  });

  it('degradedLatencyMs marks a slow upstream DEGRADED', () => {
    const { ups, tracker } = setup({ degradedLatencyMs: 100 });
    for (let i = 0; i < 20; i++) tracker.callResult(ups[0]!, true, 250);
    expect(ups[0]!.health).toBe('degraded');
  });
});

describe('active probe thresholds', () => {
  it('3 failed probes make it UNHEALTHY, 2 passing probes make it HEALTHY, and passing probes end an ejection early', () => {
    const { ups, tracker, events } = setup();
    const up = ups[0]!;
    tracker.probeResult(up, false, 1, failure);
    tracker.probeResult(up, false, 1, failure);
    expect(up.health).toBe('degraded');
    tracker.probeResult(up, false, 1, failure);
    expect(up.health).toBe('unhealthy');
    tracker.probeResult(up, true, 1);
    expect(up.health).toBe('unhealthy');
    tracker.probeResult(up, true, 1);
    expect(up.health).toBe('healthy');
    expect(events.map((e) => e.state)).toEqual(['degraded', 'unhealthy', 'healthy']);
    for (let i = 0; i < 5; i++) tracker.callResult(up, false, 5, failure);
    expect(up.health).toBe('unhealthy');
    tracker.probeResult(up, true, 1);
    tracker.probeResult(up, true, 1);
    expect(up.health).toBe('healthy');
  });
});
