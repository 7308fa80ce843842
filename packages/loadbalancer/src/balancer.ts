import { isStateless, type Balancer, type CallContext, type Upstream } from '@mcp-bridge/core';
import type { Picker } from './pickers/picker.js';

/** How the balancer filters replicas before its picker chooses. */
export interface BalancerPolicy {
  /** Below this share of healthy replicas, panic (default 0.5). 0 never panics. */
  panicThreshold: number;
  /** In panic: `spread` over every replica (health ignored), or `fail` fast (core throws NoUpstreamError). */
  panic: 'spread' | 'fail';
  /** Same caller, same replica: `auto` for HTTP/SSE upstreams (stateful sessions), `caller` always, `off`. */
  affinity: 'auto' | 'caller' | 'off';
  /** Most caller → replica bindings kept (oldest dropped first). */
  affinityMaxEntries: number;
}

/** Counters the balancer keeps, for reports and examples. */
export interface BalancerCounters {
  /** Picks per upstream id (every attempt, hedges included). */
  picks: Map<string, number>;
  /** Picks made in panic mode. */
  panics: number;
}

/**
 * Builds the `balancer` service: filters a server's replicas (health, panic, already tried),
 * keeps caller affinity, and hands the rest to the picker.
 */
export function createBalancer(
  picker: Picker,
  policy: BalancerPolicy,
  counters: BalancerCounters,
  onPanic: (ctx: CallContext, healthy: number, total: number) => void,
): Balancer {
  const affinity = new Map<string, string>();

  const count = (up: Upstream | undefined): Upstream | undefined => {
    if (up) counters.picks.set(up.id, (counters.picks.get(up.id) ?? 0) + 1);
    return up;
  };

  return {
    pick(ctx: CallContext, candidates: readonly Upstream[]): Upstream | undefined {
      // One upstream: nothing to choose; the pool and the breaker decide what happens to it.
      if (candidates.length <= 1) return count(candidates[0]);
      let pool: readonly Upstream[] = candidates.filter((u) => u.health !== 'unhealthy');
      if (pool.length < policy.panicThreshold * candidates.length) {
        counters.panics++;
        onPanic(ctx, pool.length, candidates.length);
        if (policy.panic === 'fail') return undefined;
        pool = candidates;
      }
      if (pool.length === 0) return undefined;
      let fresh: readonly Upstream[] = pool.filter((u) => !ctx.tried.has(u.id));
      // More attempts than replicas (a retry plugin with a high limit): start over on the usable ones.
      if (fresh.length === 0) fresh = pool;

      const sticky =
        ctx.caller !== undefined && (policy.affinity === 'caller' || (policy.affinity === 'auto' && isStateful(candidates[0]!)));
      if (!sticky) return count(picker.pick(ctx, fresh, candidates));
      const key = `${ctx.server}\u0000${ctx.caller}`;
      const bound = affinity.get(key);
      const kept = bound === undefined ? undefined : fresh.find((u) => u.id === bound);
      if (kept) {
        // Refresh its place in the LRU order.
        affinity.delete(key);
        affinity.set(key, kept.id);
        return count(kept);
      }
      const chosen = picker.pick(ctx, fresh, candidates);
      if (chosen) {
        affinity.delete(key);
        affinity.set(key, chosen.id);
        if (affinity.size > policy.affinityMaxEntries) affinity.delete(affinity.keys().next().value!);
      }
      return count(chosen);
    },
  };
}

/**
 * 2025-era HTTP and SSE upstreams keep a session per connection; a caller's follow-ups belong on the
 * same one. A 2026-07-28 upstream keeps no session (docs/protocol-eras.md), so `auto` does not pin
 * its callers: their calls spread over the replicas like stdio ones.
 */
function isStateful(up: Upstream): boolean {
  return (up.kind === 'streamable-http' || up.kind === 'sse') && !isStateless(up);
}
