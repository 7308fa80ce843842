import { describe, expect, it } from 'vitest';
import { fullJitterDelay, parseRetryAfter, RetryBudget } from '../src/index.js';
import { seeded } from './helpers.js';

describe('RetryBudget', () => {
  it('allows minRetries per window plus ratio of the calls, and forgets what left the window', () => {
    const budget = new RetryBudget({ ratio: 0.2, minRetries: 2, windowMs: 1000 });
    let t = 0;
    for (let i = 0; i < 50; i++) budget.deposit(t);
    let granted = 0;
    while (budget.tryWithdraw(t)) granted++;
    expect(granted).toBe(12); // 2 + 0.2 * 50
    expect(budget.snapshot(t)).toEqual({ calls: 50, retries: 12 });
    t += 1_100; // the whole window slid past
    expect(budget.snapshot(t)).toEqual({ calls: 0, retries: 0 });
    expect(budget.tryWithdraw(t)).toBe(true);
    expect(budget.tryWithdraw(t)).toBe(true);
    expect(budget.tryWithdraw(t)).toBe(false);
  });

  it('slides bucket by bucket', () => {
    const budget = new RetryBudget({ ratio: 1, minRetries: 0, windowMs: 1000 });
    budget.deposit(0);
    budget.deposit(500);
    expect(budget.snapshot(999).calls).toBe(2);
    expect(budget.snapshot(1050).calls).toBe(1);
    expect(budget.snapshot(1600).calls).toBe(0);
  });
});

describe('backoff', () => {
  it('full jitter stays in [0, min(cap, base * 2^(n-1)))', () => {
    const random = seeded(1);
    for (let n = 1; n <= 10; n++) {
      for (let i = 0; i < 100; i++) {
        const d = fullJitterDelay(n, 50, 2000, random);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThan(Math.min(2000, 50 * 2 ** (n - 1)));
      }
    }
    expect(fullJitterDelay(3, 50, 2000, () => 0.999999)).toBe(199);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('3', 0)).toBe(3000);
    expect(parseRetryAfter(1.5, 0)).toBe(1500);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(-1, now)).toBeUndefined();
  });
});
