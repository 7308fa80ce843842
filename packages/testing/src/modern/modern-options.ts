import { z } from 'zod';
import type { FaultKind, FaultPlan } from '../fault/fault-options.js';
import { planSchema } from '../fault/fault-options.js';
import { resolveTestServerOptions, testServerOptionsSchema, type ResolvedTestServerOptions, type TestServerOptions } from '../options.js';

/**
 * Which protocol eras a modern test server speaks: `dual` answers 2025-era `initialize` (over HTTP
 * statelessly, a fresh instance per request, as upgraded v2 servers do) and 2026-07-28
 * `server/discover`; `modern-only` rejects 2025-era requests with `-32022` (unsupported protocol version).
 */
export type ModernEra = 'dual' | 'modern-only';

/** The cacheable 2026-07-28 operations (SEP-2549). */
export const CACHEABLE_METHODS = [
  'tools/list',
  'prompts/list',
  'resources/list',
  'resources/templates/list',
  'resources/read',
  'server/discover',
] as const;

/** One of {@link CACHEABLE_METHODS}. */
export type CacheableMethod = (typeof CACHEABLE_METHODS)[number];

/** A cache hint (SEP-2549): how long, and for whom, a result may be cached. */
export interface ModernCacheHint {
  /** Non-negative integer, ms. */
  ttlMs?: number;
  cacheScope?: 'public' | 'private';
}

/**
 * Cache hints of a modern test server: per operation, or `'invalid'`, which puts `ttlMs: -1` and
 * `cacheScope: 'shared'` (neither is valid) on every cacheable result, for the conservative-handling tests.
 * Operations without a hint get the SDK's conservative `{ ttlMs: 0, cacheScope: 'private' }`.
 */
export type ModernCacheHints = Partial<Record<CacheableMethod, ModernCacheHint>> | 'invalid';

/** Fault kinds the modern test server can apply (the others need a 2025-era session or a process to kill). */
export const MODERN_FAULT_KINDS = [
  'ok',
  'delay',
  'drop-before',
  'drop-after',
  'error',
  'is-error',
  'hang',
] as const satisfies readonly FaultKind[];

/** Options of {@link createModernTestServer}: the test server's options plus the modern knobs. */
export interface ModernTestServerOptions extends TestServerOptions {
  /** Default `'dual'`. */
  era?: ModernEra;
  /** Default: none (the SDK's conservative `ttlMs: 0`, `private`). */
  cacheHints?: ModernCacheHints;
  /**
   * The fault plan for `tools/call` (the fault server's vocabulary, kinds in {@link MODERN_FAULT_KINDS}).
   * `drop-before` breaks the response stream before the tool runs (never executed), `drop-after`
   * lets the tool run (the ledger counts it) and breaks the stream before the answer. Over HTTP
   * the request's socket is destroyed; over stdio the process exits (code 0).
   */
  faults?: FaultPlan;
  /** Per-tool fault plans (by full tool name); a tool listed here uses its own plan instead of `faults`. */
  toolFaults?: Readonly<Record<string, FaultPlan>>;
  /** Seed of the fault RNG (for `rates`). Default 1. */
  seed?: number;
  /**
   * Write the fault ledger (received / executed / cancelled per call key) to this file after every
   * change: how to read it from a stdio child, even one that exited on a `drop-*` fault. Read it
   * with `readFaultLedgerFile`.
   */
  ledgerFile?: string;
  /**
   * Offer the SEP-2663 tasks extension (`io.modelcontextprotocol/tasks`) to 2026-07-28 callers, with
   * the conformance suite's fixture tools (`greet`, `slow_compute`, `failing_job`, `protocol_error_job`,
   * `confirm_delete`, `multi_input`) and `tasks/get`, `tasks/update`, `tasks/cancel`. `true` or the
   * timing of the tasks (defaults: `ttlMs` 60000, `pollIntervalMs` 50). Default: off.
   */
  tasks?: boolean | { ttlMs?: number; pollIntervalMs?: number };
}

const cacheHintSchema = z
  .object({ ttlMs: z.number().int().min(0).optional(), cacheScope: z.enum(['public', 'private']).optional() })
  .strict();
const modernPlanSchema = planSchema.refine(
  (plan) =>
    (plan.script ?? []).every((step) => (MODERN_FAULT_KINDS as readonly string[]).includes(typeof step === 'string' ? step : step.kind)) &&
    Object.keys(plan.rates ?? {}).every((kind) => (MODERN_FAULT_KINDS as readonly string[]).includes(kind)),
  `the modern test server supports only these fault kinds: ${MODERN_FAULT_KINDS.join(', ')}`,
);

/** Validates modern test server options; strict, so a misspelt option fails loudly. */
export const modernTestServerOptionsSchema = testServerOptionsSchema.extend({
  era: z.enum(['dual', 'modern-only']).optional(),
  cacheHints: z.union([z.literal('invalid'), z.partialRecord(z.enum(CACHEABLE_METHODS), cacheHintSchema)]).optional(),
  faults: modernPlanSchema.optional(),
  toolFaults: z.record(z.string(), modernPlanSchema).optional(),
  seed: z.number().int().optional(),
  ledgerFile: z.string().min(1).optional(),
  tasks: z
    .union([
      z.boolean(),
      z.object({ ttlMs: z.number().int().positive().optional(), pollIntervalMs: z.number().int().positive().optional() }).strict(),
    ])
    .optional(),
});

/** Options after validation, with every default filled in. */
export interface ResolvedModernOptions extends ResolvedTestServerOptions {
  era: ModernEra;
  cacheHints: ModernCacheHints;
  faults: FaultPlan;
  toolFaults: Readonly<Record<string, FaultPlan>>;
  seed: number;
  ledgerFile: string | undefined;
  /** Undefined: no tasks extension. */
  tasks: { ttlMs: number; pollIntervalMs: number } | undefined;
}

/**
 * Validates and fills in defaults.
 * @throws TypeError naming every bad field.
 */
export function resolveModernOptions(options: ModernTestServerOptions = {}): ResolvedModernOptions {
  const parsed = modernTestServerOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new TypeError(`[mcp-bridge] [@mcp-bridge/testing] invalid modern test server options: ${issues.join('; ')}`);
  }
  const { era, cacheHints, faults, toolFaults, seed, ledgerFile, tasks, ...base } = options;
  return {
    ...resolveTestServerOptions(base),
    era: era ?? 'dual',
    cacheHints: cacheHints ?? {},
    faults: faults ?? {},
    toolFaults: toolFaults ?? {},
    seed: seed ?? 1,
    ledgerFile,
    tasks: tasks === undefined || tasks === false ? undefined : { ttlMs: 60_000, pollIntervalMs: 50, ...(tasks === true ? {} : tasks) },
  };
}
