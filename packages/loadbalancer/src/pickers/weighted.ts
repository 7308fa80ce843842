import type { Upstream } from '@mcp-bridge/core';
import type { Picker } from './picker.js';

/** The weight of a replica: an explicit map entry, else `config.weight`, else 1. */
export type WeightOf = (upstream: Upstream) => number;

/** Reads `weight` from the replica's config (`replicas: [{ weight: 3 }, ...]`), default 1. */
export function configWeight(weights: Readonly<Record<string, number>> = {}): WeightOf {
  return (up) => {
    const explicit = weights[up.id];
    if (explicit !== undefined) return explicit;
    const w = (up.config as { weight?: unknown }).weight;
    return typeof w === 'number' && Number.isFinite(w) && w > 0 ? w : 1;
  };
}

/**
 * Smooth weighted round robin (nginx's algorithm): every pick adds each eligible replica's weight
 * to its running score, takes the highest, and subtracts the total from it. Shares match the
 * weights exactly over every window of `sum(weights)` picks, and heavy replicas are interleaved
 * rather than picked in bursts.
 *
 * @example
 * ```ts
 * const picker = weightedRoundRobinPicker(configWeight({ 'api#1': 3 }));
 * ```
 */
export function weightedRoundRobinPicker(weightOf: WeightOf = configWeight()): Picker {
  const scores = new WeakMap<Upstream, number>();
  return {
    pick(_ctx, eligible) {
      if (eligible.length <= 1) return eligible[0];
      let total = 0;
      let best: Upstream | undefined;
      let bestScore = -Infinity;
      for (const up of eligible) {
        const w = weightOf(up);
        const score = (scores.get(up) ?? 0) + w;
        scores.set(up, score);
        total += w;
        if (score > bestScore) {
          bestScore = score;
          best = up;
        }
      }
      scores.set(best!, bestScore - total);
      return best;
    },
  };
}
