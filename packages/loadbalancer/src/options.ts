import { z } from 'zod';
import type { CallContext } from '@mcp-bridge/core';

const fn = <T>(what: string) => z.custom<T>((v) => typeof v === 'function', `expected ${what}`);

const hedgingSchema = z
  .object({
    percentile: z.number().gt(0).lt(1).default(0.95),
    delayMs: z.number().int().positive().optional(),
    minSamples: z.number().int().min(1).default(20),
    budget: z.number().min(0).max(1).default(0.05),
    burst: z.number().min(1).default(10),
    window: z.number().int().min(10).max(100_000).default(1000),
  })
  .strict();

/** Schema of {@link LoadBalancerOptions}. */
export const loadBalancerOptionsSchema = z
  .object({
    picker: z.enum(['least-outstanding', 'round-robin', 'weighted-round-robin', 'consistent-hash']).default('least-outstanding'),
    weights: z.record(z.string(), z.number().positive()).default({}),
    hashKey: fn<(ctx: CallContext) => string | undefined>('a function (ctx) => string | undefined').optional(),
    pointsPerReplica: z.number().int().min(1).max(10_000).default(256),
    panicThreshold: z.number().min(0).max(1).default(0.5),
    panic: z.enum(['spread', 'fail']).default('spread'),
    affinity: z.enum(['auto', 'caller', 'off']).default('auto'),
    affinityMaxEntries: z.number().int().min(1).default(10_000),
    hedging: z.union([z.boolean(), hedgingSchema]).default(false),
    random: fn<() => number>('a function returning a number in [0, 1)').optional(),
    now: fn<() => number>('a function returning epoch ms').optional(),
  })
  .strict();

/**
 * Options of {@link loadBalancer}.
 *
 * | option | default | |
 * |---|---|---|
 * | `picker` | `'least-outstanding'` | `round-robin`, `weighted-round-robin`, `consistent-hash` |
 * | `weights` | `{}` | weight by upstream id (`api#2`); else the replica's `weight` config field; else 1 |
 * | `hashKey` | caller, else tool arguments | key for `consistent-hash` |
 * | `panicThreshold` | `0.5` | below this share of healthy replicas, panic |
 * | `panic` | `'spread'` | `spread` over all replicas, or `fail` fast |
 * | `affinity` | `'auto'` | same caller → same replica: `auto` (2025-era HTTP/SSE; a 2026-07-28 upstream keeps no session), `caller`, `off` |
 * | `hedging` | `false` | `true` or `{ percentile, delayMs, minSamples, budget, burst, window }` |
 */
export type LoadBalancerOptions = z.input<typeof loadBalancerOptionsSchema>;

/** Hedging options (the object form of `hedging`). */
export type HedgingOptions = z.input<typeof hedgingSchema>;

/** Options after defaults. */
export type ResolvedLoadBalancerOptions = z.output<typeof loadBalancerOptionsSchema>;

/** Hedging defaults, for `hedging: true`. */
export const HEDGING_DEFAULTS = hedgingSchema.parse({});
