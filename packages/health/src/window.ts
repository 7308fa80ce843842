/** The last `size` call outcomes and latencies of one upstream. */
export class OutcomeWindow {
  readonly #ok: Uint8Array;
  readonly #ms: Float64Array;
  #count = 0;
  #next = 0;
  #failures = 0;

  constructor(size: number) {
    this.#ok = new Uint8Array(size);
    this.#ms = new Float64Array(size);
  }

  get count(): number {
    return this.#count;
  }

  add(ok: boolean, ms: number): void {
    if (this.#count === this.#ok.length && this.#ok[this.#next] === 0) this.#failures--;
    this.#ok[this.#next] = ok ? 1 : 0;
    this.#ms[this.#next] = ms;
    if (!ok) this.#failures++;
    this.#next = (this.#next + 1) % this.#ok.length;
    if (this.#count < this.#ok.length) this.#count++;
  }

  /** Share of successes, 1 with no calls. */
  successRate(): number {
    return this.#count === 0 ? 1 : (this.#count - this.#failures) / this.#count;
  }

  /** Latency quantiles (ms) of the calls in the window, `undefined` with no calls. */
  latency(): { p50: number; p95: number; p99: number } | undefined {
    if (this.#count === 0) return undefined;
    const sorted = this.#ms.slice(0, this.#count).sort();
    const q = (p: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
    return { p50: q(0.5), p95: q(0.95), p99: q(0.99) };
  }
}
