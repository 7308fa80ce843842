import type { Registry } from 'prom-client';
import { z } from 'zod';

/** Default latency buckets, seconds: from half a millisecond (an in-process call) to a minute. */
export const DEFAULT_BUCKETS: readonly number[] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** The zod schema of {@link MetricsOptions}. */
export const metricsOptionsSchema = z.strictObject({
  registry: z
    .custom<Registry>(
      (v) =>
        typeof (v as { registerMetric?: unknown } | undefined)?.registerMetric === 'function' &&
        typeof (v as { metrics?: unknown }).metrics === 'function',
      'expected a prom-client Registry',
    )
    .optional(),
  prefix: z
    .string()
    .refine((p) => p === '' || METRIC_NAME.test(p), 'expected a metric name prefix matching [a-zA-Z_:][a-zA-Z0-9_:]*')
    .default('mcp_bridge_'),
  buckets: z
    .array(z.number().positive().finite())
    .min(1)
    .refine((b) => b.every((x, i) => i === 0 || x > b[i - 1]!), 'expected strictly increasing bucket bounds (seconds)')
    .optional(),
  toolLabel: z.boolean().default(true),
  attempts: z.boolean().default(false),
  principals: z.number().int().min(0).max(10_000).default(0),
  semconv: z.boolean().default(true),
  processMetrics: z.boolean().optional(),
  defaultLabels: z.record(z.string().regex(LABEL_NAME, 'expected a Prometheus label name'), z.string()).optional(),
});

/** Options of {@link metrics}. */
export interface MetricsOptions {
  /**
   * The prom-client registry to register in. Default: a new registry for this bridge (prom-client's
   * global `register` is left alone; pass it here to use it). Metrics are removed from a registry
   * you pass when the bridge closes, so a new bridge can register them again.
   */
  registry?: Registry;
  /** Prefix of every metric name. Default `'mcp_bridge_'`. */
  prefix?: string;
  /** Bounds of the latency histograms, seconds. Default {@link DEFAULT_BUCKETS}. */
  buckets?: number[];
  /** Label calls with the tool's upstream name (`tool`). `false` leaves it empty, for servers with very many tools. Default `true`. */
  toolLabel?: boolean;
  /**
   * Count every attempt per upstream (`…_upstream_attempts_total`): outcomes per replica, each retry
   * counted. Adds a middleware in the `route` phase (a few tenths of a microsecond per attempt). Default `false`.
   */
  attempts?: boolean;
  /**
   * Count calls per authenticated principal (`…_principal_calls_total{principal, outcome}`): the first
   * `principals` distinct principals get their own label value, later ones share `(other)`, and
   * unauthenticated calls are `(none)`. Default `0` (off): a principal label is a cardinality choice.
   */
  principals?: number;
  /**
   * Also record the OpenTelemetry MCP semantic-convention metrics (`mcp_server_operation_duration_seconds`,
   * `mcp_client_operation_duration_seconds`), downstream sessions and build info. Adds an `observe` and a
   * `route` middleware (a few tenths of a microsecond per call and per attempt). Default `true`.
   */
  semconv?: boolean;
  /**
   * prom-client's process metrics (`process_cpu_seconds_total`, `process_resident_memory_bytes`,
   * `nodejs_eventloop_lag_seconds` ...), with `semconv`. Default: `true` on the plugin's own registry,
   * `false` on one you pass (it probably collects them already).
   */
  processMetrics?: boolean;
  /** Labels added to every metric (only on the plugin's own registry; set them yourself on one you pass). */
  defaultLabels?: Record<string, string>;
}
