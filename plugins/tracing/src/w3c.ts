import { createTraceState, isSpanContextValid, trace, TraceFlags, type Context, type SpanContext } from '@opentelemetry/api';

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/**
 * Writes W3C Trace Context (`traceparent`, `tracestate`) for `spanContext` into `carrier`: what
 * the plugin sends in `params._meta` when no propagator is registered with OpenTelemetry (the
 * OpenTelemetry SDKs register a W3C one by default; then that one is used, with baggage).
 */
export function injectW3C(spanContext: SpanContext, carrier: Record<string, unknown>): void {
  if (!isSpanContextValid(spanContext)) return;
  const flags = (spanContext.traceFlags & TraceFlags.SAMPLED).toString(16).padStart(2, '0');
  carrier.traceparent = `00-${spanContext.traceId}-${spanContext.spanId}-${flags}`;
  const state = spanContext.traceState?.serialize();
  if (state) carrier.tracestate = state;
}

/** Reads W3C Trace Context from `carrier` into a context derived from `parent`; `parent` itself when there is none or it is invalid. */
export function extractW3C(parent: Context, carrier: Record<string, unknown>): Context {
  const header = carrier.traceparent;
  if (typeof header !== 'string') return parent;
  const match = TRACEPARENT.exec(header.trim());
  // Version ff is forbidden; version 00 has no trailing fields.
  if (!match || match[1] === 'ff' || (match[1] === '00' && match[5] !== undefined)) return parent;
  const spanContext: SpanContext = {
    traceId: match[2]!,
    spanId: match[3]!,
    traceFlags: parseInt(match[4]!, 16) & TraceFlags.SAMPLED,
    isRemote: true,
  };
  if (!isSpanContextValid(spanContext)) return parent;
  const state = carrier.tracestate;
  if (typeof state === 'string' && state !== '') spanContext.traceState = createTraceState(state);
  return trace.setSpanContext(parent, spanContext);
}
