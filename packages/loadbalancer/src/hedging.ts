import type { CallContext, Middleware, Upstream } from '@mcp-bridge/core';
import { LatencyWindow } from './latency-window.js';
import type { Clock } from './pickers/picker.js';

/** Hedging settings after defaults. */
export interface HedgingSettings {
  /** Start the second attempt after this quantile of the live latency (default 0.95). */
  percentile: number;
  /** A fixed delay in ms instead of the live quantile. */
  delayMs?: number | undefined;
  /** Latencies needed before hedging starts (default 20). */
  minSamples: number;
  /** Extra attempts allowed per call, on average (default 0.05: at most 5% more calls, plus `burst`). */
  budget: number;
  /** Hedges that may be spent at once before the budget refills (default 10). */
  burst: number;
  /** Latencies kept per tool (default 1000). */
  window: number;
}

/** Hedging counters. */
export interface HedgingCounters {
  /** Calls eligible for hedging. */
  calls: number;
  /** Second attempts started. */
  hedges: number;
  /** Calls the second attempt answered first. */
  hedgeWins: number;
  /** Hedges not started because the budget was spent. */
  budgetDenied: number;
}

/** Why the loser of a hedged pair is cancelled; the upstream receives `notifications/cancelled`. */
export class HedgeLostError extends Error {
  constructor() {
    super('another replica answered first (hedged call)');
    this.name = 'HedgeLostError';
  }
}

/**
 * Hedged requests ("The Tail at Scale", Dean and Barroso 2013) as a `route`-phase middleware: the
 * call's first attempt runs on a derived context; when it has not answered after the tool's live
 * p95, a second attempt runs on another replica (`ctx.tried` is shared, so the balancer skips the
 * first). The first answer wins and the other attempt is aborted, which makes the SDK send
 * `notifications/cancelled` to its upstream. Only read-only tools of trusted servers are hedged:
 * the loser may have run too. A token budget bounds the extra load.
 */
export function hedgingMiddleware(
  settings: HedgingSettings,
  counters: HedgingCounters,
  now: Clock,
  onHedge: (ctx: CallContext, delayMs: number) => void,
  upstreams: (server: string) => readonly Upstream[],
): Middleware {
  const windows = new Map<string, Latencies>();
  let tokens = settings.burst;
  const hedger: Hedger = {
    counters,
    now,
    onHedge,
    take: () => {
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
  };

  const windowOf = (ctx: CallContext): Latencies => {
    const key = `${ctx.server}\u0000${String(ctx.params.name)}`;
    let w = windows.get(key);
    if (!w) windows.set(key, (w = new Latencies(settings.window)));
    return w;
  };

  return {
    name: '@mcp-bridge/loadbalancer:hedging',
    phase: 'route',
    methods: ['tools/call'],
    async handle(ctx, next) {
      // Pinned already (a health probe aimed at one replica), or not safe to run twice.
      if (ctx.upstream !== undefined || !hedgeable(ctx, upstreams)) return next();
      counters.calls++;
      tokens = Math.min(settings.burst, tokens + settings.budget);
      const window = windowOf(ctx);
      const delay = settings.delayMs ?? window.delay(settings.percentile, settings.minSamples);
      if (delay === undefined) {
        const started = now();
        const result = await next();
        window.add(now() - started);
        return result;
      }
      return race(hedger, ctx, next, delay, window);
    },
  };
}

/** What a hedged race shares with its middleware: counters, the clock and the hedge budget. */
interface Hedger {
  readonly counters: HedgingCounters;
  readonly now: Clock;
  readonly onHedge: (ctx: CallContext, delayMs: number) => void;
  /** Takes one hedge from the budget; false when it is spent. */
  take(): boolean;
}

/**
 * Runs the first attempt and, when it has not answered after `delay`, a second one (budget
 * allowing); the first answer wins and the other attempt is aborted.
 */
function race(
  h: Hedger,
  ctx: CallContext,
  next: (ctx?: CallContext) => Promise<unknown>,
  delay: number,
  window: Latencies,
): Promise<unknown> {
  const { counters, now } = h;
  return new Promise((resolve, reject) => {
    let settled = false;
    let running = 0;
    let hedgePending = true;
    let firstError: unknown;
    const attempts: { ctx: CallContext; controller: AbortController; started: number }[] = [];

    const launch = (): void => {
      const controller = new AbortController();
      const signal = ctx.signal ? AbortSignal.any([ctx.signal, controller.signal]) : controller.signal;
      const derived: CallContext = { ...ctx, upstream: undefined, signal };
      const attempt = { ctx: derived, controller, started: now() };
      attempts.push(attempt);
      running++;
      next(derived).then(
        (value) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          const elapsed = now() - attempt.started;
          window.add(elapsed);
          for (const other of attempts) {
            if (other === attempt) continue;
            // The loser's latency is at least this: keep it, so the tail stays visible once hedging hides it.
            window.censored(now() - other.started);
            other.controller.abort(new HedgeLostError());
          }
          if (attempts.indexOf(attempt) > 0) counters.hedgeWins++;
          ctx.upstream = derived.upstream;
          resolve(value);
        },
        (error: unknown) => {
          running--;
          firstError ??= error;
          if (settled) return;
          // Fail only when nothing else can still answer.
          if (running === 0 && !hedgePending) {
            settled = true;
            ctx.upstream = derived.upstream;
            reject(firstError);
          } else if (running === 0) {
            // The first attempt failed before the hedge was due: no hedge, the error goes up
            // (a retry plugin above decides what happens next).
            settled = true;
            clearTimeout(timer);
            ctx.upstream = derived.upstream;
            reject(error);
          }
        },
      );
    };

    const timer = setTimeout(
      () => {
        hedgePending = false;
        if (settled) return;
        if (!h.take()) {
          counters.budgetDenied++;
          if (running === 0) {
            settled = true;
            reject(firstError);
          }
          return;
        }
        counters.hedges++;
        h.onHedge(ctx, delay);
        launch();
        // Strictly after the quantile: timers have 1 ms resolution, and an attempt that takes exactly
        // the p95 is not late.
      },
      Math.floor(delay) + 1,
    );
    launch();
  });
}

/** A read-only tool of a trusted server (the catalog's `safety`, one rule for all replicas) with more than one replica. */
function hedgeable(ctx: CallContext, upstreams: (server: string) => readonly Upstream[]): boolean {
  return ctx.tool?.safety.readOnly === true && upstreams(ctx.server).length > 1;
}

/**
 * The latencies of one tool. `all` holds every answer plus, for cancelled losers, the time they had
 * run (a lower bound of their latency); `answered` holds answers only. The hedge delay is the
 * quantile of `all`, capped at twice the quantile of `answered`: when the slow share is close to
 * 1 - percentile (5% slow at p95) the quantile of `all` sits on the censored losers, which were
 * cancelled just after the previous delay, so without the cap it would creep up into the slow mode.
 */
class Latencies {
  readonly #all: LatencyWindow;
  readonly #answered: LatencyWindow;

  constructor(size: number) {
    this.#all = new LatencyWindow(size);
    this.#answered = new LatencyWindow(size);
  }

  add(ms: number): void {
    this.#all.add(ms);
    this.#answered.add(ms);
  }

  censored(ms: number): void {
    this.#all.add(ms);
  }

  delay(p: number, minSamples: number): number | undefined {
    if (this.#answered.count < minSamples) return undefined;
    return Math.min(this.#all.quantile(p)!, 2 * this.#answered.quantile(p)!);
  }
}
