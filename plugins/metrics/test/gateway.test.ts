import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createBridge, type Bridge } from '@mcp-bridge/core';
import { serveHttp, type HttpGateway } from '@mcp-bridge/server';
import { inMemoryFaultServer } from '@mcp-bridge/testing';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterEach, describe, expect, it } from 'vitest';
import { metrics } from '../src/index.js';
import { parsePrometheus, valueOf } from './prom-text.js';

const TOKEN = 'metrics-test-token';
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function bridgeOverFaultServer(): Promise<{ bridge: Bridge; fault: ReturnType<typeof inMemoryFaultServer> }> {
  const fault = inMemoryFaultServer({
    name: 'upstream',
    tools: { lookup: { readOnlyHint: true }, upsert: { idempotentHint: true } },
    toolFaults: { upsert: { rates: { 'is-error': 1 } } },
  });
  const bridge = createBridge({ servers: { upstream: fault }, plugins: [metrics()] });
  cleanups.push(() => bridge.close());
  await bridge.start();
  return { bridge, fault };
}

describe('the /metrics endpoint', () => {
  it('is served by the HTTP gateway, behind its token, and reflects calls made through the gateway', async () => {
    const { bridge, fault } = await bridgeOverFaultServer();
    const gateway: HttpGateway = await serveHttp(bridge, { token: TOKEN, routes: { '/metrics': bridge.metrics.handler } });
    cleanups.push(() => gateway.close());

    // An MCP client calls through the gateway: gateway → bridge (plugin) → fault server.
    const client = new Client({ name: 'metrics-test', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(gateway.url), { requestInit: { headers: { authorization: `Bearer ${TOKEN}` } } }),
    );
    cleanups.push(() => client.close());
    for (let i = 0; i < 3; i++) await client.callTool({ name: 'lookup', arguments: { key: `k${i}` } });
    expect((await client.callTool({ name: 'upsert', arguments: { key: 'u' } })).isError).toBe(true);
    expect(fault.ledger.executions('k2')).toBe(1);

    const metricsUrl = new URL('/metrics', gateway.url);
    expect((await fetch(metricsUrl)).status).toBe(401);
    expect((await fetch(metricsUrl, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(405);

    const res = await fetch(metricsUrl, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const { samples, types } = parsePrometheus(await res.text());
    expect(types.get('mcp_bridge_calls_total')).toBe('counter');
    expect(types.get('mcp_bridge_call_duration_seconds')).toBe('histogram');
    expect(types.get('mcp_bridge_calls_in_flight')).toBe('gauge');
    expect(valueOf(samples, 'mcp_bridge_calls_total', { server: 'upstream', method: 'tools/call', tool: 'lookup', outcome: 'ok' })).toBe(3);
    expect(
      valueOf(samples, 'mcp_bridge_calls_total', { server: 'upstream', method: 'tools/call', tool: 'upsert', outcome: 'tool_error' }),
    ).toBe(1);
    expect(valueOf(samples, 'mcp_bridge_call_duration_seconds_count', { tool: 'lookup', outcome: 'ok' })).toBe(3);
    expect(valueOf(samples, 'mcp_bridge_upstream_up', { server: 'upstream', upstream: 'upstream' })).toBe(1);

    // Unknown paths are still 404; the gateway's own endpoints are untouched.
    expect((await fetch(new URL('/nope', gateway.url))).status).toBe(404);
    expect((await fetch(new URL('/healthz', gateway.url))).status).toBe(200);
  });

  it('mounts in your own node:http server through bridge.metrics.handler', async () => {
    const { bridge } = await bridgeOverFaultServer();
    await bridge.callTool('lookup', { key: 'own' });
    const server: Server = createServer((req, res) => {
      if (req.url === '/metrics') bridge.metrics.handler(req, res);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => server.close(resolve)));
    const port = (server.address() as AddressInfo).port;

    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.status).toBe(200);
    const { samples } = parsePrometheus(await res.text());
    expect(valueOf(samples, 'mcp_bridge_calls_total', { tool: 'lookup', outcome: 'ok' })).toBe(1);
    const head = await fetch(`http://127.0.0.1:${port}/metrics`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });
});
