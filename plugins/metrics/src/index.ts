/**
 * `@mcp-bridge/plugin-metrics`: Prometheus metrics of an mcp-bridge host with prom-client.
 *
 * @example
 * ```ts
 * import { createBridge } from '@mcp-bridge/core';
 * import { metrics } from '@mcp-bridge/plugin-metrics';
 * const bridge = createBridge({ servers, plugins: [metrics()] });
 * await bridge.start();
 * console.log(await bridge.metrics.metrics());
 * // or: serveHttp(bridge, { routes: { '/metrics': bridge.metrics.handler } })
 * ```
 * @packageDocumentation
 */
export { metrics } from './metrics-plugin.js';
export type { MetricsControl } from './control.js';
export type { GatewayView } from './semconv.js';
export { DEFAULT_BUCKETS, metricsOptionsSchema } from './options.js';
export type { MetricsOptions } from './options.js';
