import type { Picker } from './picker.js';

/**
 * Round robin over the eligible replicas, one counter per logical server. When the eligible set
 * shrinks (a replica ejected) the rotation continues over the rest.
 *
 * @example
 * ```ts
 * const picker = roundRobinPicker();
 * picker.pick(ctx, replicas, replicas); // replicas[0], then [1], [2], [0] ...
 * ```
 */
export function roundRobinPicker(): Picker {
  const counters = new Map<string, number>();
  return {
    pick(ctx, eligible) {
      if (eligible.length === 0) return undefined;
      const n = counters.get(ctx.server) ?? 0;
      // Wrap well before 2^53 so the modulo stays exact.
      counters.set(ctx.server, n >= 0x3fffffff ? 0 : n + 1);
      return eligible[n % eligible.length];
    },
  };
}
