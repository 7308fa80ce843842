import { EventEmitter } from 'node:events';
import {
  serverTrusted,
  definePlugin,
  RetryExhaustedError,
  type CallContext,
  type Next,
  type Plugin,
  type PluginApi,
  type ToolEntry,
  type Upstream,
} from '@mcp-bridge/core';
import pkg from '../package.json' with { type: 'json' };
import { fullJitterDelay, sleep, within } from './backoff.js';
import { UpstreamBreaker, type BreakerSnapshot } from './breaker.js';
import { RetryBudget } from './budget.js';
import { classify, SAFE_METHODS } from './classify.js';
import type { GiveUpReason } from './give-up.js';
import {
  RETRY_DEFAULTS,
  retryOptionsSchema,
  type ResolvedBreakerOptions,
  type RetryMode,
  type RetryOptions,
  type RetryPolicyOptions,
} from './options.js';

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

/** The policy of one server + method (+ tool), resolved once and cached. */
interface Policy {
  attempts: number;
  /** Whether a failure that may have executed can be retried. */
  safe: boolean;
  /** Whether the server's own word that it refused a request (429, Retry-After) is believed. */
  trusted: boolean;
  baseDelayMs: number;
  maxDelayMs: number;
  attemptTimeoutMs: number | undefined;
  budget: RetryBudget | undefined;
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
      setupRetry(api, o as RetryOptions);
    },
});

function setupRetry(api: PluginApi, o: RetryOptions): void {
  const random = o.random ?? Math.random;
  const retryableCodes = new Set(o.retryableCodes ?? RETRY_DEFAULTS.retryableCodes);
  const maxRetryAfterMs = o.maxRetryAfterMs ?? RETRY_DEFAULTS.maxRetryAfterMs;
  const trusted = new Set(o.trusted ?? []);
  const budgetOptions = o.budget === false ? undefined : { ...RETRY_DEFAULTS.budget, ...o.budget };
  const budgets = new Map<string, RetryBudget>();
  const toolPolicies = new WeakMap<ToolEntry, Policy>();
  const methodPolicies = new Map<string, Map<string, Policy>>();

  const forget = (server: string): void => {
    methodPolicies.delete(server);
    budgets.delete(server);
  };
  api.on('upstream:remove', ({ server }) => forget(server));
  api.on('upstream:add', ({ server }) => forget(server));

  const budgetOf = (server: string): RetryBudget | undefined => {
    if (!budgetOptions) return undefined;
    let b = budgets.get(server);
    if (!b) budgets.set(server, (b = new RetryBudget(budgetOptions)));
    return b;
  };

  const resolve = (ctx: CallContext): Policy => {
    const tool = ctx.method === 'tools/call' ? ctx.tool : undefined;
    if (tool) {
      let p = toolPolicies.get(tool);
      if (!p) toolPolicies.set(tool, (p = build(ctx, tool)));
      return p;
    }
    let byMethod = methodPolicies.get(ctx.server);
    if (!byMethod) methodPolicies.set(ctx.server, (byMethod = new Map()));
    let p = byMethod.get(ctx.method);
    if (!p) byMethod.set(ctx.method, (p = build(ctx, undefined)));
    return p;
  };

  const build = (ctx: CallContext, tool: ToolEntry | undefined): Policy => {
    const server = o.servers?.[ctx.server];
    const perTool: RetryPolicyOptions | undefined = tool ? (o.tools?.[tool.name] ?? o.tools?.[`${tool.server}/${tool.upstreamName}`]) : undefined;
    const pick = <K extends keyof RetryPolicyOptions>(key: K): RetryPolicyOptions[K] => perTool?.[key] ?? server?.[key] ?? o[key];
    const upstreams = api.host.upstreams(ctx.server);
    // Core validates `settings` (typed); replicas share the entry's.
    const settings = upstreams[0]?.config.settings;
    const settingsTimeout = settings?.timeout;
    const mode: RetryMode = pick('mode') ?? RETRY_DEFAULTS.mode;
    let attempts = pick('attempts') ?? RETRY_DEFAULTS.attempts;
    // `settings.retries` in the server's config caps retries for that server.
    const retries = settings?.retries;
    if (retries !== undefined) attempts = Math.min(attempts, retries + 1);
    if (mode === 'never') attempts = 1;
    // Trusted by its config (every replica: core's one rule) or by this plugin's own `trusted` list.
    const listed = trusted.has(ctx.server);
    const isTrusted = listed || serverTrusted(upstreams);
    let safe: boolean;
    if (mode === 'always') safe = true;
    else if (mode === 'auto') {
      // The catalog's safety of the tool (an unlisted tool's is all false); this plugin's list believes what it claims.
      if (ctx.method === 'tools/call') safe = tool !== undefined && (tool.safety.idempotent || (listed && tool.safety.claimed.idempotent));
      else safe = SAFE_METHODS.has(ctx.method);
    } else safe = false;
    return {
      attempts,
      safe,
      trusted: isTrusted,
      baseDelayMs: pick('baseDelayMs') ?? RETRY_DEFAULTS.baseDelayMs,
      maxDelayMs: pick('maxDelayMs') ?? RETRY_DEFAULTS.maxDelayMs,
      // The server's `settings.timeout` is the default time limit of each request to it.
      attemptTimeoutMs: pick('attemptTimeoutMs') ?? (typeof settingsTimeout === 'number' && settingsTimeout > 0 ? settingsTimeout : undefined),
      budget: attempts > 1 ? budgetOf(ctx.server) : undefined,
    };
  };

  const giveUp = (ctx: CallContext, attempts: number, reason: GiveUpReason, error: unknown): never => {
    if (api.hasListeners('retry:giveup')) api.emit('retry:giveup', { ctx, attempts, reason, error });
    // One attempt, or an answer that is final: the caller gets the failure as it was.
    if (attempts <= 1 || reason === 'not-retryable') throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new RetryExhaustedError(`gave up after ${attempts} attempts (${reason}): ${message}`, {
      plugin: PLUGIN,
      cause: error,
      data: { server: ctx.server, method: ctx.method, attempts, reason, tried: [...ctx.tried] },
    });
  };

  const recover = async (ctx: CallContext, next: Next, policy: Policy, first: unknown): Promise<unknown> => {
    let error = first;
    let made = 1;
    for (;;) {
      const now = Date.now();
      const verdict = classify(error, ctx, retryableCodes, now, policy.trusted);
      if (verdict.kind === 'final') return giveUp(ctx, made, 'not-retryable', error);
      if (verdict.kind === 'sent' && !policy.safe) return giveUp(ctx, made, 'unsafe', error);
      if (made >= policy.attempts) return giveUp(ctx, made, 'attempts', error);
      let delay = verdict.immediate ? 0 : fullJitterDelay(made, policy.baseDelayMs, policy.maxDelayMs, random);
      if (verdict.retryAfterMs !== undefined) {
        if (verdict.retryAfterMs > maxRetryAfterMs) return giveUp(ctx, made, 'deadline', error);
        delay = Math.max(delay, verdict.retryAfterMs);
      }
      // No attempt starts after the deadline: do not even wait for one that could not start.
      if (now + delay >= ctx.deadline) return giveUp(ctx, made, 'deadline', error);
      // A resend of something that never reached the upstream adds no load to it: budget-free.
      if (verdict.kind === 'sent' && policy.budget && !policy.budget.tryWithdraw(now)) return giveUp(ctx, made, 'budget', error);
      if (api.hasListeners('retry:attempt')) api.emit('retry:attempt', { ctx, attempt: made + 1, delayMs: delay, error });
      // The transport closes a connection whose session the server forgot; a resend on it before it
      // is gone would fail on the closing connection, so wait for the new one (bounded by the deadline).
      const lost = verdict.sessionLost && ctx.upstream ? api.host.connection(ctx.upstream) : undefined;
      if (lost) {
        try {
          await within(lost.closed, Math.min(2_000, ctx.deadline - Date.now()), ctx.signal, api.signal);
        } catch {
          throw error;
        }
        if (Date.now() >= ctx.deadline) return giveUp(ctx, made, 'deadline', error);
      }
      if (delay > 0) {
        try {
          await sleep(delay, ctx.signal, api.signal);
        } catch {
          throw error;
        }
        if (Date.now() >= ctx.deadline) return giveUp(ctx, made, 'deadline', error);
      }
      made++;
      if (policy.attemptTimeoutMs !== undefined) ctx.attemptTimeout = policy.attemptTimeoutMs;
      try {
        return await next();
      } catch (e) {
        error = e;
      }
    }
  };

  api.use({
    name: `${PLUGIN}:retry`,
    phase: 'retry',
    handle(ctx, next) {
      const policy = resolve(ctx);
      if (policy.attemptTimeoutMs !== undefined) ctx.attemptTimeout = policy.attemptTimeoutMs;
      if (policy.attempts <= 1) return next();
      policy.budget?.deposit(Date.now());
      return next().then(undefined, (error: unknown) => recover(ctx, next, policy, error));
    },
  });

  const breakers = new Map<Upstream, UpstreamBreaker>();
  const control: RetryControl = {
    breaker: (id) => [...breakers.values()].find((b) => b.upstream.id === id)?.snapshot(),
    breakers: () => [...breakers.values()].map((b) => b.snapshot()),
    budget: (server) => budgets.get(server)?.snapshot(Date.now()),
  };
  api.expose('retry', control);

  if (o.breaker === false) return;
  const breakerOptions: ResolvedBreakerOptions = { ...RETRY_DEFAULTS.breaker, ...o.breaker };
  // One rotation timer for every breaker's rolling window (opossum would start one per breaker).
  const rotate = new EventEmitter();
  rotate.setMaxListeners(0);
  const interval = setInterval(() => rotate.emit('rotate'), Math.max(1, Math.floor(breakerOptions.windowMs / breakerOptions.windowBuckets)));
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
  const disabled = new Set(Object.entries(o.servers ?? {}).filter(([, s]) => s.breaker === false).map(([name]) => name));

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
