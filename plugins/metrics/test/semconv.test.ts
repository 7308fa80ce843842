import { randomUUID } from 'node:crypto';
import { createBridge, CORE_VERSION, type Bridge } from '@mcp-bridge/core';
import { serveHttp } from '@mcp-bridge/server';
import { startHttpTestServer, stdioTestServer, type HttpTestServer } from '@mcp-bridge/testing';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { metrics } from '../src/index.js';
import { find, parsePrometheus, valueOf, type Sample } from './prom-text.js';

const marker = `semconv-${randomUUID().slice(0, 8)}`;
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

/** A bridge over a real stdio upstream (`solo`: echo, fail) and a real Streamable HTTP one (`web`: add). */
async function bridgeOverRealUpstreams(): Promise<{ bridge: Bridge; web: HttpTestServer }> {
  const web = await startHttpTestServer({ name: `web-${marker}`, tools: ['add'], resources: false, prompts: false });
  cleanups.push(() => web.close());
  const solo = stdioTestServer({ name: `solo-${marker}`, tools: ['echo', 'fail'], resources: false, prompts: false });
  const bridge = createBridge({ servers: { solo, web: { type: 'http', url: web.url } }, plugins: [metrics()] });
  cleanups.push(() => bridge.close());
  await bridge.start();
  return { bridge, web };
}

/** Every histogram's `_count` equals its `+Inf` bucket, and buckets never decrease. */
function checkHistogram(samples: readonly Sample[], name: string): void {
  for (const count of find(samples, `${name}_count`)) {
    const buckets = find(samples, `${name}_bucket`, count.labels);
    expect(buckets.find((b) => b.labels.le === '+Inf')?.value).toBe(count.value);
    for (let i = 1; i < buckets.length; i++) expect(buckets[i]!.value).toBeGreaterThanOrEqual(buckets[i - 1]!.value);
  }
}

describe('OpenTelemetry MCP semantic-convention metrics on /metrics of a real gateway', () => {
  it('records server (downstream) and client (upstream) operation durations, sessions, build info and process metrics', async () => {
    const { bridge } = await bridgeOverRealUpstreams();
    const gateway = await serveHttp(bridge, { routes: { '/metrics': bridge.metrics.handler } });
    cleanups.push(() => gateway.close());
    const untrack = bridge.metrics.trackGateway({ transport: 'tcp', sessions: () => gateway.sessionCount() });

    const transport = new StreamableHTTPClientTransport(new URL(gateway.url));
    const client = new Client({ name: 'semconv-test', version: '1.0.0' });
    await client.connect(transport);
    cleanups.push(() => client.close());
    await client.callTool({ name: 'echo', arguments: { text: 'one' } });
    await client.callTool({ name: 'echo', arguments: { text: 'two' } });
    expect((await client.callTool({ name: 'fail', arguments: {} })).isError).toBe(true);
    await client.callTool({ name: 'add', arguments: { a: 1, b: 2 } });
    // Requests the gateway answers itself, from the catalog or without the bridge, count too.
    await client.ping();
    await client.listTools();
    await expect(client.getPrompt({ name: 'no-such-prompt' })).rejects.toThrow();
    // A library call on the bridge goes to the upstream, but no MCP client asked the bridge for it.
    await bridge.callTool('echo', { text: 'library' });

    const scrape = async (): Promise<{ samples: Sample[]; types: Map<string, string> }> => {
      const res = await fetch(new URL('/metrics', gateway.url));
      expect(res.status).toBe(200);
      return parsePrometheus(await res.text());
    };
    const { samples, types } = await scrape();
    const server = 'mcp_server_operation_duration_seconds';
    const clientOp = 'mcp_client_operation_duration_seconds';
    expect(types.get(server)).toBe('histogram');
    expect(types.get(clientOp)).toBe('histogram');
    checkHistogram(samples, server);
    checkHistogram(samples, clientOp);
    // The labels of every series in one order (dashboards and scrapers matching the text rely on it).
    for (const s of [...find(samples, `${server}_count`), ...find(samples, `${clientOp}_count`)])
      expect(Object.keys(s.labels)).toEqual([
        'mcp_method_name',
        'gen_ai_tool_name',
        'error_type',
        'network_transport',
        'mcp_protocol_version',
        'server',
      ]);

    // Downstream: what the gateway served, labelled with the exposed tool name and the client's transport.
    const served = { mcp_method_name: 'tools/call', network_transport: 'tcp' };
    expect(valueOf(samples, `${server}_count`, { ...served, gen_ai_tool_name: 'echo', error_type: '' })).toBe(2);
    expect(valueOf(samples, `${server}_count`, { ...served, gen_ai_tool_name: 'fail', error_type: 'tool_error' })).toBe(1);
    expect(valueOf(samples, `${server}_count`, { ...served, gen_ai_tool_name: 'add', error_type: '', server: 'web' })).toBe(1);
    expect(valueOf(samples, `${server}_sum`, { ...served, gen_ai_tool_name: 'echo' })).toBeGreaterThan(0);
    // Every request the gateway answered, with the protocol version it negotiated with this client.
    const answered = { network_transport: 'tcp', mcp_protocol_version: LATEST_PROTOCOL_VERSION, gen_ai_tool_name: '', server: '' };
    expect(valueOf(samples, `${server}_count`, { ...answered, mcp_method_name: 'initialize', error_type: '' })).toBe(1);
    expect(valueOf(samples, `${server}_count`, { ...answered, mcp_method_name: 'ping', error_type: '' })).toBe(1);
    expect(valueOf(samples, `${server}_count`, { ...answered, mcp_method_name: 'tools/list', error_type: '' })).toBe(1);
    const failedGet = find(samples, `${server}_count`, { ...answered, mcp_method_name: 'prompts/get' });
    expect(failedGet.map((s) => [s.labels.error_type !== '', s.value])).toEqual([[true, 1]]);
    expect(find(samples, `${server}_count`, { mcp_protocol_version: '' })).toEqual([]);

    // Upstream: every request sent, with the upstream's transport; the library call is one of them.
    expect(
      valueOf(samples, `${clientOp}_count`, {
        mcp_method_name: 'tools/call',
        gen_ai_tool_name: 'echo',
        network_transport: 'pipe',
        error_type: '',
        server: 'solo',
      }),
    ).toBe(3);
    expect(
      valueOf(samples, `${clientOp}_count`, { mcp_method_name: 'tools/call', gen_ai_tool_name: 'fail', error_type: 'tool_error' }),
    ).toBe(1);
    // Streamable HTTP upstreams report the protocol version they negotiated.
    expect(
      valueOf(samples, `${clientOp}_count`, {
        gen_ai_tool_name: 'add',
        network_transport: 'tcp',
        mcp_protocol_version: LATEST_PROTOCOL_VERSION,
        server: 'web',
      }),
    ).toBe(1);
    // ... and so do stdio ones.
    expect(
      valueOf(samples, `${clientOp}_count`, {
        mcp_method_name: 'initialize',
        server: 'solo',
        network_transport: 'pipe',
        mcp_protocol_version: LATEST_PROTOCOL_VERSION,
        error_type: '',
      }),
    ).toBe(1);
    expect(find(samples, `${clientOp}_count`, { server: 'solo', mcp_protocol_version: '' })).toEqual([]);
    expect(
      valueOf(samples, `${clientOp}_count`, {
        mcp_method_name: 'initialize',
        server: 'web',
        mcp_protocol_version: LATEST_PROTOCOL_VERSION,
      }),
    ).toBe(1);
    // The host's own list refreshes are upstream requests too.
    expect(find(samples, `${clientOp}_count`, { mcp_method_name: 'tools/list', server: 'solo' }).length).toBe(1);

    expect(types.get('mcp_bridge_downstream_sessions')).toBe('gauge');
    expect(valueOf(samples, 'mcp_bridge_downstream_sessions', { network_transport: 'tcp' })).toBe(1);
    expect(valueOf(samples, 'mcp_bridge_build_info', { version: CORE_VERSION })).toBe(1);
    expect(types.get('process_cpu_user_seconds_total')).toBe('counter');
    expect(valueOf(samples, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(types.get('nodejs_eventloop_lag_seconds')).toBe('gauge');
    // The existing names keep working.
    expect(valueOf(samples, 'mcp_bridge_calls_total', { server: 'solo', tool: 'echo', outcome: 'ok' })).toBe(3);

    // The session ends: the gauge follows; a gateway no longer tracked is not counted.
    await transport.terminateSession();
    expect(valueOf((await scrape()).samples, 'mcp_bridge_downstream_sessions', { network_transport: 'tcp' })).toBe(0);
    untrack();
    expect(find((await scrape()).samples, 'mcp_bridge_downstream_sessions')).toEqual([]);
  });

  it('leaves process metrics to a registry you pass, and says so when asked to add them twice', async () => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    const plain = createBridge({ servers: {}, plugins: [metrics({ registry })] });
    cleanups.push(() => plain.close());
    await plain.start();
    expect(await plain.metrics.metrics()).toContain('mcp_server_operation_duration_seconds');
    await plain.close();

    const twice = createBridge({ servers: {}, plugins: [metrics({ registry, processMetrics: true })] });
    cleanups.push(() => twice.close());
    await expect(twice.start()).rejects.toThrow(/cannot register the process metrics: .*set processMetrics: false/);
  });

  it('semconv: false leaves the semantic-convention metrics out', async () => {
    const bridge = createBridge({ servers: {}, plugins: [metrics({ semconv: false })] });
    cleanups.push(() => bridge.close());
    await bridge.start();
    const text = await bridge.metrics.metrics();
    expect(text).not.toContain('mcp_server_operation_duration_seconds');
    expect(text).not.toContain('process_cpu_user_seconds_total');
    expect(text).toContain('mcp_bridge_calls_total');
  });
});
