import { z } from 'zod';

/** Settings of the restart supervisor (stdio crash handling, failed connects). */
const restartSchema = z.strictObject({
  /** First wait before reopening after a failure, ms. Grows by `multiplier` per consecutive failure. */
  initialDelayMs: z.number().int().min(0).optional(),
  /** Longest wait between two attempts, ms. */
  maxDelayMs: z.number().int().min(0).optional(),
  /** Growth of the wait per consecutive failure. */
  multiplier: z.number().min(1).optional(),
  /** A session that dies younger than this counts as a failed start (crash loop material), ms. */
  minUptimeMs: z.number().int().min(0).optional(),
  /** Consecutive failures that make a crash loop: the upstream is reported failed and waits `crashLoopDelayMs`. */
  crashLoopThreshold: z.number().int().min(1).optional(),
  /** Wait before the next attempt once in a crash loop, ms. */
  crashLoopDelayMs: z.number().int().min(0).optional(),
});

const upstreamShape = {
  /** Sessions kept open at all times (opened at start, reopened after idle or crash). */
  minSessions: z.number().int().min(0).max(64).optional(),
  /** Most sessions (SDK clients, processes for stdio) opened for one upstream. */
  maxSessions: z.number().int().min(1).max(64).optional(),
  /** A new session is opened (up to `maxSessions`) when every open one carries this many calls. */
  callsPerSession: z.number().int().min(1).optional(),
  /** A session without calls for this long is closed (down to `minSessions`); 0 keeps it, ms. */
  idleTimeoutMs: z.number().int().min(0).optional(),
  /** A session older than this is drained and replaced (no call is cut); 0 = no limit, ms. */
  maxLifetimeMs: z.number().int().min(0).optional(),
  /** Calls running on the upstream at once (the bulkhead). */
  maxConcurrent: z.number().int().min(1).optional(),
  /** Calls waiting for a slot; beyond this a call fails at once with `OverloadedError`. */
  maxPending: z.number().int().min(0).optional(),
  /** Restart and crash-loop settings. */
  restart: restartSchema.optional(),
};

const upstreamSchema = z.strictObject(upstreamShape);

/** The validated options schema of `pool()`. */
export const poolOptionsSchema = z
  .strictObject({
    ...upstreamShape,
    /** Overrides per logical server name (or upstream id such as `name#2`), merged over the defaults above. */
    servers: z.record(z.string(), upstreamSchema).optional(),
    /** Source of randomness for backoff jitter, in [0, 1) (tests inject a fixed one). */
    random: z
      .custom<() => number>((value) => typeof value === 'function', { error: 'expected a function returning a number in [0, 1)' })
      .optional(),
  })
  .superRefine((options, ctx) => {
    const check = (settings: UpstreamSettings, path: (string | number)[]): void => {
      if (settings.minSessions > settings.maxSessions) {
        ctx.addIssue({
          code: 'custom',
          path: [...path, 'minSessions'],
          message: `minSessions (${settings.minSessions}) is larger than maxSessions (${settings.maxSessions})`,
        });
      }
      if (settings.restart.maxDelayMs < settings.restart.initialDelayMs) {
        ctx.addIssue({
          code: 'custom',
          path: [...path, 'restart', 'maxDelayMs'],
          message: 'must not be smaller than restart.initialDelayMs',
        });
      }
    };
    const defaults = mergeSettings(DEFAULT_SETTINGS, options);
    check(defaults, []);
    for (const [name, override] of Object.entries(options.servers ?? {})) check(mergeSettings(defaults, override), ['servers', name]);
  });

/** Per-upstream options: the same fields as the top level of {@link PoolOptions}. */
export type PoolUpstreamOptions = z.input<typeof upstreamSchema>;

/**
 * Options of `pool()`. Top-level fields are the defaults for every upstream; `servers` overrides
 * them per server name (all replicas of that server) or per upstream id (`name#2`).
 */
export type PoolOptions = z.input<typeof poolOptionsSchema>;

/** Restart settings with every default filled in. */
export interface RestartSettings {
  initialDelayMs: number;
  maxDelayMs: number;
  multiplier: number;
  minUptimeMs: number;
  crashLoopThreshold: number;
  crashLoopDelayMs: number;
}

/** Settings of one upstream with every default filled in. */
export interface UpstreamSettings {
  minSessions: number;
  maxSessions: number;
  callsPerSession: number;
  idleTimeoutMs: number;
  maxLifetimeMs: number;
  maxConcurrent: number;
  maxPending: number;
  restart: RestartSettings;
}

/** The defaults, as documented in the README's options table. */
export const DEFAULT_SETTINGS: Readonly<UpstreamSettings> = Object.freeze({
  minSessions: 0,
  maxSessions: 1,
  callsPerSession: 1,
  idleTimeoutMs: 300_000,
  maxLifetimeMs: 0,
  maxConcurrent: 64,
  maxPending: 256,
  restart: Object.freeze({
    initialDelayMs: 250,
    maxDelayMs: 30_000,
    multiplier: 2,
    minUptimeMs: 5_000,
    crashLoopThreshold: 5,
    crashLoopDelayMs: 30_000,
  }),
});

/** `base` with the fields set in `override` replaced (restart settings merged field by field). */
export function mergeSettings(base: Readonly<UpstreamSettings>, override: PoolUpstreamOptions | undefined): UpstreamSettings {
  if (!override) return { ...base, restart: { ...base.restart } };
  const defined = <T extends object>(o: T): Partial<T> =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
  const { restart, ...rest } = override;
  return { ...base, ...defined(rest), restart: { ...base.restart, ...defined(restart ?? {}) } };
}

/** Resolved options: a lookup of the settings of one upstream. */
export interface ResolvedPoolOptions {
  settingsFor(upstream: { id: string; server: string }): UpstreamSettings;
  random: () => number;
}

/** Builds the settings lookup from validated options; each upstream's settings are computed once. */
export function resolvePoolOptions(options: z.output<typeof poolOptionsSchema>): ResolvedPoolOptions {
  const { servers = {}, random = Math.random, ...top } = options;
  const defaults = mergeSettings(DEFAULT_SETTINGS, top);
  return {
    // An upstream id entry (`name#2`) wins over the server's entry, which wins over the defaults.
    settingsFor: (up) => mergeSettings(mergeSettings(defaults, servers[up.server]), up.id !== up.server ? servers[up.id] : undefined),
    random,
  };
}
