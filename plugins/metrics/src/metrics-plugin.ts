import { definePlugin, type Plugin, type PluginApi } from '@mcp-bridge/core';
import pkg from '../package.json' with { type: 'json' };
import { addAttemptMetrics, addCallMetrics } from './call-metrics.js';
import { metricsControl, type MetricsControl } from './control.js';
import { addBreakerMetrics, addCacheMetrics, addPinningMetrics, addRetryMetrics } from './event-metrics.js';
import { createKit, type Resolved } from './kit.js';
import { metricsOptionsSchema, type MetricsOptions } from './options.js';
import { addPrincipalMetrics } from './principal-metrics.js';
import { setupSemconv, type GatewayView } from './semconv.js';
import { addUpstreamEventMetrics, addUpstreamStateMetrics } from './upstream-metrics.js';

const PLUGIN = '@mcp-bridge/plugin-metrics';

declare module '@mcp-bridge/core' {
  interface BridgeExtensions {
    /** Added by `@mcp-bridge/plugin-metrics`. */
    metrics: MetricsControl;
  }
}

/**
 * Prometheus metrics of a bridge, with prom-client.
 *
 * - `observe` phase (`order: 'before'`, so it sees every call, including ones a policy refused):
 *   calls by server, method, tool and outcome (`ok`, `tool_error` for `isError` results, `error`
 *   with its `error_type`), latency histograms, calls in flight.
 * - `route` phase (`order: 'before'`): every attempt per upstream (replica), when `attempts` is on.
 * - Events, when the plugins that emit them are installed: retries and give-ups (`@mcp-bridge/retry`),
 *   breaker state, cache lookups, evictions and store errors (`@mcp-bridge/cache`), health changes
 *   and connects (core). Health, connection state and in-flight per upstream are read at scrape time.
 *
 * The call path only adds to plain counters; prom-client formats them when scraped.
 *
 * @example
 * ```ts
 * import { createBridge } from '@mcp-bridge/core';
 * import { metrics } from '@mcp-bridge/plugin-metrics';
 * import { serveHttp } from '@mcp-bridge/server';
 *
 * const bridge = createBridge({ servers, plugins: [metrics()] });
 * await bridge.start();
 * const gateway = await serveHttp(bridge, { port: 3000, routes: { '/metrics': bridge.metrics.handler } });
 * // or in your own server: app.get('/metrics', bridge.metrics.handler)
 * ```
 */
export const metrics: (options?: MetricsOptions) => Plugin = definePlugin({
  name: PLUGIN,
  version: pkg.version,
  core: '^0.1.0',
  options: metricsOptionsSchema,
  setup(api, o) {
    setupMetrics(api, o);
  },
});

/** Registers every metric family in a fixed order (the order of the scrape output). */
function setupMetrics(api: PluginApi, o: Resolved): void {
  const kit = createKit(api, o);
  addCallMetrics(kit);
  if (o.attempts) addAttemptMetrics(kit);
  if (o.principals > 0) addPrincipalMetrics(kit, o.principals);
  // Events of other plugins, when they are installed; health and connects from core.
  addRetryMetrics(kit);
  addBreakerMetrics(kit);
  addCacheMetrics(kit);
  addPinningMetrics(kit);
  addUpstreamEventMetrics(kit);
  addUpstreamStateMetrics(kit);

  // OpenTelemetry MCP semantic conventions, sessions, build info, process metrics.
  const { registry, registered } = kit;
  const trackGateway = o.semconv
    ? setupSemconv({
        api,
        registry,
        prefix: kit.prefix,
        bounds: kit.bounds,
        toolLabel: o.toolLabel,
        make: kit.make,
        processMetrics: o.processMetrics ?? kit.owned,
        registered,
      })
    : (_gateway: GatewayView) => () => undefined;
  const control: MetricsControl = metricsControl(registry, trackGateway);
  api.expose('metrics', control);

  // A registry the user passed outlives the bridge: take our metrics out, so a new bridge can register them.
  if (!kit.owned) api.onClose(() => registered.forEach((name) => registry.removeSingleMetric(name)));
}
