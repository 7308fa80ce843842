import { afterEach, describe, expect, it, vi } from 'vitest';
import { TestLedger } from '../src/index.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('TestLedger', () => {
  it('counts calls, outcomes and concurrency per tool', () => {
    const ledger = new TestLedger();
    const a = ledger.begin('t');
    const b = ledger.begin('t');
    expect(ledger.tally('t')).toEqual({ calls: 2, ok: 0, errors: 0, cancelled: 0, inFlight: 2, maxInFlight: 2 });
    a('ok');
    a('error'); // a second end is ignored
    b('cancelled');
    ledger.begin('u')('error');
    expect(ledger.snapshot()).toEqual({
      t: { calls: 2, ok: 1, errors: 0, cancelled: 1, inFlight: 0, maxInFlight: 2 },
      u: { calls: 1, ok: 0, errors: 1, cancelled: 0, inFlight: 0, maxInFlight: 1 },
    });
    expect(ledger.calls('t')).toBe(2);
    expect(ledger.cancelled('t')).toBe(1);
    expect(ledger.totalCalls).toBe(3);
    expect(ledger.tally('never')).toEqual({ calls: 0, ok: 0, errors: 0, cancelled: 0, inFlight: 0, maxInFlight: 0 });
    expect(JSON.parse(JSON.stringify(ledger))).toEqual(ledger.snapshot());
  });

  it('reset() keeps executions still running', () => {
    const ledger = new TestLedger();
    ledger.begin('done')('ok');
    const running = ledger.begin('running');
    ledger.reset();
    expect(ledger.snapshot()).toEqual({ running: { calls: 0, ok: 0, errors: 0, cancelled: 0, inFlight: 1, maxInFlight: 1 } });
    running('ok');
    expect(ledger.tally('running')).toMatchObject({ ok: 1, inFlight: 0 });
  });

  it('waitFor resolves on the change that satisfies it, and times out otherwise', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const ledger = new TestLedger();
    await ledger.waitFor(() => true);
    const waiting = ledger.waitFor((l) => l.calls('x') === 2);
    ledger.begin('x')('ok');
    ledger.begin('x')('ok');
    await waiting;
    const timingOut = ledger.waitFor((l) => l.calls('x') === 3, { timeoutMs: 100 });
    const assertion = expect(timingOut).rejects.toThrow(/not met within 100 ms/);
    await vi.advanceTimersByTimeAsync(100);
    await assertion;
    expect(vi.getTimerCount()).toBe(0);
  });
});
