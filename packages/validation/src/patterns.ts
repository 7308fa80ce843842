import { isSafePattern } from 'redos-detector';

/** The verdict on one regular expression. */
export interface PatternVerdict {
  readonly safe: boolean;
  /** Why it is not safe (for warnings). */
  readonly reason?: string;
}

/**
 * Decides whether a schema's regular expression may run on the host's regex engine. JavaScript
 * regexes backtrack and cannot be interrupted, so `^(a|aa)+$` on a long argument would stall the
 * event loop: each pattern is analysed once (redos-detector, within a time budget) and only
 * patterns proven free of exponential or large polynomial backtracking are used. A pattern the
 * analysis cannot clear in time counts as unsafe. Verdicts are cached per source (bounded).
 */
export class PatternGuard {
  readonly #verdicts = new Map<string, PatternVerdict>();
  readonly #maxEntries: number;

  constructor(maxEntries = 2_000) {
    this.#maxEntries = maxEntries;
  }

  /** Judge `source` (compiled with the `u` flag, as Ajv does) within `timeoutMs`. */
  check(source: string, timeoutMs: number): PatternVerdict {
    const known = this.#verdicts.get(source);
    if (known) return known;
    const verdict = judge(source, timeoutMs);
    // A verdict cut short by the clock is not cached: with more budget it may clear.
    if (verdict.reason?.includes('budget') !== true) {
      if (this.#verdicts.size >= this.#maxEntries) this.#verdicts.delete(this.#verdicts.keys().next().value!);
      this.#verdicts.set(source, verdict);
    }
    return verdict;
  }
}

function judge(source: string, timeoutMs: number): PatternVerdict {
  try {
    new RegExp(source, 'u');
  } catch (error) {
    return { safe: false, reason: `invalid regular expression: ${(error as Error).message}` };
  }
  if (timeoutMs <= 0) return { safe: false, reason: 'no time left in the compile budget to analyse it' };
  try {
    const result = isSafePattern(source, { unicode: true, timeout: timeoutMs, maxSteps: 20_000 });
    if (result.safe) return { safe: true };
    if (result.error === 'timedOut') return { safe: false, reason: `could not be proven safe within the ${timeoutMs} ms analysis budget` };
    return { safe: false, reason: 'it can backtrack catastrophically (ReDoS)' };
  } catch (error) {
    return { safe: false, reason: `could not be analysed: ${(error as Error).message}` };
  }
}
