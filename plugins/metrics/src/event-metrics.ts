import type { Upstream } from '@mcp-bridge/core';
import { Gauge } from 'prom-client';
import { LabeledCounts } from './histogram-data.js';
import { isCtx, type MetricsKit } from './kit.js';

type BreakerState = 'closed' | 'open' | 'half_open';
const BREAKER_STATES: readonly BreakerState[] = ['closed', 'open', 'half_open'];

/** Retries and give-ups, from `@mcp-bridge/retry`'s events (nothing without that plugin). */
export function addRetryMetrics(kit: MetricsKit): void {
  const { on, prefix: p } = kit;
  const retries = new LabeledCounts(['server', 'method', 'tool'] as const);
  on('retry:attempt', (e) => {
    if (isCtx(e.ctx)) retries.inc({ server: e.ctx.server, method: e.ctx.method, tool: e.ctx.tool ? kit.toolName(e.ctx.tool) : '' });
  });
  kit.counterFrom(`${p}retries_total`, 'Retries (attempts after the first) made by @mcp-bridge/retry.', retries);

  const giveups = new LabeledCounts(['server', 'method', 'reason'] as const);
  on('retry:giveup', (e) => {
    if (isCtx(e.ctx)) giveups.inc({ server: e.ctx.server, method: e.ctx.method, reason: String(e.reason) });
  });
  kit.counterFrom(
    `${p}retry_giveups_total`,
    'Calls @mcp-bridge/retry stopped retrying, by reason (attempts, deadline, budget, unsafe, not-retryable).',
    giveups,
  );
}

/** Circuit breaker state and openings per upstream, from the `breaker:*` events. */
export function addBreakerMetrics(kit: MetricsKit): void {
  const { on, prefix: p, registers } = kit;
  const breakers = new Map<string, { server: string; upstream: string; state: BreakerState }>();
  const breakerOpens = new LabeledCounts(['server', 'upstream', 'reason'] as const);
  const setBreaker = (e: Record<string, unknown>, state: BreakerState): void => {
    const up = e.upstream as Upstream | undefined;
    if (!up || typeof up.id !== 'string') return;
    breakers.set(up.id, { server: up.server, upstream: up.id, state });
  };
  on('breaker:open', (e) => {
    setBreaker(e, 'open');
    const up = e.upstream as Upstream | undefined;
    if (up) breakerOpens.inc({ server: up.server, upstream: up.id, reason: typeof e.reason === 'string' ? e.reason : '' });
  });
  on('breaker:half-open', (e) => setBreaker(e, 'half_open'));
  on('breaker:close', (e) => setBreaker(e, 'closed'));
  kit.make(
    `${p}breaker_state`,
    () =>
      new Gauge({
        name: `${p}breaker_state`,
        help: 'Circuit breaker state per upstream (1 for the current state): closed, open, half_open. Absent until the breaker first changes.',
        labelNames: ['server', 'upstream', 'state'] as const,
        registers,
        collect() {
          this.reset();
          for (const b of breakers.values())
            for (const s of BREAKER_STATES) this.set({ server: b.server, upstream: b.upstream, state: s }, b.state === s ? 1 : 0);
        },
      }),
  );
  kit.counterFrom(`${p}breaker_opens_total`, 'Times a circuit breaker opened, by reason.', breakerOpens);
  // A removed upstream's breaker state is no longer a series.
  on('upstream:remove', (e) => {
    const up = e.upstream as Upstream | undefined;
    if (up) breakers.delete(up.id);
  });
}

/** Cache lookups, evictions and store errors, from `@mcp-bridge/cache`'s events. */
export function addCacheMetrics(kit: MetricsKit): void {
  const { on, prefix: p } = kit;
  const cache = new LabeledCounts(['server', 'method', 'result', 'detail'] as const);
  on('cache:hit', (e) => {
    if (isCtx(e.ctx))
      cache.inc({
        server: e.ctx.server,
        method: e.ctx.method,
        result: 'hit',
        detail: `${String(e.level)}${e.negative ? '_negative' : ''}`,
      });
  });
  on('cache:miss', (e) => {
    if (isCtx(e.ctx)) cache.inc({ server: e.ctx.server, method: e.ctx.method, result: e.coalesced ? 'coalesced' : 'miss', detail: '' });
  });
  on('cache:stale', (e) => {
    if (isCtx(e.ctx)) cache.inc({ server: e.ctx.server, method: e.ctx.method, result: 'stale', detail: String(e.reason) });
  });
  kit.counterFrom(
    `${p}cache_requests_total`,
    'Cache lookups by result: hit (detail: l1, l2, with _negative for a cached not-found), miss, coalesced (joined an identical call in flight), stale (detail: revalidate or error).',
    cache,
  );
  const evictions = new LabeledCounts(['server', 'method', 'reason'] as const);
  on('cache:evict', (e) => evictions.inc({ server: String(e.server), method: String(e.method), reason: String(e.reason) }));
  kit.counterFrom(`${p}cache_evictions_total`, 'Entries that left the in-process cache, by reason.', evictions);
  const cacheErrors = new LabeledCounts(['operation', 'timed_out'] as const);
  on('cache:error', (e) => cacheErrors.inc({ operation: String(e.operation), timed_out: String(e.timedOut === true) }));
  kit.counterFrom(
    `${p}cache_store_errors_total`,
    'Cache store operations that failed or timed out (the call went on without the store).',
    cacheErrors,
  );
}

/** Definitions that drifted from their pins, from `@mcp-bridge/plugin-pinning`'s `pinning:drift` (once per new definition). */
export function addPinningMetrics(kit: MetricsKit): void {
  const { on, prefix: p } = kit;
  const drifts = new LabeledCounts(['server', 'kind', 'change', 'policy'] as const);
  on('pinning:drift', (e) =>
    drifts.inc({ server: String(e.server), kind: String(e.kind), change: String(e.change), policy: String(e.policy) }),
  );
  kit.counterFrom(
    `${p}pin_drifts_total`,
    'Tool, prompt and template definitions that differ from their pins (change: changed or new), by the policy applied (warn, hide, block).',
    drifts,
  );
}
