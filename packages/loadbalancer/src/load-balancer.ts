import { definePlugin, type CallContext, type Plugin, type Upstream } from '@mcp-bridge/core';
import { createBalancer, type BalancerCounters } from './balancer.js';
import { hedgingMiddleware, type HedgingCounters } from './hedging.js';
import { HEDGING_DEFAULTS, loadBalancerOptionsSchema, type LoadBalancerOptions } from './options.js';
import { consistentHashPicker } from './pickers/consistent-hash.js';
import { leastOutstandingPicker } from './pickers/least-outstanding.js';
import type { Picker } from './pickers/picker.js';
import { roundRobinPicker } from './pickers/round-robin.js';
import { configWeight, weightedRoundRobinPicker } from './pickers/weighted.js';
import { VERSION } from './version.js';

/** What `bridge.loadBalancer` offers. */
export interface LoadBalancerControl {
  /** Counters since start (or the last `reset()`). */
  stats(): LoadBalancerStats;
  /** Zero the counters. */
  reset(): void;
}

/** Counters of the load balancer. */
export interface LoadBalancerStats {
  /** Attempts sent to each upstream id (hedges included). */
  picks: Record<string, number>;
  /** Picks made while fewer than `panicThreshold` of a server's replicas were healthy. */
  panics: number;
  /** Hedging counters (all zero when hedging is off). */
  hedging: HedgingCounters;
}

declare module '@mcp-bridge/core' {
  interface BridgeExtensions {
    /** Added by `@mcp-bridge/loadbalancer`. */
    loadBalancer: LoadBalancerControl;
  }
  interface BridgeEvents {
    /** Fewer than `panicThreshold` of a server's replicas are healthy (emitted per pick while it lasts). */
    'loadbalancer:panic': { ctx: CallContext; server: string; healthy: number; total: number };
    /** A second attempt of a read-only call started after `delayMs`. */
    'loadbalancer:hedge': { ctx: CallContext; primary: Upstream | undefined; delayMs: number };
  }
}

/**
 * Load balancing across a server's replicas (`replicas: N` or a list of targets in the server
 * config). Provides the `balancer` service; with `hedging` it also adds a `route`-phase middleware.
 *
 * @example
 * ```ts
 * import { createBridge } from '@mcp-bridge/core';
 * import { loadBalancer } from '@mcp-bridge/loadbalancer';
 *
 * const bridge = createBridge({
 *   servers: { search: { command: 'node', args: ['search-server.js'], replicas: 3, trusted: true } },
 *   plugins: [loadBalancer({ picker: 'least-outstanding', hedging: true })],
 * });
 * await bridge.start();
 * console.log(bridge.loadBalancer.stats().picks); // { 'search#1': 12, 'search#2': 11, ... }
 * ```
 */
export const loadBalancer: (options?: LoadBalancerOptions) => Plugin = definePlugin({
  name: '@mcp-bridge/loadbalancer',
  version: VERSION,
  core: '^0.1.0',
  provides: ['balancer'],
  options: loadBalancerOptionsSchema,
  setup(api, o) {
    const random = o.random ?? Math.random;
    const now = o.now ?? Date.now;
    const counters: BalancerCounters = { picks: new Map(), panics: 0 };
    const hedging: HedgingCounters = { calls: 0, hedges: 0, hedgeWins: 0, budgetDenied: 0 };

    const lo = leastOutstandingPicker(random);
    const pickers: Record<typeof o.picker, () => Picker> = {
      'least-outstanding': () => lo,
      'round-robin': () => roundRobinPicker(),
      'weighted-round-robin': () => weightedRoundRobinPicker(configWeight(o.weights)),
      'consistent-hash': () => consistentHashPicker({ key: o.hashKey, pointsPerReplica: o.pointsPerReplica, fallback: lo }),
    };
    api.provide(
      'balancer',
      createBalancer(pickers[o.picker](), o, counters, (ctx, healthy, total) => {
        if (api.hasListeners('loadbalancer:panic')) api.emit('loadbalancer:panic', { ctx, server: ctx.server, healthy, total });
      }),
    );

    if (o.hedging !== false) {
      const settings = o.hedging === true ? HEDGING_DEFAULTS : o.hedging;
      api.use(
        hedgingMiddleware(
          settings,
          hedging,
          now,
          (ctx, delayMs) => {
            if (api.hasListeners('loadbalancer:hedge')) api.emit('loadbalancer:hedge', { ctx, primary: ctx.upstream, delayMs });
          },
          (server) => api.host.upstreams(server),
        ),
      );
    }

    api.expose('loadBalancer', {
      stats: () => ({ picks: Object.fromEntries(counters.picks), panics: counters.panics, hedging: { ...hedging } }),
      reset: () => {
        counters.picks.clear();
        counters.panics = 0;
        Object.assign(hedging, { calls: 0, hedges: 0, hedgeWins: 0, budgetDenied: 0 });
      },
    });
  },
});
