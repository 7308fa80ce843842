import { z } from 'zod';

/** One limit: `limit` calls per `intervalMs`, with bursts up to `burst` (default `limit`). */
export const limitSchema = z.strictObject({
  /** Calls allowed per interval (refilled continuously, not in windows). */
  limit: z.number().positive(),
  /** The interval, ms. Default 1000 (so `limit` is per second). */
  intervalMs: z.number().int().positive().default(1_000),
  /** Bucket size: calls that may come at once after a quiet period. Default `limit`. */
  burst: z.number().int().min(1).optional(),
});

/** One limit (input form). */
export type Limit = z.input<typeof limitSchema>;

const scopeSchema = z.union([
  limitSchema,
  z.strictObject({
    /** The limit of every key without its own. */
    default: limitSchema.optional(),
    /** Limits of particular keys (a caller, a server name, a tool's exposed name). */
    only: z.record(z.string().min(1), limitSchema),
  }),
]);

/** A scope's limits: one limit for every key, or `{ default?, only: { key: limit } }`. */
export type ScopeLimits = z.input<typeof scopeSchema>;

/** Options schema of {@link rateLimits}. */
export const rateLimitOptionsSchema = z.strictObject({
  /** One bucket per caller (`ctx.caller`). Calls without a caller share the key `anonymous`. */
  caller: scopeSchema.optional(),
  /** One bucket per logical server, shared by every caller. */
  server: scopeSchema.optional(),
  /** One bucket per tool (exposed name), shared by every caller. */
  tool: scopeSchema.optional(),
  /** Methods limited. Default `['tools/call']`; `tool` limits apply to `tools/call` only. */
  methods: z.array(z.string().min(1)).min(1).default(['tools/call']),
  /** Most buckets kept per scope; beyond it, full (idle) buckets are forgotten. Default 10_000. */
  maxKeys: z.number().int().min(1).default(10_000),
  /** The clock, ms. Default `Date.now` (fake it with `vi.useFakeTimers({ toFake: ['Date'] })`). */
  now: z.custom<() => number>((v) => typeof v === 'function', 'expected a function returning ms').optional(),
});

/** Options of {@link rateLimits}. */
export type RateLimitOptions = z.input<typeof rateLimitOptionsSchema>;
