import type { EventEmitter } from 'node:events';
import CircuitBreaker from 'opossum';
import { CircuitOpenError, TimeoutError, type CallContext, type Next, type Upstream } from '@mcp-bridge/core';
import { isAnswer, isUpstreamFailure } from './classify.js';
import type { ResolvedBreakerOptions } from './options.js';

/** State of one upstream's breaker. */
export type BreakerState = 'closed' | 'open' | 'half-open';

/** Why a breaker opened. */
export type OpenReason = 'error-rate' | 'consecutive' | 'probe-failed' | 'probe-timeout';

/** What the plugin hears from a breaker. */
export interface BreakerListener {
  open(upstream: Upstream, openMs: number, reason: OpenReason): void;
  halfOpen(upstream: Upstream, probes: number): void;
  close(upstream: Upstream): void;
}

/** A JSON view of a breaker, for reports and tests. */
export interface BreakerSnapshot {
  upstream: string;
  state: BreakerState;
  /** Times it opened since it was last closed (drives the growing open time). */
  reopens: number;
  /** Consecutive failures counted while closed. */
  consecutiveFailures: number;
  /** Calls and failures in the rolling window (opossum's counters). */
  window: { calls: number; failures: number };
}

type Action = (next: Next) => Promise<unknown>;
const run: Action = (next) => next();

interface OpossumStatus {
  increment(property: 'fires' | 'failures'): void;
  rotateBucket(): void;
}

/**
 * The circuit breaker of one upstream: opossum keeps the rolling window (its `Status`), the state
 * and the open → half-open timer, and emits the transitions; this class adds what opossum cannot say:
 * - a minimum volume for both modes (opossum's `volumeThreshold`, never its default of 0),
 * - a consecutive-failure mode next to opossum's error-rate mode,
 * - an open time that grows with each re-open, with jitter and a cap (set on opossum's
 *   `resetTimeout` just before opossum arms its timer),
 * - exactly k half-open probes, each with a hard timeout: opossum lets one call through and has
 *   only one timeout for every call (a timer per call on the success path). Probes therefore run
 *   here, and opossum's state is driven with `open()` / `close()`.
 *
 * Closed-state calls do not go through opossum's `fire()`: it costs about 3 µs per call (three
 * promises, two event emits, a latency array) — more than this package's whole budget on the
 * success path (15% of a ~15 µs in-memory call). They count into opossum's window directly, and
 * the open decision (minimum volume, error rate, consecutive failures) is taken on failures only.
 */
export class UpstreamBreaker {
  readonly upstream: Upstream;
  readonly #cb: CircuitBreaker<[Next], unknown>;
  readonly #status: OpossumStatus;
  /** Mirrors opossum's closed state, read on every call. */
  #closed = true;
  readonly #onSuccess = (result: unknown): unknown => {
    this.#consecutive = 0;
    return result;
  };
  readonly #options: ResolvedBreakerOptions;
  readonly #listener: BreakerListener;
  readonly #random: () => number;
  #consecutive = 0;
  #reopens = 0;
  #openReason: OpenReason = 'error-rate';
  /** Bumped on every transition, so a late probe result of an older half-open is ignored. */
  #generation = 0;
  #probesStarted = 0;
  #probesPassed = 0;

  constructor(upstream: Upstream, options: ResolvedBreakerOptions, rotate: EventEmitter, listener: BreakerListener, random: () => number) {
    this.upstream = upstream;
    this.#options = options;
    this.#listener = listener;
    this.#random = random;
    this.#cb = new CircuitBreaker<[Next], unknown>(run, {
      name: upstream.id,
      // No per-call timer: attempt time limits are the terminal's; probes have their own below.
      timeout: false,
      volumeThreshold: options.minVolume,
      // Decided in #failed (opossum's own check only runs inside fire(), which is not used).
      errorThresholdPercentage: 100,
      rollingCountTimeout: options.windowMs,
      rollingCountBuckets: options.windowBuckets,
      resetTimeout: options.openMs,
      rollingPercentilesEnabled: false,
      enableSnapshots: false,
      // One shared rotation timer for every breaker instead of one interval each.
      rotateBucketController: rotate,
    });
    this.#status = this.#cb.status as unknown as OpossumStatus;
    // Runs before opossum's own 'open' listener arms the reset timer, so the timer uses this open time.
    this.#cb.prependListener('open', () => {
      const ms = this.#nextOpenMs();
      (this.#cb as unknown as { options: { resetTimeout: number } }).options.resetTimeout = ms;
      this.#closed = false;
      this.#generation++;
      this.#reopens++;
      this.#listener.open(this.upstream, ms, this.#openReason);
    });
    this.#cb.on('halfOpen', () => {
      this.#generation++;
      this.#probesStarted = 0;
      this.#probesPassed = 0;
      this.#listener.halfOpen(this.upstream, this.#options.halfOpenProbes);
    });
    this.#cb.on('close', () => {
      this.#closed = true;
      this.#generation++;
      this.#reopens = 0;
      this.#consecutive = 0;
      // A closed breaker starts from a clean window: the failures that opened it are history.
      for (let i = 0; i < options.windowBuckets; i++) this.#status.rotateBucket();
      this.#listener.close(this.upstream);
    });
  }

  get state(): BreakerState {
    return this.#cb.closed ? 'closed' : this.#cb.halfOpen ? 'half-open' : 'open';
  }

  snapshot(): BreakerSnapshot {
    const stats = this.#cb.stats;
    return {
      upstream: this.upstream.id,
      state: this.state,
      reopens: this.#reopens,
      consecutiveFailures: this.#consecutive,
      window: { calls: stats.fires, failures: stats.failures },
    };
  }

  /** Runs one attempt through the breaker. */
  call(ctx: CallContext, next: Next): Promise<unknown> {
    if (this.#closed) {
      this.#status.increment('fires');
      return next().then(this.#onSuccess, (error: unknown) => this.#failed(error, ctx));
    }
    if (this.#cb.halfOpen && this.#probesStarted < this.#options.halfOpenProbes) return this.#probe(ctx, next);
    return Promise.reject(
      new CircuitOpenError(`circuit open for upstream "${this.upstream.id}" of server "${this.upstream.server}"`, {
        plugin: '@mcp-bridge/retry',
        data: { server: this.upstream.server, upstream: this.upstream.id, state: this.state, sent: false },
      }),
    );
  }

  /** Stops opossum's timers. */
  shutdown(): void {
    this.#cb.shutdown();
  }

  /** A closed-state failure: count it, and open when the window says so. */
  #failed(error: unknown, ctx: CallContext): never {
    if (!isUpstreamFailure(error, ctx)) {
      // The upstream answered (a semantic error): alive, the streak ends. A failure that says
      // nothing about it (the caller gave up, the request never left the bridge) leaves the streak as it was.
      if (isAnswer(error, ctx)) this.#consecutive = 0;
      throw error;
    }
    this.#consecutive++;
    this.#status.increment('failures');
    if (!this.#closed) throw error;
    const o = this.#options;
    const { fires, failures } = this.#cb.stats;
    // Never below the minimum volume, whichever mode would trip.
    if (fires < o.minVolume) throw error;
    if (o.consecutiveFailures !== false && this.#consecutive >= o.consecutiveFailures) {
      this.#openReason = 'consecutive';
      this.#cb.open();
    } else if (o.errorRate !== false && failures / fires > o.errorRate) {
      this.#openReason = 'error-rate';
      this.#cb.open();
    }
    throw error;
  }

  #probe(ctx: CallContext, next: Next): Promise<unknown> {
    this.#probesStarted++;
    const generation = this.#generation;
    const limit = this.#options.probeTimeoutMs;
    const previous = ctx.attemptTimeout;
    // The terminal cancels the upstream request at this limit too (notifications/cancelled).
    if (previous === undefined || previous > limit) ctx.attemptTimeout = limit;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        if (generation === this.#generation) {
          this.#openReason = 'probe-timeout';
          this.#cb.open();
        }
        reject(
          new TimeoutError(`half-open probe of upstream "${this.upstream.id}" took longer than ${limit} ms`, {
            plugin: '@mcp-bridge/retry',
            data: { server: this.upstream.server, upstream: this.upstream.id, timeoutMs: limit },
          }),
        );
      }, limit);
    });
    const attempt = next().then(
      (result) => {
        if (generation === this.#generation && ++this.#probesPassed >= this.#options.halfOpenProbes) this.#cb.close();
        return result;
      },
      (error: unknown) => {
        if (generation === this.#generation && !isUpstreamFailure(error, ctx) && !isAnswer(error, ctx)) {
          // The caller gave up, or the probe never reached the upstream (a connect or a free slot
          // it waited for in vain, the bulkhead's refusal): it says nothing; another call takes its place.
          this.#probesStarted--;
        } else if (generation === this.#generation) {
          if (isUpstreamFailure(error, ctx)) {
            this.#openReason = 'probe-failed';
            this.#cb.open();
          } else if (++this.#probesPassed >= this.#options.halfOpenProbes) {
            // The upstream answered (a semantic error): it is alive.
            this.#cb.close();
          }
        }
        throw error;
      },
    );
    return Promise.race([attempt, timeout]).finally(() => {
      clearTimeout(timer);
      ctx.attemptTimeout = previous;
    });
  }

  #nextOpenMs(): number {
    const o = this.#options;
    const base = Math.min(o.maxOpenMs, o.openMs * o.openMultiplier ** this.#reopens);
    const jittered = base * (1 - o.openJitter + 2 * o.openJitter * this.#random());
    return Math.max(1, Math.round(Math.min(o.maxOpenMs, jittered)));
  }
}
