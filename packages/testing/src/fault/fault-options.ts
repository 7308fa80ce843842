import type { ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { FaultLedger } from './fault-ledger.js';
import type { Random } from './rng.js';
import { annotationsSchema } from '../options.js';
import { FAULT_KINDS, type FaultKind } from './fault-kinds.js';

export { FAULT_KINDS, type FaultKind } from './fault-kinds.js';

/** One scripted step: a kind, or a kind with its parameters. */
export type FaultStep =
  | FaultKind
  | {
      kind: FaultKind;
      /** `delay`: how long, ms. */
      ms?: number;
      /** `retry-after`: the delay the server asks for, ms (default `retryAfterMs` of the server). */
      retryAfterMs?: number;
      /** `retry-after` over HTTP: `429` (default) or `503`. */
      status?: 429 | 503;
      /** `error`: the JSON-RPC code (default `-32603`). */
      code?: number;
      /** `error` / `is-error`: the message. */
      message?: string;
    };

/** Probability of each fault per request (each in [0, 1], summing to at most 1); the rest is `ok`. */
export type FaultRates = Partial<Record<Exclude<FaultKind, 'ok' | 'delay'>, number>>;

/**
 * A fault plan: a script played first, one step per request, then random faults at `rates`.
 *
 * @example
 * { script: ['drop-before', 'ok'], rates: { error: 0.1 } } // 1st request dropped, 2nd ok, then 10% errors
 */
export interface FaultPlan {
  /** Steps applied to the next requests, in order (one step per request). */
  script?: readonly FaultStep[];
  /** Random faults once the script is used up. */
  rates?: FaultRates;
}

/**
 * Latency with a heavy tail, added to requests that execute (`ok`): with probability `rate`, a
 * delay of `baseMs + scaleMs / u^(1/alpha)` (a Pareto tail; smaller `alpha`, heavier tail), capped at `maxMs`.
 */
export interface LatencyOptions {
  /** Share of requests delayed. Default 1. */
  rate?: number;
  /** Fixed part, ms. Default 0. */
  baseMs?: number;
  /** Scale of the Pareto part, ms (its minimum). Default 1. */
  scaleMs?: number;
  /** Tail index; 1.1 is very heavy, 3 is mild. Default 1.5. */
  alpha?: number;
  /** Cap, ms. Default 10_000. */
  maxMs?: number;
}

/** Options of the fault server. Everything except `random` and `ledger` is JSON, so it can cross to a child process. */
export interface FaultServerOptions {
  /** Server name in `initialize`. Default `'fault-server'`. */
  name?: string;
  /** Server version in `initialize`. Default `'1.0.0'`. */
  version?: string;
  /**
   * The tools, by name, with their annotations. Every tool takes `{ key?: string, text?: string }`,
   * records one execution of `key` in the ledger and returns text JSON `{ tool, key, execution, server }`.
   * Default: `lookup` (`readOnlyHint`), `upsert` (`idempotentHint`), `create` (`destructiveHint`, neither read-only nor idempotent).
   */
  tools?: Readonly<Record<string, ToolAnnotations>>;
  /** Seed of the fault RNG. Default 1. */
  seed?: number;
  /** Your own RNG in [0, 1) (replaces `seed`). In-process only. */
  random?: Random;
  /** The fault plan for every tool. Default: no faults. */
  faults?: FaultPlan;
  /** Per-tool plans; a tool listed here uses its own plan (and script position) instead of `faults`. */
  toolFaults?: Readonly<Record<string, FaultPlan>>;
  /** Methods faults apply to. Default `['tools/call']`; e.g. add `'tools/list'`, `'ping'`, `'resources/read'`. */
  methods?: readonly string[];
  /** Heavy-tailed latency on requests that execute. Default none. */
  latency?: LatencyOptions;
  /** Delay before the server answers `initialize`, ms. Default 0. */
  startDelayMs?: number;
  /** Default `retry-after` delay, ms. Default 1000. */
  retryAfterMs?: number;
  /** stdio only: non-JSON lines written to stdout before connecting, and before each faulted-method request. */
  stdoutGarbage?: { atStart?: number; perCall?: number };
  /** stdio only: bytes of noise written to stderr at start, and per faulted-method request. */
  stderrFlood?: { atStartBytes?: number; perCallBytes?: number };
  /**
   * A file the ledger is written to (JSON, synchronously, after every change): the way to read
   * the ledger of a child process, even after it crashed. Read it with `readFaultLedgerFile`.
   */
  ledgerFile?: string;
  /** Record into this ledger (to share one between servers). In-process only. */
  ledger?: FaultLedger;
}

const unit = z.number().min(0).max(1);
const kindSchema = z.enum(FAULT_KINDS);
const stepSchema = z.union([
  kindSchema,
  z
    .object({
      kind: kindSchema,
      ms: z.number().int().min(0).optional(),
      retryAfterMs: z.number().int().min(0).optional(),
      status: z.union([z.literal(429), z.literal(503)]).optional(),
      code: z.number().int().optional(),
      message: z.string().optional(),
    })
    .strict(),
]);
const ratesSchema = z
  .object({
    'drop-before': unit.optional(),
    'drop-after': unit.optional(),
    crash: unit.optional(),
    error: unit.optional(),
    'is-error': unit.optional(),
    hang: unit.optional(),
    'retry-after': unit.optional(),
    'session-expired': unit.optional(),
  })
  .strict()
  .refine((r) => Object.values(r).reduce((a, b) => a + (b ?? 0), 0) <= 1 + 1e-9, 'the rates must sum to at most 1');
/** Validates one fault plan. */
export const planSchema = z.object({ script: z.array(stepSchema).optional(), rates: ratesSchema.optional() }).strict();

/** Validates fault server options; strict, so a misspelt option fails loudly. */
export const faultServerOptionsSchema = z
  .object({
    name: z.string().min(1).optional(),
    version: z.string().min(1).optional(),
    tools: z
      .record(z.string().regex(/^[a-zA-Z0-9_.-]{1,128}$/, 'tool names must match ^[a-zA-Z0-9_.-]{1,128}$'), annotationsSchema)
      .optional(),
    seed: z.number().int().optional(),
    random: z.function().optional(),
    faults: planSchema.optional(),
    toolFaults: z.record(z.string(), planSchema).optional(),
    methods: z.array(z.string().min(1)).optional(),
    latency: z
      .object({
        rate: unit.optional(),
        baseMs: z.number().min(0).optional(),
        scaleMs: z.number().min(0).optional(),
        alpha: z.number().positive().optional(),
        maxMs: z.number().min(0).optional(),
      })
      .strict()
      .optional(),
    startDelayMs: z.number().int().min(0).optional(),
    retryAfterMs: z.number().int().min(0).optional(),
    stdoutGarbage: z
      .object({ atStart: z.number().int().min(0).optional(), perCall: z.number().int().min(0).optional() })
      .strict()
      .optional(),
    stderrFlood: z
      .object({ atStartBytes: z.number().int().min(0).optional(), perCallBytes: z.number().int().min(0).optional() })
      .strict()
      .optional(),
    ledgerFile: z.string().min(1).optional(),
    ledger: z
      .custom<FaultLedger>(
        (v) => typeof v === 'object' && v !== null && typeof (v as FaultLedger).executions === 'function',
        'expected a FaultLedger',
      )
      .optional(),
  })
  .strict();

/** The default tools: one of each kind of safety. */
export const DEFAULT_FAULT_TOOLS: Readonly<Record<string, ToolAnnotations>> = {
  lookup: { readOnlyHint: true },
  upsert: { idempotentHint: true, destructiveHint: false, readOnlyHint: false },
  create: { destructiveHint: true, idempotentHint: false, readOnlyHint: false },
};

/** The tool that reads the ledger; never faulted, never counted. */
export const LEDGER_TOOL = 'fault_ledger';

/**
 * Validates options.
 * @throws TypeError naming every bad field.
 */
export function validateFaultServerOptions(options: FaultServerOptions): void {
  const parsed = faultServerOptionsSchema.safeParse(options);
  if (parsed.success) return;
  const issues = parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`);
  throw new TypeError(`[mcp-bridge] [@mcp-bridge/testing] invalid fault server options: ${issues.join('; ')}`);
}
