import { z } from 'zod';

/** How a server or tool may be retried. */
export type RetryMode =
  /** Decide from the method and the tool's annotations (the default). */
  | 'auto'
  /** Treat as safe to repeat: you vouch that the tool is idempotent. */
  | 'always'
  /** Only failures that provably happened before the request was executed. */
  | 'unsent-only'
  /** No retries at all. */
  | 'never';

/** A policy override for one server or one tool. */
export interface RetryPolicyOptions {
  /** Attempts in total, the first included. */
  attempts?: number;
  /** How the call may be retried. */
  mode?: RetryMode;
  /** First backoff step, ms. */
  baseDelayMs?: number;
  /** Longest backoff step, ms. */
  maxDelayMs?: number;
  /** Time limit of one attempt, ms (the upstream receives `notifications/cancelled` when it passes). */
  attemptTimeoutMs?: number;
}

/** Options of the circuit breaker (one per upstream). */
export interface BreakerOptions {
  /** Calls in the window before the breaker may open at all (opossum's default of 0 would open on one failure). Default 20. */
  minVolume?: number;
  /** Opens when failures exceed this share of the window's calls (0..1); `false` turns the error-rate mode off. Default 0.5. */
  errorRate?: number | false;
  /** Opens after this many failures in a row; `false` turns the consecutive mode off. Default 5. */
  consecutiveFailures?: number | false;
  /** Length of the rolling window, ms. Default 10_000. */
  windowMs?: number;
  /** Buckets of the rolling window. Default 10. */
  windowBuckets?: number;
  /** First open time, ms. Default 5_000. */
  openMs?: number;
  /** Each re-open (a failed half-open) multiplies the open time by this. Default 2. */
  openMultiplier?: number;
  /** Longest open time, ms. Default 60_000. */
  maxOpenMs?: number;
  /** Random spread of the open time, as a share (0.2: ±20%). Default 0.2. */
  openJitter?: number;
  /** Probes let through when half-open; all must succeed to close, one failure re-opens. Default 3. */
  halfOpenProbes?: number;
  /** Hard time limit of a probe, ms: a probe still running then re-opens the breaker. Default 5_000. */
  probeTimeoutMs?: number;
}

/** Options of the retry budget. */
export interface BudgetOptions {
  /** Retries allowed as a share of the calls in the window. Default 0.2. */
  ratio?: number;
  /** Retries always allowed per window, however few calls there were. Default 10. */
  minRetries?: number;
  /** Length of the window, ms. Default 10_000. */
  windowMs?: number;
}

/** Options of {@link retry}. */
export interface RetryOptions extends RetryPolicyOptions {
  /** Retry budget per server; `false` turns it off. */
  budget?: BudgetOptions | false;
  /** Circuit breaker per upstream; `false` turns it off. */
  breaker?: BreakerOptions | false;
  /** Servers whose tool annotations are trusted, besides those with `trusted: true` in their config. */
  trusted?: readonly string[];
  /** JSON-RPC error codes retried on safe calls. Default `[-32603]` (internal error). */
  retryableCodes?: readonly number[];
  /** Longest `Retry-After` honoured, ms; a longer one gives up. Default 30_000. */
  maxRetryAfterMs?: number;
  /** Overrides by server name (with `breaker: false` to turn its breaker off). */
  servers?: Readonly<Record<string, RetryPolicyOptions & { breaker?: false }>>;
  /** Overrides by tool: exposed name, or `server/tool` with the upstream name. */
  tools?: Readonly<Record<string, RetryPolicyOptions>>;
  /** Random numbers in [0, 1) for jitter (tests inject a seeded one). Default `Math.random`. */
  random?: () => number;
}

const ms = z
  .number()
  .int()
  .min(0)
  .max(2 ** 31 - 1);
const positiveMs = z
  .number()
  .int()
  .min(1)
  .max(2 ** 31 - 1);
const mode = z.enum(['auto', 'always', 'unsent-only', 'never']);
const policyFields = {
  attempts: z.number().int().min(1).max(100).optional(),
  mode: mode.optional(),
  baseDelayMs: ms.optional(),
  maxDelayMs: ms.optional(),
  attemptTimeoutMs: positiveMs.optional(),
};

/** The zod schema of {@link RetryOptions}. */
export const retryOptionsSchema = z.strictObject({
  ...policyFields,
  budget: z
    .union([
      z.literal(false),
      z.strictObject({
        ratio: z.number().min(0).max(10).optional(),
        minRetries: z.number().int().min(0).optional(),
        windowMs: positiveMs.optional(),
      }),
    ])
    .optional(),
  breaker: z
    .union([
      z.literal(false),
      z.strictObject({
        minVolume: z.number().int().min(1).optional(),
        errorRate: z.union([z.literal(false), z.number().gt(0).max(1)]).optional(),
        consecutiveFailures: z.union([z.literal(false), z.number().int().min(1)]).optional(),
        windowMs: positiveMs.optional(),
        windowBuckets: z.number().int().min(1).max(1000).optional(),
        openMs: positiveMs.optional(),
        openMultiplier: z.number().min(1).optional(),
        maxOpenMs: positiveMs.optional(),
        openJitter: z.number().min(0).max(1).optional(),
        halfOpenProbes: z.number().int().min(1).max(1000).optional(),
        probeTimeoutMs: positiveMs.optional(),
      }),
    ])
    .optional(),
  trusted: z.array(z.string()).optional(),
  retryableCodes: z.array(z.number().int()).optional(),
  maxRetryAfterMs: ms.optional(),
  servers: z.record(z.string(), z.strictObject({ ...policyFields, breaker: z.literal(false).optional() })).optional(),
  tools: z.record(z.string(), z.strictObject(policyFields)).optional(),
  random: z.custom<() => number>((v) => typeof v === 'function', 'expected a function returning a number in [0, 1)').optional(),
});

/** Defaults (Envoy / gRPC / Finagle practice). */
export const RETRY_DEFAULTS = {
  attempts: 3,
  mode: 'auto' as RetryMode,
  baseDelayMs: 50,
  maxDelayMs: 2_000,
  retryableCodes: [-32603],
  maxRetryAfterMs: 30_000,
  budget: { ratio: 0.2, minRetries: 10, windowMs: 10_000 },
  breaker: {
    minVolume: 20,
    errorRate: 0.5,
    consecutiveFailures: 5,
    windowMs: 10_000,
    windowBuckets: 10,
    openMs: 5_000,
    openMultiplier: 2,
    maxOpenMs: 60_000,
    openJitter: 0.2,
    halfOpenProbes: 3,
    probeTimeoutMs: 5_000,
  },
} as const;

/** Breaker options with every default filled in. */
export type ResolvedBreakerOptions = { [K in keyof BreakerOptions]-?: Exclude<BreakerOptions[K], undefined> };
