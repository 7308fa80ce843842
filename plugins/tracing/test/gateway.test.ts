import { createBridge, type Bridge } from '@mcp-bridge/core';
import { serveHttp, type HttpGateway } from '@mcp-bridge/server';
import { inMemoryFaultServer } from '@mcp-bridge/testing';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { SpanKind } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { ATTR, tracing } from '../src/index.js';
import { recordingUpstream } from './recording-upstream.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => undefined);
});

describe('through the HTTP gateway', () => {
  it("continues the downstream client's trace from the tools/call request's _meta.traceparent", async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    cleanups.push(() => provider.shutdown());
    const upstream = recordingUpstream(inMemoryFaultServer({ name: 'flaky', tools: { lookup: { readOnlyHint: true } } }));
    const bridge: Bridge = createBridge({
      servers: { flaky: upstream.config },
      plugins: [tracing({ tracerProvider: provider })],
      onError: () => undefined,
    });
    cleanups.push(() => bridge.close());
    const gw: HttpGateway = await serveHttp(bridge, { onError: () => undefined });
    cleanups.push(() => gw.close());
    const client = new Client({ name: 'traced-agent', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(gw.url)));
    cleanups.push(() => client.close());

    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const result = await client.request(
      {
        method: 'tools/call',
        params: {
          name: 'lookup',
          arguments: { key: 'gw1' },
          _meta: { traceparent: `00-${traceId}-00f067aa0ba902b7-01`, tracestate: 'rojo=1' },
        },
      },
      CallToolResultSchema,
    );
    expect(result.isError).toBeFalsy();

    const spans = exporter.getFinishedSpans().filter((s) => s.attributes[ATTR.METHOD] === 'tools/call');
    const call = spans.find((s) => s.kind === SpanKind.INTERNAL)!;
    const attempt = spans.find((s) => s.kind === SpanKind.CLIENT)!;
    expect(call.spanContext().traceId).toBe(traceId);
    expect(call.parentSpanContext).toMatchObject({ traceId, spanId: '00f067aa0ba902b7', isRemote: true });
    expect(attempt.parentSpanContext?.spanId).toBe(call.spanContext().spanId);
    // The upstream gets the attempt span as its parent, with the caller's tracestate.
    const sent = upstream.received.find((r) => r.method === 'tools/call')!;
    expect(sent.meta).toMatchObject({ traceparent: `00-${traceId}-${attempt.spanContext().spanId}-01`, tracestate: 'rojo=1' });
  });
});
