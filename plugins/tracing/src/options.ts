import type { TextMapPropagator, TracerProvider } from '@opentelemetry/api';
import { z } from 'zod';

/** The zod schema of {@link TracingOptions}. */
export const tracingOptionsSchema = z.strictObject({
  tracerProvider: z
    .custom<TracerProvider>(
      (v) => typeof (v as { getTracer?: unknown } | undefined)?.getTracer === 'function',
      'expected an OpenTelemetry TracerProvider',
    )
    .optional(),
  propagator: z
    .custom<TextMapPropagator>(
      (v) =>
        typeof (v as { inject?: unknown } | undefined)?.inject === 'function' && typeof (v as { extract?: unknown }).extract === 'function',
      'expected an OpenTelemetry TextMapPropagator',
    )
    .optional(),
  attempts: z.boolean().default(true),
  propagate: z.boolean().default(true),
  extract: z.boolean().default(true),
  catalog: z.boolean().default(true),
  resourceUri: z.boolean().default(true),
  lateProvider: z.boolean().default(false),
});

/** Options of {@link tracing}. */
export interface TracingOptions {
  /**
   * Where spans go. Default: the global provider (`trace.getTracerProvider()`). When none is
   * registered at `bridge.start()`, the plugin adds no middleware at all (zero cost) unless
   * `lateProvider` is set.
   */
  tracerProvider?: TracerProvider;
  /**
   * How trace context is written into `params._meta` (and read from it). Default: the global
   * propagator when one is registered (the OpenTelemetry SDKs register W3C Trace Context and Baggage),
   * else W3C `traceparent`/`tracestate` written by this plugin.
   */
  propagator?: TextMapPropagator;
  /** A child span (kind CLIENT) per attempt, under the span of the call. Default `true`. */
  attempts?: boolean;
  /** Send the trace context to upstreams in `params._meta` (MCP semantic conventions). Default `true`. */
  propagate?: boolean;
  /** When the call has no active span, continue a trace whose context came in `params._meta`. Default `true`. */
  extract?: boolean;
  /** Trace the host's own list refreshes (`ctx.origin === 'catalog'`) too. Default `true`. */
  catalog?: boolean;
  /** Record `mcp.resource.uri` on resource calls (it may name private data). Default `true`. */
  resourceUri?: boolean;
  /**
   * Install the middleware even when no global provider is registered at `bridge.start()`, to
   * follow one registered later (an SDK started after the bridge). Costs a check per call and per
   * attempt while none is registered. Default `false`: start your OpenTelemetry SDK first.
   */
  lateProvider?: boolean;
}
