import { definePlugin, type CallContext, type Plugin } from '@mcp-bridge/core';
import pkg from '../package.json' with { type: 'json' };
import { RateLimitedError } from './errors.js';
import { rateLimitOptionsSchema, type RateLimitOptions } from './options.js';
import { TokenBucket } from './token-bucket.js';

type Scope = 'caller' | 'server' | 'tool';
type ParsedLimit = { limit: number; intervalMs: number; burst?: number | undefined };
type ParsedScope = ParsedLimit | { default?: ParsedLimit | undefined; only: Record<string, ParsedLimit> };

/** What the plugin attaches to the bridge as `bridge.rateLimits`. */
export interface RateLimitControl {
  /** Tokens left now for a key of a scope (`undefined` when that scope or key has no limit). */
  remaining(scope: Scope, key: string): number | undefined;
  /** Refill every bucket (e.g. after changing plans). */
  reset(): void;
}

declare module '@mcp-bridge/core' {
  interface BridgeExtensions {
    rateLimits: RateLimitControl;
  }
  interface BridgeEvents {
    /** A call was refused by a limit. */
    'rate-limit:refused': { ctx: CallContext; scope: 'caller' | 'server' | 'tool'; key: string; retryAfterMs: number };
  }
}

/** The buckets of one scope. */
class ScopeBuckets {
  readonly #buckets = new Map<string, TokenBucket>();

  constructor(
    readonly scope: Scope,
    readonly limits: ParsedScope,
    readonly maxKeys: number,
  ) {}

  limitOf(key: string): ParsedLimit | undefined {
    if ('limit' in this.limits) return this.limits;
    return this.limits.only[key] ?? this.limits.default;
  }

  bucket(key: string, now: number): TokenBucket | undefined {
    let bucket = this.#buckets.get(key);
    if (bucket) return bucket;
    const limit = this.limitOf(key);
    if (!limit) return undefined;
    if (this.#buckets.size >= this.maxKeys) this.#sweep(now);
    bucket = new TokenBucket(limit.limit, limit.intervalMs, limit.burst ?? Math.max(1, Math.floor(limit.limit)), now);
    this.#buckets.set(key, bucket);
    return bucket;
  }

  /** Forgets full buckets (a new one would be identical); if none is full, the oldest. */
  #sweep(now: number): void {
    for (const [key, bucket] of this.#buckets) if (bucket.full(now)) this.#buckets.delete(key);
    if (this.#buckets.size >= this.maxKeys) this.#buckets.delete(this.#buckets.keys().next().value!);
  }

  clear(): void {
    this.#buckets.clear();
  }
}

/**
 * Rate limits: token buckets per caller, per server and per tool. A call takes one token from
 * every bucket that applies, or from none: when any is empty it is refused with a
 * {@link RateLimitedError} carrying `retryAfterMs` and `retryAfter` (seconds). No timers: buckets
 * refill from the clock on use.
 *
 * Occupies the `policy` phase (unmarked order: after `order: 'before'` policies such as access
 * rules, so a denied call spends no token). The host's own list refreshes are never limited.
 *
 * @example
 * ```ts
 * const bridge = createBridge({
 *   servers,
 *   plugins: [rateLimits({ caller: { limit: 10 }, tool: { only: { expensive_search: { limit: 5, intervalMs: 60_000 } } } })],
 * });
 * ```
 */
export const rateLimits: (options?: RateLimitOptions) => Plugin = definePlugin({
  name: pkg.name,
  version: pkg.version,
  core: '^0.1.0',
  options: rateLimitOptionsSchema,
  setup(api, opts) {
    const now = opts.now ?? Date.now;
    const scopes: ScopeBuckets[] = [];
    if (opts.caller) scopes.push(new ScopeBuckets('caller', opts.caller, opts.maxKeys));
    if (opts.server) scopes.push(new ScopeBuckets('server', opts.server, opts.maxKeys));
    if (opts.tool) scopes.push(new ScopeBuckets('tool', opts.tool, opts.maxKeys));
    const keyOf = (scope: Scope, ctx: CallContext): string | undefined =>
      scope === 'caller'
        ? (ctx.caller ?? 'anonymous')
        : scope === 'server'
          ? ctx.server
          : ctx.method === 'tools/call'
            ? (ctx.tool?.name ?? String(ctx.params.name))
            : undefined;

    if (scopes.length > 0) {
      api.use({
        phase: 'policy',
        methods: opts.methods,
        handle(ctx, next) {
          // The host's own traffic: list refreshes and health probes (a refused probe would eject a healthy replica).
          if (ctx.origin === 'catalog' || ctx.origin === 'probe') return next();
          const t = now();
          const taken: TokenBucket[] = [];
          let refused: { scope: ScopeBuckets; key: string; waitMs: number } | undefined;
          for (const scope of scopes) {
            const key = keyOf(scope.scope, ctx);
            if (key === undefined) continue;
            const bucket = scope.bucket(key, t);
            if (!bucket) continue;
            const waitMs = bucket.waitMs(t);
            if (waitMs === 0) taken.push(bucket);
            // The longest wait is the honest Retry-After: the call needs every bucket.
            else if (!refused || waitMs > refused.waitMs) refused = { scope, key, waitMs };
          }
          if (refused) {
            const { scope, key, waitMs } = refused;
            const limit = scope.limitOf(key)!;
            if (api.hasListeners('rate-limit:refused'))
              api.emit('rate-limit:refused', { ctx, scope: scope.scope, key, retryAfterMs: waitMs });
            return Promise.reject(
              new RateLimitedError(
                `rate limit of ${scope.scope} "${key}" reached (${limit.limit} per ${limit.intervalMs} ms); retry after ${Math.ceil(waitMs / 1000)} s`,
                {
                  plugin: api.plugin,
                  data: {
                    scope: scope.scope,
                    key,
                    limit: limit.limit,
                    intervalMs: limit.intervalMs,
                    retryAfterMs: waitMs,
                    retryAfter: Math.ceil(waitMs / 1000),
                  },
                },
              ),
            );
          }
          for (const bucket of taken) bucket.take(t);
          return next();
        },
      });
    }

    api.expose('rateLimits', {
      remaining: (scope, key) =>
        scopes
          .find((s) => s.scope === scope)
          ?.bucket(key, now())
          ?.remaining(now()),
      reset: () => {
        for (const s of scopes) s.clear();
      },
    });
  },
});
