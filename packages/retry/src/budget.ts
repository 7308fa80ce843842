const BUCKETS = 10;

/**
 * A retry budget (Finagle's idea): retries may add at most `ratio` of the calls seen in the last
 * `windowMs`, plus `minRetries` per window so a quiet server can still retry. Counted in
 * `BUCKETS` time buckets, so the window slides without keeping one record per call.
 * A dead upstream then sees about `1 + ratio` times the offered load, not `attempts` times.
 */
export class RetryBudget {
  readonly #ratio: number;
  readonly #minRetries: number;
  readonly #bucketMs: number;
  readonly #calls = new Float64Array(BUCKETS);
  readonly #retries = new Float64Array(BUCKETS);
  /** Index (in bucket units since the epoch) of the newest bucket. */
  #head = 0;

  constructor(options: { ratio: number; minRetries: number; windowMs: number }) {
    this.#ratio = options.ratio;
    this.#minRetries = options.minRetries;
    this.#bucketMs = Math.max(1, options.windowMs / BUCKETS);
  }

  /** Counts a call (its first attempt). */
  deposit(now: number): void {
    this.#calls[this.#advance(now)]!++;
  }

  /** Takes one retry from the budget; false when the budget is spent. */
  tryWithdraw(now: number): boolean {
    const slot = this.#advance(now);
    let calls = 0;
    let retries = 0;
    for (let i = 0; i < BUCKETS; i++) {
      calls += this.#calls[i]!;
      retries += this.#retries[i]!;
    }
    if (retries + 1 > this.#minRetries + this.#ratio * calls) return false;
    this.#retries[slot]!++;
    return true;
  }

  /** Calls and retries in the current window. */
  snapshot(now: number): { calls: number; retries: number } {
    this.#advance(now);
    let calls = 0;
    let retries = 0;
    for (let i = 0; i < BUCKETS; i++) {
      calls += this.#calls[i]!;
      retries += this.#retries[i]!;
    }
    return { calls, retries };
  }

  /** Moves the window to `now`, clearing buckets that fell out; returns the current bucket's slot. */
  #advance(now: number): number {
    const index = Math.floor(now / this.#bucketMs);
    if (index !== this.#head) {
      const steps = Math.min(BUCKETS, Math.max(0, index - this.#head));
      for (let i = 1; i <= steps; i++) {
        const slot = (this.#head + i) % BUCKETS;
        this.#calls[slot] = 0;
        this.#retries[slot] = 0;
      }
      // A clock that went back (tests, NTP) keeps the newest bucket rather than corrupting the ring.
      if (index > this.#head) this.#head = index;
    }
    return this.#head % BUCKETS;
  }
}
