import { createBridge, RetryExhaustedError, type Bridge, type Plugin } from '@mcp-bridge/core';
import { retry } from '@mcp-bridge/retry';
import { inMemoryFaultServer } from '@mcp-bridge/testing';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { context, propagation, ProxyTracerProvider, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  AlwaysOffSampler,
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ATTR, tracing } from '../src/index.js';
import { recordingUpstream } from './recording-upstream.js';

const TOOLS = { lookup: { readOnlyHint: true }, upsert: { idempotentHint: true } };

let exporter: InMemorySpanExporter;
let provider: BasicTracerProvider;
let bridges: Bridge[] = [];

beforeEach(() => {
  exporter = new InMemorySpanExporter();
  provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
});
afterEach(async () => {
  await Promise.all(bridges.map((b) => b.close()));
  bridges = [];
  await provider.shutdown();
  trace.disable();
  propagation.disable();
  context.disable();
});

async function setup(plugins: Plugin[]) {
  const fault = inMemoryFaultServer({ name: 'flaky', tools: TOOLS });
  const upstream = recordingUpstream(fault);
  // A plain record: createBridge's typed server entries would otherwise demand one known config shape.
  const flaky: Record<string, unknown> = { ...upstream.config, trusted: true };
  const bridge = createBridge({ servers: { flaky }, plugins });
  bridges.push(bridge);
  await bridge.start();
  const toolCalls = () => upstream.received.filter((r) => r.method === 'tools/call');
  return { bridge, fault, toolCalls };
}

/** The finished spans of tool calls (the catalog's own `tools/list` spans left out). */
function toolSpans(): { call: ReadableSpan[]; attempts: ReadableSpan[] } {
  const spans = exporter.getFinishedSpans().filter((s) => s.attributes[ATTR.METHOD] === 'tools/call');
  return { call: spans.filter((s) => s.kind === SpanKind.INTERNAL), attempts: spans.filter((s) => s.kind === SpanKind.CLIENT) };
}

const retryFast = () => retry({ baseDelayMs: 1, maxDelayMs: 2, breaker: false });

describe('spans across retries (with @mcp-bridge/retry over the fault server)', () => {
  it("makes one call span with an attempt span per try, and sends each attempt's traceparent upstream", async () => {
    const { bridge, fault, toolCalls } = await setup([tracing({ tracerProvider: provider }), retryFast()]);
    fault.setFaults({ script: ['error', 'error', 'ok'] }, 'lookup');
    const result = await bridge.callTool('lookup', { key: 'r1' });
    expect(result.isError).toBeFalsy();

    const { call, attempts } = toolSpans();
    expect(call).toHaveLength(1);
    const parent = call[0]!;
    expect(parent.name).toBe('tools/call lookup');
    expect(parent.attributes).toMatchObject({
      [ATTR.METHOD]: 'tools/call',
      [ATTR.TOOL]: 'lookup',
      [ATTR.OPERATION]: 'execute_tool',
      [ATTR.BRIDGE_SERVER]: 'flaky',
      [ATTR.BRIDGE_ATTEMPTS]: 3,
    });
    expect(parent.attributes[ATTR.ERROR_TYPE]).toBeUndefined();
    expect(parent.status.code).toBe(SpanStatusCode.UNSET);
    expect(parent.events.filter((e) => e.name === 'mcp_bridge.retry').map((e) => e.attributes?.[ATTR.BRIDGE_ATTEMPT])).toEqual([2, 3]);

    expect(attempts).toHaveLength(3);
    const ordered = [...attempts].sort((a, b) => Number(a.attributes[ATTR.BRIDGE_ATTEMPT]) - Number(b.attributes[ATTR.BRIDGE_ATTEMPT]));
    ordered.forEach((span, i) => {
      expect(span.name).toBe('tools/call lookup');
      expect(span.spanContext().traceId).toBe(parent.spanContext().traceId);
      expect(span.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
      expect(span.attributes).toMatchObject({ [ATTR.BRIDGE_ATTEMPT]: i + 1, [ATTR.BRIDGE_UPSTREAM]: 'flaky', [ATTR.TOOL]: 'lookup' });
    });
    for (const failed of ordered.slice(0, 2)) {
      expect(failed.attributes).toMatchObject({ [ATTR.ERROR_TYPE]: '-32603', [ATTR.RPC_STATUS]: '-32603' });
      expect(failed.status.code).toBe(SpanStatusCode.ERROR);
    }
    expect(ordered[2]!.status.code).toBe(SpanStatusCode.UNSET);
    // What the upstream received: each attempt carried its own span as the W3C parent.
    const sent = toolCalls();
    expect(sent).toHaveLength(3);
    expect(sent.map((r) => r.meta?.traceparent)).toEqual(ordered.map((s) => `00-${s.spanContext().traceId}-${s.spanContext().spanId}-01`));
  });

  it('marks the call failed with retry_exhausted when every attempt fails', async () => {
    const { bridge, fault } = await setup([tracing({ tracerProvider: provider }), retryFast()]);
    fault.setFaults({ script: ['error', 'error', 'error'] }, 'lookup');
    await expect(bridge.callTool('lookup', { key: 'r2' })).rejects.toBeInstanceOf(RetryExhaustedError);
    const { call, attempts } = toolSpans();
    expect(call[0]!.attributes[ATTR.ERROR_TYPE]).toBe('retry_exhausted');
    expect(call[0]!.status).toMatchObject({ code: SpanStatusCode.ERROR, message: expect.stringContaining('gave up after 3 attempts') });
    expect(attempts.map((s) => s.attributes[ATTR.ERROR_TYPE])).toEqual(['-32603', '-32603', '-32603']);
    expect(new Set(attempts.map((s) => s.parentSpanContext?.spanId))).toEqual(new Set([call[0]!.spanContext().spanId]));
  });

  it('records an isError result as tool_error on both spans', async () => {
    const { bridge, fault } = await setup([tracing({ tracerProvider: provider }), retryFast()]);
    fault.setFaults({ script: ['is-error'] }, 'upsert');
    expect((await bridge.callTool('upsert', { key: 'r3' })).isError).toBe(true);
    const { call, attempts } = toolSpans();
    for (const span of [...call, ...attempts]) {
      expect(span.attributes[ATTR.ERROR_TYPE]).toBe('tool_error');
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
    }
    expect(attempts).toHaveLength(1); // isError results are never retried
  });

  it('also nests attempts made by a plain middleware that calls next() again', async () => {
    const again: Plugin = {
      name: 'test-retry-once',
      version: '1.0.0',
      setup(api) {
        api.use({ phase: 'retry', handle: (ctx, next) => next().catch(() => next()) });
      },
    };
    const { bridge, fault } = await setup([tracing({ tracerProvider: provider }), again]);
    fault.setFaults({ script: ['error', 'ok'] }, 'lookup');
    await bridge.callTool('lookup', { key: 'r4' });
    const { call, attempts } = toolSpans();
    expect(attempts.map((s) => s.attributes[ATTR.BRIDGE_ATTEMPT]).sort()).toEqual([1, 2]);
    expect(attempts.every((s) => s.parentSpanContext?.spanId === call[0]!.spanContext().spanId)).toBe(true);
  });
});

describe('trace context', () => {
  it("is a child of the caller's active span", async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    const { bridge } = await setup([tracing({ tracerProvider: provider })]);
    const tracer = provider.getTracer('test');
    await tracer.startActiveSpan('agent step', async (span) => {
      await bridge.callTool('lookup', { key: 'c1' });
      span.end();
    });
    const agent = exporter.getFinishedSpans().find((s) => s.name === 'agent step')!;
    const { call } = toolSpans();
    expect(call[0]!.parentSpanContext?.spanId).toBe(agent.spanContext().spanId);
    expect(call[0]!.spanContext().traceId).toBe(agent.spanContext().traceId);
  });

  it('continues a trace whose traceparent came in params._meta', async () => {
    const { bridge, toolCalls } = await setup([tracing({ tracerProvider: provider })]);
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    await bridge.request('flaky', 'tools/call', {
      name: 'lookup',
      arguments: { key: 'c2' },
      _meta: { traceparent: `00-${traceId}-00f067aa0ba902b7-01`, tracestate: 'rojo=1', other: 'kept' },
    });
    const { call, attempts } = toolSpans();
    expect(call[0]!.spanContext().traceId).toBe(traceId);
    expect(call[0]!.parentSpanContext).toMatchObject({ spanId: '00f067aa0ba902b7', isRemote: true });
    const meta = toolCalls()[0]!.meta!;
    expect(meta.traceparent).toBe(`00-${traceId}-${attempts[0]!.spanContext().spanId}-01`);
    expect(meta.tracestate).toBe('rojo=1');
    expect(meta.other).toBe('kept');
  });

  it('uses the global provider and propagators when registered (W3C trace context and baggage)', async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(provider);
    propagation.setGlobalPropagator(
      new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
    );
    const { bridge, toolCalls } = await setup([tracing()]);
    const withBaggage = propagation.setBaggage(context.active(), propagation.createBaggage({ tenant: { value: 'acme' } }));
    await context.with(withBaggage, () => bridge.callTool('lookup', { key: 'g1' }));
    const { attempts } = toolSpans();
    expect(attempts).toHaveLength(1);
    expect(toolCalls()[0]!.meta).toMatchObject({
      traceparent: `00-${attempts[0]!.spanContext().traceId}-${attempts[0]!.spanContext().spanId}-01`,
      baggage: 'tenant=acme',
    });
  });

  it('with attempts: false, makes call spans only and sends the call span as parent', async () => {
    const { bridge, toolCalls } = await setup([tracing({ tracerProvider: provider, attempts: false })]);
    await bridge.callTool('lookup', { key: 'a1' });
    const { call, attempts } = toolSpans();
    expect(attempts).toHaveLength(0);
    expect(toolCalls()[0]!.meta?.traceparent).toBe(`00-${call[0]!.spanContext().traceId}-${call[0]!.spanContext().spanId}-01`);
  });
});

describe('no cost without a tracer', () => {
  it('sends nothing and records nothing when no provider is registered', async () => {
    // The global (nothing registered), and an explicit proxy provider with no delegate (renamed: one name per bridge).
    const { bridge, toolCalls } = await setup([
      tracing(),
      { ...tracing({ tracerProvider: new ProxyTracerProvider() }), name: 'tracing-second-copy' },
    ]);
    await bridge.callTool('lookup', { key: 'n1' });
    expect(toolCalls()[0]!.meta).toBeUndefined();
    expect(exporter.getFinishedSpans()).toHaveLength(0);
  });

  it('leaves a call untouched when the sampler drops its span', async () => {
    const sampledOut = new BasicTracerProvider({ sampler: new AlwaysOffSampler(), spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const { bridge, toolCalls } = await setup([tracing({ tracerProvider: sampledOut })]);
    await bridge.callTool('lookup', { key: 'n2' });
    expect(toolCalls()[0]!.meta).toBeUndefined();
    expect(exporter.getFinishedSpans()).toHaveLength(0);
    await sampledOut.shutdown();
  });

  it('with lateProvider, picks up a provider registered after the bridge started', async () => {
    const { bridge, toolCalls } = await setup([tracing({ lateProvider: true })]);
    await bridge.callTool('lookup', { key: 'late-1' });
    trace.setGlobalTracerProvider(provider);
    await bridge.callTool('lookup', { key: 'late-2' });
    expect(toolCalls()[0]!.meta).toBeUndefined();
    expect(toolCalls()[1]!.meta?.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(toolSpans().call).toHaveLength(1);
  });

  it('without lateProvider, adds no middleware when no provider is registered at start', async () => {
    const seen: string[] = [];
    const spy: Plugin = {
      name: 'test-spy',
      version: '1.0.0',
      setup(api) {
        // Runs after tracing in the observe phase: sees exactly what tracing passed on.
        api.use({
          phase: 'observe',
          order: 'after',
          handle: (ctx, next) => (seen.push(String(Object.getOwnPropertySymbols(ctx.state).length)), next()),
        });
      },
    };
    const { bridge, toolCalls } = await setup([tracing(), spy]);
    trace.setGlobalTracerProvider(provider); // too late: the pipeline was compiled without tracing
    await bridge.callTool('lookup', { key: 'late-3' });
    expect(toolCalls()[0]!.meta).toBeUndefined();
    expect(exporter.getFinishedSpans()).toHaveLength(0);
    expect(seen.at(-1)).toBe('0');
  });
});

describe('options', () => {
  it('fails start() naming the plugin and the option', async () => {
    for (const [options, pattern] of [
      [{ tracerProvider: {} }, /@mcp-bridge\/plugin-tracing.*tracerProvider: expected an OpenTelemetry TracerProvider/],
      [{ attempts: 'yes' }, /@mcp-bridge\/plugin-tracing.*attempts: expected boolean/],
      [{ exporter: 'otlp' }, /@mcp-bridge\/plugin-tracing.*unknown option "exporter"/],
    ] as const) {
      const bridge = createBridge({ servers: { flaky: inMemoryFaultServer({ tools: TOOLS }) }, plugins: [tracing(options as never)] });
      bridges.push(bridge);
      await expect(bridge.start()).rejects.toThrow(pattern);
    }
  });

  it('names the authenticated principal on the call span (user.id), never its claims', async () => {
    const { bridge } = await setup([tracing({ tracerProvider: provider })]);
    const principal = { id: 'alice', kind: 'jwt' as const, scopes: ['mcp'], claims: { email: 'alice@example.com' } };
    await bridge.callTool('lookup', { key: 'p1' }, { caller: 'alice', principal });
    const span = exporter.getFinishedSpans().find((s) => s.kind === SpanKind.INTERNAL && s.attributes['user.id'] !== undefined);
    expect(span?.attributes).toMatchObject({ 'user.id': 'alice', 'mcp_bridge.principal.kind': 'jwt' });
    expect(JSON.stringify(exporter.getFinishedSpans().map((s) => s.attributes))).not.toContain('alice@example.com');
  });

  it("skips the catalog's own list calls with catalog: false", async () => {
    await setup([tracing({ tracerProvider: provider, catalog: false })]);
    expect(exporter.getFinishedSpans()).toHaveLength(0);
    await setup([tracing({ tracerProvider: provider })]);
    expect(exporter.getFinishedSpans().some((s) => s.attributes[ATTR.BRIDGE_ORIGIN] === 'catalog' && s.name === 'tools/list')).toBe(true);
  });
});
