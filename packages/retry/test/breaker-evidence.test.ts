import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { OverloadedError, TimeoutError, UpstreamUnavailableError, type CallContext, type Upstream } from '@mcp-bridge/core';
import { UpstreamBreaker } from '../src/breaker.js';
import { RETRY_DEFAULTS } from '../src/options.js';

beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] }));
afterEach(() => vi.useRealTimers());

const up = { id: 'f', server: 'f' } as Upstream;
const ctx = (): CallContext => ({ attemptTimeout: undefined, signal: undefined, deadline: Date.now() + 60_000 }) as unknown as CallContext;

it('half-open: probes that never reached the upstream (pre-send timeout, overload) prove nothing and do not close the breaker', async () => {
  const log: string[] = [];
  const b = new UpstreamBreaker(
    up,
    { ...RETRY_DEFAULTS.breaker, minVolume: 1, consecutiveFailures: 1, openJitter: 0 },
    new EventEmitter(),
    {
      open: (_u, ms, r) => log.push(`open:${r}:${ms}`),
      halfOpen: () => log.push('half-open'),
      close: () => log.push('close'),
    },
    () => 0.5,
  );
  // Open it with one real upstream failure.
  await b.call(ctx(), () => Promise.reject(new UpstreamUnavailableError('dead'))).catch(() => undefined);
  expect(b.state).toBe('open');
  await vi.advanceTimersByTimeAsync(5_000);
  expect(b.state).toBe('half-open');
  // Three probes, none of which reached the upstream: a queue wait / connect wait ran out of the
  // caller's deadline (sent:false), or the bulkhead refused.
  const notSent = [
    new TimeoutError('server "f" was not ready before the call\'s time ran out', { data: { sent: false } }),
    new TimeoutError('waited for a free slot until its time ran out', { data: { sent: false } }),
    new OverloadedError('overloaded', { data: { sent: false } }),
  ];
  for (const e of notSent) await b.call(ctx(), () => Promise.reject(e)).catch(() => undefined);
  expect(b.state).toBe('half-open');
});
