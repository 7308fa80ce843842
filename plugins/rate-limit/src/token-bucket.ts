/**
 * A token bucket: holds up to `capacity` tokens, refilled continuously at `limit` per `intervalMs`.
 * Time is passed in (no timers, no clock of its own), so it is exact under fake clocks and free
 * to keep: an idle bucket costs nothing.
 */
export class TokenBucket {
  #tokens: number;
  #updatedAt: number;

  constructor(
    readonly limit: number,
    readonly intervalMs: number,
    readonly capacity: number,
    now: number,
  ) {
    this.#tokens = capacity;
    this.#updatedAt = now;
  }

  #refill(now: number): void {
    // A clock that went backwards (a fake clock reset) must not drain the bucket.
    const elapsed = Math.max(0, now - this.#updatedAt);
    this.#tokens = Math.min(this.capacity, this.#tokens + (elapsed * this.limit) / this.intervalMs);
    this.#updatedAt = now;
  }

  /** 0 when a token is available now, else the ms until one is. Takes nothing. */
  waitMs(now: number): number {
    this.#refill(now);
    if (this.#tokens >= 1) return 0;
    // Float refills leave crumbs (1.0000000000000009 ms): round them off before rounding up.
    return Math.max(1, Math.ceil(((1 - this.#tokens) * this.intervalMs) / this.limit - 1e-6));
  }

  /** Takes one token; call only after `waitMs(now) === 0`. */
  take(now: number): void {
    this.#refill(now);
    this.#tokens -= 1;
  }

  /** True when the bucket is full: forgetting it changes nothing. */
  full(now: number): boolean {
    this.#refill(now);
    return this.#tokens >= this.capacity;
  }

  /** Tokens left now (for reports). */
  remaining(now: number): number {
    this.#refill(now);
    return Math.floor(this.#tokens);
  }
}
