/**
 * `@mcp-bridge/loadbalancer`: replica groups behind one name, pickers, panic mode, affinity and
 * hedged read-only calls.
 *
 * @example
 * ```ts
 * import { loadBalancer } from '@mcp-bridge/loadbalancer';
 * const bridge = createBridge({ servers: { api: { command: 'node', args: ['api.js'], replicas: 3 } }, plugins: [loadBalancer()] });
 * ```
 * @packageDocumentation
 */
export { loadBalancer } from './load-balancer.js';
export type { LoadBalancerControl, LoadBalancerStats } from './load-balancer.js';
export { HEDGING_DEFAULTS, loadBalancerOptionsSchema } from './options.js';
export type { HedgingOptions, LoadBalancerOptions, ResolvedLoadBalancerOptions } from './options.js';
export { createBalancer } from './balancer.js';
export type { BalancerCounters, BalancerPolicy } from './balancer.js';
export { HedgeLostError, hedgingMiddleware } from './hedging.js';
export type { HedgingCounters, HedgingSettings } from './hedging.js';
export { LatencyWindow } from './latency-window.js';
export { roundRobinPicker } from './pickers/round-robin.js';
export { configWeight, weightedRoundRobinPicker } from './pickers/weighted.js';
export type { WeightOf } from './pickers/weighted.js';
export { leastOutstandingPicker } from './pickers/least-outstanding.js';
export { consistentHashPicker, defaultHashKey, hash32 } from './pickers/consistent-hash.js';
export type { ConsistentHashOptions, HashKey } from './pickers/consistent-hash.js';
export type { Clock, Picker, Random } from './pickers/picker.js';
