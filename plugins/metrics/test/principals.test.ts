import { createBridge } from '@mcp-bridge/core';
import { serveHttp } from '@mcp-bridge/server';
import { inMemoryFaultServer } from '@mcp-bridge/testing';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterEach, describe, expect, it } from 'vitest';
import { startAuthServer } from '../../../test/support/oauth-server.js';
import { metrics } from '../src/index.js';
import { find, parsePrometheus } from './prom-text.js';

// Calls by principal, through a real gateway whose callers are authenticated by JWTs a real
// authorization server signed: the label set stays bounded however many principals call.
const RESOURCE = 'https://gateway.test/mcp';
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => undefined);
});

describe('principal_calls_total', () => {
  it('counts calls per principal: the first N by name, later ones as (other); off by default', async () => {
    const as = await startAuthServer();
    cleanups.push(() => as.close());
    const fault = inMemoryFaultServer({ name: 'upstream', tools: { lookup: { readOnlyHint: true } } });
    const bridge = createBridge({ servers: { upstream: fault }, plugins: [metrics({ principals: 2 })], onError: () => undefined });
    cleanups.push(() => bridge.close());
    await bridge.start();
    const gw = await serveHttp(bridge, {
      onError: () => undefined,
      auth: { resource: RESOURCE, jwt: { issuer: as.issuer } },
      routes: { '/metrics': bridge.metrics.handler },
    });
    cleanups.push(() => gw.close());

    for (const [sub, calls] of [
      ['alice', 2],
      ['bob', 1],
      ['carol', 1],
      ['dave', 3],
    ] as const) {
      const token = await as.token({ sub, aud: RESOURCE, scope: 'mcp' });
      const c = new Client({ name: `metrics-${sub}`, version: '1.0.0' });
      await c.connect(
        new StreamableHTTPClientTransport(new URL(gw.url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }),
      );
      cleanups.push(() => c.close());
      for (let i = 0; i < calls; i++) await c.callTool({ name: 'lookup', arguments: {} });
    }
    // The scrape goes through the gateway's routes, behind its auth like every other route.
    const token = await as.token({ sub: 'ops', aud: RESOURCE, scope: 'mcp' });
    const text = await (await fetch(new URL('/metrics', gw.url), { headers: { authorization: `Bearer ${token}` } })).text();
    const { samples } = parsePrometheus(text);
    const calls = (principal: string): number | undefined =>
      find(samples, 'mcp_bridge_principal_calls_total', { principal, outcome: 'ok' })[0]?.value;
    expect(calls('alice')).toBe(2);
    expect(calls('bob')).toBe(1);
    expect(calls('carol')).toBeUndefined();
    expect(calls('(other)')).toBe(4);

    const plain = createBridge({
      servers: { upstream: inMemoryFaultServer({ name: 'upstream' }) },
      plugins: [metrics()],
      onError: () => undefined,
    });
    cleanups.push(() => plain.close());
    await plain.start();
    expect(await plain.metrics.registry.metrics()).not.toContain('principal_calls_total');
  });
});
