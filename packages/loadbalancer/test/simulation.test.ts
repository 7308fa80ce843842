import { describe, expect, it } from 'vitest';
import { createBalancer, type BalancerPolicy } from '../src/balancer.js';
import { consistentHashPicker } from '../src/pickers/consistent-hash.js';
import { leastOutstandingPicker } from '../src/pickers/least-outstanding.js';
import { roundRobinPicker } from '../src/pickers/round-robin.js';
import { configWeight, weightedRoundRobinPicker } from '../src/pickers/weighted.js';
import { fakeContext, fakeUpstream, seeded, type FakeUpstream } from './helpers.js';

const PICKS = 1_000_000;
const policy: BalancerPolicy = { panicThreshold: 0.5, panic: 'spread', affinity: 'off', affinityMaxEntries: 100 };

function shares(pick: () => string | undefined, n = PICKS): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const id = pick();
    if (id !== undefined) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return new Map([...counts].map(([id, c]) => [id, c / n]));
}

describe('pickers over 10^6 picks', () => {
  it('round robin gives every replica 1/N within ±1%', () => {
    const ups = [1, 2, 3, 4, 5].map((i) => fakeUpstream(`api#${i}`));
    const balancer = createBalancer(roundRobinPicker(), policy, { picks: new Map(), panics: 0 }, () => {});
    const ctx = fakeContext('api');
    const got = shares(() => balancer.pick(ctx, ups)?.id);
    expect(got.size).toBe(5);
    for (const share of got.values()) expect(Math.abs(share - 0.2)).toBeLessThanOrEqual(0.01);
  });

  it('round robin skips an ejected replica and shares the rest evenly', () => {
    const ups = [1, 2, 3, 4].map((i) => fakeUpstream(`api#${i}`));
    ups[1]!.health = 'unhealthy';
    const balancer = createBalancer(roundRobinPicker(), policy, { picks: new Map(), panics: 0 }, () => {});
    const got = shares(() => balancer.pick(fakeContext('api'), ups)?.id);
    expect(got.get('api#2')).toBeUndefined();
    for (const share of got.values()) expect(Math.abs(share - 1 / 3)).toBeLessThanOrEqual(0.01);
  });

  it('weighted round robin follows the weights within ±1% (config weight and the weights option)', () => {
    const ups = [fakeUpstream('api#1', { weight: 5 }), fakeUpstream('api#2', { weight: 3 }), fakeUpstream('api#3'), fakeUpstream('api#4')];
    const balancer = createBalancer(
      weightedRoundRobinPicker(configWeight({ 'api#4': 1.5 })),
      policy,
      { picks: new Map(), panics: 0 },
      () => {},
    );
    const ctx = fakeContext('api');
    const got = shares(() => balancer.pick(ctx, ups)?.id);
    const total = 5 + 3 + 1 + 1.5;
    expect(Math.abs(got.get('api#1')! - 5 / total)).toBeLessThanOrEqual(0.01);
    expect(Math.abs(got.get('api#2')! - 3 / total)).toBeLessThanOrEqual(0.01);
    expect(Math.abs(got.get('api#3')! - 1 / total)).toBeLessThanOrEqual(0.01);
    expect(Math.abs(got.get('api#4')! - 1.5 / total)).toBeLessThanOrEqual(0.01);
  });

  it('weighted round robin interleaves instead of bursting (smooth WRR)', () => {
    const ups = [fakeUpstream('a#1', { weight: 2 }), fakeUpstream('a#2', { weight: 1 })];
    const picker = weightedRoundRobinPicker();
    const seq = Array.from({ length: 6 }, () => picker.pick(fakeContext('a'), ups, ups)!.id);
    expect(seq).toEqual(['a#1', 'a#2', 'a#1', 'a#1', 'a#2', 'a#1']);
  });

  it('least-outstanding with two choices spreads evenly when loads are equal and avoids the busiest', () => {
    const ups = [1, 2, 3].map((i) => fakeUpstream(`api#${i}`));
    const picker = leastOutstandingPicker(seeded(7));
    const even = shares(() => picker.pick(fakeContext('api'), ups, ups)?.id, 300_000);
    for (const share of even.values()) expect(Math.abs(share - 1 / 3)).toBeLessThanOrEqual(0.01);
    ups[0]!.inFlight = 10;
    const busy = shares(() => picker.pick(fakeContext('api'), ups, ups)?.id, 300_000);
    expect(busy.get('api#1')).toBeUndefined();
  });

  for (const n of [3, 5, 10]) {
    it(`consistent hash: removing one of ${n} replicas remaps <= 1.2/${n} of keys, and only that replica's keys`, () => {
      const ups = Array.from({ length: n }, (_, i) => fakeUpstream(`svc#${i + 1}`));
      const keys = 100_000;
      const picker = consistentHashPicker({ fallback: roundRobinPicker() });
      const ctx = fakeContext('svc');
      const before: string[] = [];
      for (let k = 0; k < keys; k++) {
        ctx.caller = `user-${k}`;
        before.push(picker.pick(ctx, ups, ups)!.id);
      }
      for (let removed = 0; removed < n; removed++) {
        const rest = ups.filter((_, i) => i !== removed);
        let moved = 0;
        let movedOthers = 0;
        let mismatched = 0;
        // Removed from the list (a replica gone), and still listed but ejected: same mapping.
        const ejected = ups.map((u, i) => (i === removed ? { ...u, health: 'unhealthy' as const } : u));
        const healthyOf = ejected.filter((u) => u.health !== 'unhealthy');
        for (let k = 0; k < keys; k++) {
          ctx.caller = `user-${k}`;
          const after = picker.pick(ctx, rest, rest)!.id;
          const skipping = picker.pick(ctx, healthyOf, ejected)!.id;
          if (skipping !== after) mismatched++;
          if (after !== before[k]) {
            moved++;
            if (before[k] !== ups[removed]!.id) movedOthers++;
          }
        }
        expect(moved / keys).toBeLessThanOrEqual(1.2 / n);
        expect(movedOthers).toBe(0);
        expect(mismatched).toBe(0);
      }
    }, 60_000);
  }

  it('consistent hash keys on a function of the call (an argument)', () => {
    const ups = [1, 2, 3].map((i) => fakeUpstream(`kv#${i}`));
    const picker = consistentHashPicker({
      key: (ctx) => String((ctx.params.arguments as { key: string }).key),
      fallback: roundRobinPicker(),
    });
    const first = picker.pick(fakeContext('kv', { params: { name: 'get', arguments: { key: 'alpha' } } }), ups, ups)!.id;
    for (let i = 0; i < 20; i++)
      expect(picker.pick(fakeContext('kv', { params: { name: 'get', arguments: { key: 'alpha' } } }), ups, ups)!.id).toBe(first);
  });
});

describe('balancer policy', () => {
  const counters = () => ({ picks: new Map<string, number>(), panics: 0 });

  it('skips replicas this call already tried, and reuses them only when all were tried', () => {
    const ups = [1, 2, 3].map((i) => fakeUpstream(`api#${i}`));
    const b = createBalancer(roundRobinPicker(), policy, counters(), () => {});
    const ctx = fakeContext('api');
    const seen = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const up = b.pick(ctx, ups)!;
      expect(seen.has(up.id)).toBe(false);
      seen.add(up.id);
      ctx.tried.add(up.id);
    }
    expect(b.pick(ctx, ups)).toBeDefined();
  });

  it('panics below half healthy: spreads over all replicas, or fails fast when configured', () => {
    const ups = [1, 2, 3].map((i) => fakeUpstream(`api#${i}`));
    ups[0]!.health = 'unhealthy';
    ups[1]!.health = 'unhealthy';
    let panics = 0;
    const spread = createBalancer(roundRobinPicker(), policy, counters(), () => panics++);
    const got = new Set(Array.from({ length: 30 }, () => spread.pick(fakeContext('api'), ups)!.id));
    expect(got.size).toBe(3);
    expect(panics).toBe(30);
    const fail = createBalancer(roundRobinPicker(), { ...policy, panic: 'fail' }, counters(), () => {});
    expect(fail.pick(fakeContext('api'), ups)).toBeUndefined();
    // One of three down is not panic: the healthy two share the traffic.
    ups[1]!.health = 'healthy';
    const calm = new Set(Array.from({ length: 30 }, () => fail.pick(fakeContext('api'), ups)!.id));
    expect([...calm].sort()).toEqual(['api#2', 'api#3']);
  });

  it('panicThreshold 0 never spreads onto unhealthy replicas: none healthy means no upstream', () => {
    const ups = [1, 2].map((i) => fakeUpstream(`api#${i}`));
    for (const u of ups) u.health = 'unhealthy';
    const b = createBalancer(roundRobinPicker(), { ...policy, panicThreshold: 0 }, counters(), () => {});
    expect(b.pick(fakeContext('api'), ups)).toBeUndefined();
  });

  it('session affinity: the same caller stays on one HTTP replica while it is healthy, then moves', () => {
    const ups = [1, 2, 3].map((i) => fakeUpstream(`web#${i}`, { url: 'http://x' }, 'streamable-http'));
    const b = createBalancer(roundRobinPicker(), { ...policy, affinity: 'auto' }, counters(), () => {});
    const first = b.pick(fakeContext('web', { caller: 'alice' }), ups)! as FakeUpstream;
    for (let i = 0; i < 10; i++) expect(b.pick(fakeContext('web', { caller: 'alice' }), ups)!.id).toBe(first.id);
    const bob = new Set(Array.from({ length: 6 }, () => b.pick(fakeContext('web', { caller: `bob-${Math.random()}` }), ups)!.id));
    expect(bob.size).toBeGreaterThan(1);
    first.health = 'unhealthy';
    const moved = b.pick(fakeContext('web', { caller: 'alice' }), ups)!;
    expect(moved.id).not.toBe(first.id);
    first.health = 'healthy';
    expect(b.pick(fakeContext('web', { caller: 'alice' }), ups)!.id).toBe(moved.id);
    // stdio replicas have no session: auto affinity leaves them to the picker.
    const stdio = [1, 2].map((i) => fakeUpstream(`cli#${i}`));
    const ids = new Set(Array.from({ length: 4 }, () => b.pick(fakeContext('cli', { caller: 'alice' }), stdio)!.id));
    expect(ids.size).toBe(2);
    // Nor have 2026-07-28 HTTP replicas (stateless): pinned by config or negotiated, auto affinity leaves them to the picker.
    const pinned = [1, 2].map((i) => fakeUpstream(`mod#${i}`, { url: 'http://x', protocol: '2026-07-28' }, 'streamable-http'));
    const negotiated = [1, 2].map((i) =>
      Object.assign(fakeUpstream(`neg#${i}`, { url: 'http://x' }, 'streamable-http'), { era: 'modern' as const }),
    );
    for (const group of [pinned, negotiated]) {
      const spread = new Set(Array.from({ length: 4 }, () => b.pick(fakeContext(group[0]!.server, { caller: 'alice' }), group)!.id));
      expect(spread.size).toBe(2);
    }
  });
});
