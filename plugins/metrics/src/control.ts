import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import type { GatewayView } from './semconv.js';

const PLUGIN = '@mcp-bridge/plugin-metrics';

/** What `bridge.metrics` offers: the registry, its text, a request handler to mount anywhere, and gateway tracking. */
export interface MetricsControl {
  /** The prom-client registry the metrics live in (merge it with yours: `Registry.merge([a, b])`). */
  readonly registry: Registry;
  /** The Content-Type of {@link MetricsControl.metrics}' text. */
  readonly contentType: string;
  /** The metrics in the Prometheus text format (what a scrape gets). */
  metrics(): Promise<string>;
  /**
   * A `node:http` request handler that answers `GET`/`HEAD` with the metrics (405 otherwise). Mount
   * it at `/metrics` of your server, or pass it to the gateway: `serveHttp(bridge, { routes: { '/metrics': bridge.metrics.handler } })`.
   */
  readonly handler: (req: IncomingMessage, res: ServerResponse) => void;
  /**
   * Tells the metrics about a gateway serving this bridge: its sessions become
   * `mcp_bridge_downstream_sessions{network_transport}`. (`mcp_server_operation_duration_seconds` needs
   * no tracking: the gateway reports each request it answers.) Returns the function that forgets it (call it when the gateway closes).
   *
   * @example
   * const gateway = await serveHttp(bridge, { routes: { '/metrics': bridge.metrics.handler } });
   * const untrack = bridge.metrics.trackGateway({ transport: 'tcp', sessions: () => gateway.sessionCount() });
   */
  trackGateway(gateway: GatewayView): () => void;
}

/**
 * prom-client writes a NaN value as `Nan` (the event loop lag gauges read NaN until the first sample);
 * the exposition formats spell it `NaN`, and OpenMetrics parsers accept nothing else.
 */
const scrape = (registry: Registry): Promise<string> => registry.metrics().then((text) => text.replace(/ Nan$/gm, ' NaN'));

/** Builds `bridge.metrics` over `registry`. */
export function metricsControl(registry: Registry, trackGateway: (gateway: GatewayView) => () => void): MetricsControl {
  return {
    registry,
    get contentType() {
      return registry.contentType;
    },
    metrics: () => scrape(registry),
    handler: (req, res) => {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('Method Not Allowed\n');
        return;
      }
      scrape(registry).then(
        (text) => {
          res.writeHead(200, { 'content-type': registry.contentType });
          res.end(req.method === 'HEAD' ? undefined : text);
        },
        (error: unknown) => {
          if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
          res.end(`[${PLUGIN}] collecting metrics failed: ${error instanceof Error ? error.message : String(error)}\n`);
        },
      );
    },
    trackGateway,
  };
}
