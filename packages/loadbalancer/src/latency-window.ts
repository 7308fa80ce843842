/**
 * The last `size` latencies of something, with percentiles. Sorting a copy on demand is cheap at
 * this size, and the sorted copy is reused until `refreshEvery` new samples arrived.
 */
export class LatencyWindow {
  readonly #samples: Float64Array;
  #count = 0;
  #next = 0;
  #sorted: Float64Array | undefined;
  #sinceSort = 0;
  readonly #refreshEvery: number;

  constructor(size = 1000, refreshEvery = 16) {
    this.#samples = new Float64Array(size);
    this.#refreshEvery = refreshEvery;
  }

  /** Samples held (at most the window size). */
  get count(): number {
    return this.#count;
  }

  add(ms: number): void {
    this.#samples[this.#next] = ms;
    this.#next = (this.#next + 1) % this.#samples.length;
    if (this.#count < this.#samples.length) this.#count++;
    this.#sinceSort++;
  }

  /** The `p` quantile (0..1, nearest rank), or `undefined` with no samples. */
  quantile(p: number): number | undefined {
    if (this.#count === 0) return undefined;
    if (!this.#sorted || this.#sinceSort >= this.#refreshEvery) {
      this.#sorted = this.#samples.slice(0, this.#count).sort();
      this.#sinceSort = 0;
    }
    const sorted = this.#sorted;
    return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
  }
}
