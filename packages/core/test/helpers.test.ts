import { describe, expect, it } from 'vitest';
import { errorMessage, MAX_TIMER_MS, wait } from '../src/index.js';

describe('shared helpers', () => {
  it('errorMessage reads errors and anything else', () => {
    expect(errorMessage(new Error('boom'))).toBe('boom');
    expect(errorMessage('plain')).toBe('plain');
    expect(MAX_TIMER_MS).toBe(2 ** 31 - 1);
  });

  it('wait resolves after ms, rejects with the first aborted signal’s reason, and leaves no listener behind', async () => {
    await expect(wait(5)).resolves.toBeUndefined();
    const a = new AbortController();
    const b = new AbortController();
    const pending = wait(60_000, a.signal, undefined, b.signal);
    b.abort(new Error('closing'));
    await expect(pending).rejects.toThrow('closing');
    const pre = new AbortController();
    pre.abort(new Error('already'));
    await expect(wait(60_000, pre.signal)).rejects.toThrow('already');
    // A huge delay is capped, not fired at once (Node would warn and fire after 1 ms).
    const c = new AbortController();
    let settled = false;
    const long = wait(Number.MAX_SAFE_INTEGER, c.signal).then(
      () => (settled = true),
      () => undefined,
    );
    await new Promise((r) => setTimeout(r, 20));
    expect(settled).toBe(false);
    c.abort(new Error('stop'));
    await long;
  });
});
