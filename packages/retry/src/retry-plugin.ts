import { EventEmitter } from 'node:events';
import { definePlugin, type Plugin, type PluginApi, type Upstream } from '@mcp-bridge/core';
import pkg from '../package.json' with { type: 'json' };
import { UpstreamBreaker, type BreakerSnapshot } from './breaker.js';
import { RETRY_DEFAULTS, retryOptionsSchema, type ResolvedBreakerOptions, type RetryOptions } from './options.js';
import { RetryPolicies } from './policy.js';
import { recover, type RetrySettings } from './recover.js';

const PLUGIN = '@mcp-bridge/retry';
const VERSION: string = pkg.version;

/** What `bridge.retry` offers: breaker states and budgets, for reports and tests. */
export interface RetryControl {
  /** The breaker of one upstream (by id, e.g. `search#2`), once a call went through it. */
  breaker(upstream: string): BreakerSnapshot | undefined;
  /** Every breaker created so far. */
  breakers(): BreakerSnapshot[];
  /** Calls and retries in a server's current budget window. */
  budget(server: string): { calls: number; retries: number } | undefined;
}

/**
 * Safe retries and a circuit breaker per upstream.
 *
 * - `retry` phase: retries what is safe — list/read/get methods; `tools/call` only for tools
 *   annotated `readOnlyHint` or `idempotentHint` by a trusted server (`trusted: true` in its config,
 *   or listed in `trusted`), or when the failure provably happened before the request executed.
 *   Exponential backoff with full jitter, `Retry-After`, one deadline over every attempt, and a
 *   retry budget per server. Each attempt re-enters routing, so it may go to another replica.
 * - `upstream` phase: a breaker per upstream (opossum) with a minimum volume, error-rate and
 *   consecutive-failure modes, growing open times and k half-open probes with a hard timeout.
 *
 * @example
 * ```ts
 * import { createBridge } from '@mcp-bridge/core';
 * import { retry } from '@mcp-bridge/retry';
 *
 * const bridge = createBridge({
 *   servers: { search: { url: 'https://search.example/mcp', trusted: true, replicas: ['https://a/mcp', 'https://b/mcp'] } },
 *   plugins: [retry({ attempts: 3, attemptTimeoutMs: 2_000, tools: { 'search/index_page': { mode: 'never' } } })],
 * });
 * bridge.on('retry:attempt', ({ ctx, attempt, delayMs }) => console.log(ctx.method, attempt, delayMs));
 * ```
 */
export const retry: (options?: RetryOptions) => Plugin = definePlugin({
  name: PLUGIN,
  version: VERSION,
  core: '^0.1.0',
  options: retryOptionsSchema,
  setup(api, o) {
    setupRetry(api, o);
  },
});

function setupRetry(api: PluginApi, o: RetryOptions): void {
  const random = o.random ?? Math.random;
  const settings: RetrySettings = {
    api,
    random,
    retryableCodes: new Set(o.retryableCodes ?? RETRY_DEFAULTS.retryableCodes),
    maxRetryAfterMs: o.maxRetryAfterMs ?? RETRY_DEFAULTS.maxRetryAfterMs,
  };
  const policies = new RetryPolicies(o, api.host);
  api.on('upstream:remove', ({ server }) => policies.forget(server));
  api.on('upstream:add', ({ server }) => policies.forget(server));

  api.use({
    name: `${PLUGIN}:retry`,
    phase: 'retry',
    handle(ctx, next) {
      const policy = policies.resolve(ctx);
      if (policy.attemptTimeoutMs !== undefined) ctx.attemptTimeout = policy.attemptTimeoutMs;
      if (policy.attempts <= 1) return next();
      policy.budget?.deposit(Date.now());
      return next().then(undefined, (error: unknown) => recover(settings, ctx, next, policy, error));
    },
  });

  const breakers = new Map<Upstream, UpstreamBreaker>();
  const control: RetryControl = {
    breaker: (id) => [...breakers.values()].find((b) => b.upstream.id === id)?.snapshot(),
    breakers: () => [...breakers.values()].map((b) => b.snapshot()),
    budget: (server) => policies.budget(server)?.snapshot(Date.now()),
  };
  api.expose('retry', control);

  if (o.breaker === false) return;
  installBreakers(api, o, random, breakers);
}

/** The `upstream`-phase breaker per upstream, created on its first call; one rotation timer for all. */
function installBreakers(api: PluginApi, o: RetryOptions, random: () => number, breakers: Map<Upstream, UpstreamBreaker>): void {
  const breakerOptions: ResolvedBreakerOptions = { ...RETRY_DEFAULTS.breaker, ...o.breaker };
  // One rotation timer for every breaker's rolling window (opossum would start one per breaker).
  const rotate = new EventEmitter();
  rotate.setMaxListeners(0);
  const interval = setInterval(
    () => rotate.emit('rotate'),
    Math.max(1, Math.floor(breakerOptions.windowMs / breakerOptions.windowBuckets)),
  );
  interval.unref();
  const listener = {
    open: (upstream: Upstream, openMs: number, reason: Parameters<typeof api.emit<'breaker:open'>>[1]['reason']) =>
      api.emit('breaker:open', { server: upstream.server, upstream, openMs, reason }),
    halfOpen: (upstream: Upstream, probes: number) => api.emit('breaker:half-open', { server: upstream.server, upstream, probes }),
    close: (upstream: Upstream) => api.emit('breaker:close', { server: upstream.server, upstream }),
  };
  api.on('upstream:remove', ({ upstream }) => {
    breakers.get(upstream)?.shutdown();
    breakers.delete(upstream);
  });
  api.onClose(() => {
    clearInterval(interval);
    for (const b of breakers.values()) b.shutdown();
    breakers.clear();
  });
  const disabled = new Set(
    Object.entries(o.servers ?? {})
      .filter(([, s]) => s.breaker === false)
      .map(([name]) => name),
  );

  api.use({
    name: `${PLUGIN}:breaker`,
    phase: 'upstream',
    handle(ctx, next) {
      const up = ctx.upstream!;
      let breaker = breakers.get(up);
      if (!breaker) {
        if (disabled.has(up.server)) return next();
        breakers.set(up, (breaker = new UpstreamBreaker(up, breakerOptions, rotate, listener, random)));
      }
      return breaker.call(ctx, next);
    },
  });
}
