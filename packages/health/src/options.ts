import { z } from 'zod';

const fn = <T>(what: string) => z.custom<T>((v) => typeof v === 'function', `expected ${what}`);

const probeTarget = z.union([
  z.literal('ping'),
  z.object({ tool: z.string().min(1), arguments: z.record(z.string(), z.unknown()).default({}) }).strict(),
  z.literal(false),
]);

const probeSchema = z
  .object({
    intervalMs: z.number().int().min(10).default(10_000),
    jitter: z.number().min(0).max(1).default(0.2),
    timeoutMs: z.number().int().positive().default(5_000),
    healthyThreshold: z.number().int().min(1).default(2),
    unhealthyThreshold: z.number().int().min(1).default(3),
    /** What a probe sends: `ping`, or a read-only tool call `{ tool, arguments }` (upstream name). */
    target: probeTarget.default('ping'),
    /** Per-server override of `target` (`false` turns probes off for that server). */
    servers: z.record(z.string(), probeTarget).default({}),
  })
  .strict();

/** Schema of {@link HealthOptions}. */
export const healthOptionsSchema = z
  .object({
    probes: z.union([z.boolean(), probeSchema]).default(true),
    consecutiveFailures: z.number().int().min(1).default(5),
    baseEjectionMs: z.number().int().positive().default(30_000),
    maxEjectionMs: z.number().int().positive().default(300_000),
    maxEjectedShare: z.number().min(0).max(1).default(0.5),
    degradedSuccessRate: z.number().min(0).max(1).default(0.9),
    degradedLatencyMs: z.number().positive().optional(),
    window: z.number().int().min(10).max(100_000).default(100),
    minVolume: z.number().int().min(1).default(10),
    hideUnhealthy: z.boolean().default(false),
    isFailure: fn<(error: unknown) => boolean>('a function (error) => boolean').optional(),
    random: fn<() => number>('a function returning a number in [0, 1)').optional(),
    now: fn<() => number>('a function returning epoch ms').optional(),
  })
  .strict();

/**
 * Options of {@link health}.
 *
 * | option | default | |
 * |---|---|---|
 * | `probes` | `true` | `false`, or `{ intervalMs: 10000, jitter: 0.2, timeoutMs: 5000, healthyThreshold: 2, unhealthyThreshold: 3, target: 'ping', servers: {} }` |
 * | `consecutiveFailures` | `5` | failed calls in a row that eject an upstream |
 * | `baseEjectionMs` | `30000` | first ejection time; the n-th ejection lasts n times this |
 * | `maxEjectionMs` | `300000` | cap on one ejection |
 * | `maxEjectedShare` | `0.5` | most of a server's replicas passive detection may eject (at least one) |
 * | `degradedSuccessRate` | `0.9` | below this success rate (over `window` calls, `minVolume` at least) an upstream is DEGRADED |
 * | `degradedLatencyMs` | none | p95 above this is DEGRADED |
 * | `hideUnhealthy` | `false` | hide a server's tools while every upstream of it is UNHEALTHY |
 */
export type HealthOptions = z.input<typeof healthOptionsSchema>;

/** Options after defaults. */
export type ResolvedHealthOptions = z.output<typeof healthOptionsSchema>;

/** Probe settings after defaults. */
export type ProbeSettings = z.output<typeof probeSchema>;

/** A probe: `ping`, a tool call, or none. */
export type ProbeTarget = z.output<typeof probeTarget>;

/** Probe defaults, for `probes: true`. */
export const PROBE_DEFAULTS: ProbeSettings = probeSchema.parse({});
