/**
 * The counts of one histogram series, kept by hand: prom-client's `observe()` hashes and validates
 * the label set on every call (about a microsecond), a sixth of a whole in-memory call. Here a call
 * costs a short bucket search and three additions; prom-client formats the figures at scrape time.
 */
export class HistogramData {
  /** Non-cumulative counts per bucket; the last slot is `+Inf`. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(seconds: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && seconds > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += seconds;
    this.count++;
  }
}

/** Counts and durations of calls with one outcome. */
export class OutcomeStats {
  count = 0;
  readonly duration: HistogramData;

  constructor(
    readonly outcome: 'ok' | 'tool_error' | 'error',
    readonly errorType: string,
    bounds: readonly number[],
  ) {
    this.duration = new HistogramData(bounds);
  }

  add(seconds: number): void {
    this.count++;
    this.duration.observe(seconds);
  }
}

/** Everything recorded for one (method, server, tool). */
export class CallSeries {
  inFlight = 0;
  readonly ok: OutcomeStats;
  readonly toolError: OutcomeStats;
  /** By error type. */
  readonly errors = new Map<string, OutcomeStats>();

  constructor(
    readonly method: string,
    readonly server: string,
    readonly tool: string,
    readonly bounds: readonly number[],
  ) {
    this.ok = new OutcomeStats('ok', '', bounds);
    this.toolError = new OutcomeStats('tool_error', 'tool_error', bounds);
  }

  error(type: string): OutcomeStats {
    let stats = this.errors.get(type);
    if (!stats) this.errors.set(type, (stats = new OutcomeStats('error', type, this.bounds)));
    return stats;
  }

  *outcomes(): Iterable<OutcomeStats> {
    yield this.ok;
    yield this.toolError;
    yield* this.errors.values();
  }
}

/** A counter keyed by a label tuple, for the event-driven metrics (retries, cache, breaker ...). */
export class LabeledCounts<L extends string> {
  readonly #values = new Map<string, { labels: Record<L, string>; value: number }>();

  constructor(readonly labelNames: readonly L[]) {}

  inc(labels: Record<L, string>, by = 1): void {
    let key = '';
    for (const name of this.labelNames) key += `${labels[name]}\u0000`;
    const entry = this.#values.get(key);
    if (entry) entry.value += by;
    else this.#values.set(key, { labels: { ...labels }, value: by });
  }

  entries(): Iterable<{ labels: Record<L, string>; value: number }> {
    return this.#values.values();
  }
}

/** One histogram with the counts of all of `list` (same bounds). */
export function mergeHistograms(list: readonly HistogramData[]): HistogramData {
  const out = new HistogramData(list[0]!.bounds);
  for (const h of list) {
    for (let i = 0; i < h.counts.length; i++) out.counts[i]! += h.counts[i]!;
    out.sum += h.sum;
    out.count += h.count;
  }
  return out;
}
