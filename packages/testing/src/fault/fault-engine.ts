import type { FaultKind, FaultPlan, FaultRates, FaultServerOptions, FaultStep, LatencyOptions } from './fault-options.js';
import { seededRandom, type Random } from './rng.js';

/** The decision for one request. */
export interface FaultAction {
  kind: FaultKind;
  /** `delay`: ms to wait before executing. */
  ms: number;
  /** `retry-after`: ms the server asks the client to wait. */
  retryAfterMs: number;
  /** `retry-after` over HTTP. */
  status: 429 | 503;
  /** `error`: JSON-RPC code. */
  code: number;
  message: string | undefined;
}

interface PlanState {
  plan: FaultPlan;
  next: number;
}

const RATE_ORDER: readonly (keyof FaultRates)[] = [
  'drop-before',
  'drop-after',
  'crash',
  'error',
  'is-error',
  'hang',
  'retry-after',
  'session-expired',
];

/**
 * Decides, request by request, which fault to apply: the plan's script first (one step per
 * request), then random faults at its rates, then latency on what executes. Deterministic for a
 * seed and a request order. Shared by every connection of one server, so a script spans
 * reconnects (a `crash` step is followed by the next step on the new connection).
 */
export class FaultEngine {
  readonly #random: Random;
  #global: PlanState;
  #perTool = new Map<string, PlanState>();
  readonly #latency: Required<LatencyOptions> | undefined;
  readonly #retryAfterMs: number;
  readonly methods: ReadonlySet<string>;

  /**
   * @param resumeFrom requests already decided per tool (a ledger continued from a file): scripts
   * resume after them, so a stdio server respawned after a `crash` step does not crash again.
   */
  constructor(options: FaultServerOptions, resumeFrom?: (tool: string | undefined) => number) {
    this.#random = options.random ?? seededRandom(options.seed ?? 1);
    this.#global = { plan: options.faults ?? {}, next: 0 };
    for (const [tool, plan] of Object.entries(options.toolFaults ?? {})) this.#perTool.set(tool, { plan, next: resumeFrom?.(tool) ?? 0 });
    if (resumeFrom) this.#global.next = resumeFrom(undefined);
    this.#latency = options.latency ? { rate: 1, baseMs: 0, scaleMs: 1, alpha: 1.5, maxMs: 10_000, ...options.latency } : undefined;
    this.#retryAfterMs = options.retryAfterMs ?? 1000;
    this.methods = new Set(options.methods ?? ['tools/call']);
  }

  /** Replaces the plan (of one tool, or the global one); its script starts from the beginning. */
  setPlan(plan: FaultPlan, tool?: string): void {
    if (tool === undefined) this.#global = { plan, next: 0 };
    else this.#perTool.set(tool, { plan, next: 0 });
  }

  /** The action for the next request of `tool` (or method). */
  decide(tool: string): FaultAction {
    const state = this.#perTool.get(tool) ?? this.#global;
    const script = state.plan.script;
    const step: FaultStep = script && state.next < script.length ? script[state.next++]! : this.#draw(state.plan.rates);
    const action = toAction(step, this.#retryAfterMs);
    if (action.kind === 'ok' && this.#latency) {
      const ms = this.#sampleLatency(this.#latency);
      if (ms > 0) return { ...action, kind: 'delay', ms };
    }
    return action;
  }

  #draw(rates: FaultRates | undefined): FaultKind {
    if (!rates) return 'ok';
    const u = this.#random();
    let acc = 0;
    for (const kind of RATE_ORDER) {
      acc += rates[kind] ?? 0;
      if (u < acc) return kind;
    }
    return 'ok';
  }

  #sampleLatency(l: Required<LatencyOptions>): number {
    if (l.rate < 1 && this.#random() >= l.rate) return 0;
    const u = Math.max(this.#random(), 1e-12);
    return Math.min(l.maxMs, l.baseMs + l.scaleMs / u ** (1 / l.alpha));
  }
}

function toAction(step: FaultStep, retryAfterMs: number): FaultAction {
  const s = typeof step === 'string' ? { kind: step } : step;
  return {
    kind: s.kind,
    ms: s.ms ?? 0,
    retryAfterMs: s.retryAfterMs ?? retryAfterMs,
    status: s.status ?? 429,
    code: s.code ?? -32603,
    message: s.message,
  };
}
