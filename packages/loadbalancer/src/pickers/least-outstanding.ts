import type { Picker, Random } from './picker.js';

/**
 * Least outstanding requests with the power of two choices: take two distinct replicas at random
 * and use the one with fewer calls in flight (`upstream.inFlight`, kept by core). Nearly as good
 * as scanning every replica for the least loaded, without herding all callers onto the same one.
 *
 * @example
 * ```ts
 * const picker = leastOutstandingPicker(); // the default picker
 * ```
 */
export function leastOutstandingPicker(random: Random = Math.random): Picker {
  return {
    pick(_ctx, eligible) {
      const n = eligible.length;
      if (n <= 1) return eligible[0];
      const i = Math.floor(random() * n);
      let j = Math.floor(random() * (n - 1));
      if (j >= i) j++;
      const a = eligible[i]!;
      const b = eligible[j]!;
      if (a.inFlight !== b.inFlight) return a.inFlight < b.inFlight ? a : b;
      // i and j are already random, so on a tie the first is as good as a coin toss.
      return a;
    },
  };
}
