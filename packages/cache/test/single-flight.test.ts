import { describe, expect, it } from 'vitest';
import { cache } from '../src/index.js';
import { text, trustedServer, useBridges } from './helpers.js';

const bridges = useBridges();

async function slowServer(extra: Parameters<typeof cache>[0] = {}) {
  const server = trustedServer({ name: 'a', annotations: { slow: { readOnlyHint: true }, fail: { readOnlyHint: true } } });
  const bridge = await bridges.started({ servers: { a: server }, plugins: [cache({ tools: { slow: true, fail: true }, ...extra })] });
  return { bridge, ledger: server.ledger };
}

describe('single-flight', () => {
  it('1,000 concurrent identical cold calls make exactly one upstream execution', async () => {
    const { bridge, ledger } = await slowServer();
    const results = await Promise.all(Array.from({ length: 1_000 }, () => bridge.callTool('slow', { ms: 50 })));
    expect(ledger.calls('slow')).toBe(1);
    expect(new Set(results.map(text))).toEqual(new Set(['slept 50 ms']));
    expect(bridge.cache.stats().tools.slow).toMatchObject({ misses: 1, coalesced: 999, stores: 1 });
    // And the next one is a plain hit.
    await bridge.callTool('slow', { ms: 50 });
    expect(ledger.calls('slow')).toBe(1);
  });

  it('every caller waiting on a failing call gets its error, and the error is not cached', async () => {
    const { bridge, ledger } = await slowServer();
    const outcomes = await Promise.allSettled(
      Array.from({ length: 50 }, () => bridge.callTool('fail', { mode: 'throw', message: 'nope' })),
    );
    expect(ledger.calls('fail')).toBe(1);
    expect(outcomes.every((o) => o.status === 'rejected' && /nope/.test(String((o.reason as Error).message)))).toBe(true);
    await bridge.callTool('fail', { mode: 'throw', message: 'nope' }).catch(() => undefined);
    expect(ledger.calls('fail')).toBe(2);
    expect(bridge.cache.stats().tools.fail).toMatchObject({ misses: 2, coalesced: 49, errors: 2, stores: 0 });
  });

  it('one caller cancelling does not cancel the call the others wait on; all of them cancelling does', async () => {
    const { bridge, ledger } = await slowServer();
    const leader = new AbortController();
    const first = bridge.callTool('slow', { ms: 200 }, { signal: leader.signal });
    const second = bridge.callTool('slow', { ms: 200 });
    leader.abort(new Error('leader left'));
    await expect(first).rejects.toThrow('leader left');
    expect(text(await second)).toBe('slept 200 ms');
    expect(ledger.tally('slow')).toMatchObject({ calls: 1, ok: 1, cancelled: 0 });

    const a = new AbortController();
    const b = new AbortController();
    const both = [
      bridge.callTool('slow', { ms: 5_000 }, { signal: a.signal }),
      bridge.callTool('slow', { ms: 5_000 }, { signal: b.signal }),
    ];
    await ledger.waitFor((l) => l.tally('slow').inFlight === 1);
    a.abort(new Error('a left'));
    b.abort(new Error('b left'));
    await expect(both[0]).rejects.toThrow('a left');
    await expect(both[1]).rejects.toThrow('b left');
    await ledger.waitFor((l) => l.cancelled('slow') === 1);
  });

  it('a caller with an earlier deadline stops waiting at its deadline', async () => {
    const { bridge, ledger } = await slowServer();
    const long = bridge.callTool('slow', { ms: 300 }, { timeout: 10_000 });
    const short = bridge.callTool('slow', { ms: 300 }, { timeout: 50 });
    await expect(short).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(text(await long)).toBe('slept 300 ms');
    expect(ledger.calls('slow')).toBe(1);
  });

  it('an invalidation while a call runs: later callers do not join it, and it does not store', async () => {
    const { bridge, ledger } = await slowServer();
    const before = bridge.callTool('slow', { ms: 100 });
    await ledger.waitFor((l) => l.tally('slow').inFlight === 1);
    bridge.cache.invalidate({ tool: 'slow' });
    const after = bridge.callTool('slow', { ms: 100 });
    await Promise.all([before, after]);
    expect(ledger.calls('slow')).toBe(2);
    expect(bridge.cache.stats().tools.slow).toMatchObject({ stores: 1 });
  });
});
