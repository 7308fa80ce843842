import { createBridge, PluginError, type Bridge } from '@mcp-bridge/core';
import { cache } from '@mcp-bridge/cache';
import { retry } from '@mcp-bridge/retry';
import { inMemoryFaultServer, type InMemoryFaultServerConfig } from '@mcp-bridge/testing';
import { register, Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { metrics } from '../src/index.js';
import { find, parsePrometheus, valueOf } from './prom-text.js';

const TOOLS = {
  lookup: { readOnlyHint: true },
  upsert: { idempotentHint: true },
  create: { destructiveHint: true },
  hang: { readOnlyHint: true },
};

let bridges: Bridge[] = [];
afterEach(async () => {
  await Promise.all(bridges.map((b) => b.close()));
  bridges = [];
});

function faultServer(extra: Parameters<typeof inMemoryFaultServer>[0] = {}): InMemoryFaultServerConfig {
  return inMemoryFaultServer({ name: 'flaky', tools: TOOLS, toolFaults: { hang: { rates: { hang: 1 } } }, ...extra });
}

async function start(options: Parameters<typeof createBridge>[0]): Promise<Bridge> {
  const bridge = createBridge(options);
  bridges.push(bridge);
  await bridge.start();
  return bridge;
}

async function scrape(bridge: Bridge) {
  return parsePrometheus(await bridge.metrics.metrics()).samples;
}

describe('metrics over a real bridge and the fault server', () => {
  it('counts calls by server, tool and outcome, with latency histograms, retries and in-flight calls', async () => {
    const flaky = faultServer();
    const bridge = await start({
      servers: { flaky: { ...flaky, trusted: true } },
      plugins: [metrics({ attempts: true }), retry({ baseDelayMs: 1, maxDelayMs: 2, breaker: false })],
    });

    await bridge.callTool('lookup', { key: 'a' });
    await bridge.callTool('lookup', { key: 'b' });
    flaky.setFaults({ script: ['error', 'ok'] }, 'lookup'); // one retry (read-only, trusted, -32603), then ok
    await bridge.callTool('lookup', { key: 'c' });
    flaky.setFaults({ script: ['is-error'] }, 'upsert');
    expect((await bridge.callTool('upsert', { key: 'd' })).isError).toBe(true);
    flaky.setFaults({ script: ['error'] }, 'create'); // a JSON-RPC error on a tool that is not safe to retry
    await expect(bridge.callTool('create', { key: 'e' })).rejects.toMatchObject({ code: -32603 });

    // A call in flight shows in the gauge, and is counted as cancelled when the caller aborts it.
    const controller = new AbortController();
    const hanging = bridge.callTool('hang', { key: 'h' }, { signal: controller.signal }).catch((e: unknown) => e);
    await flaky.ledger.waitFor((l) => l.tool('hang').received > 0);
    let samples = await scrape(bridge);
    expect(valueOf(samples, 'mcp_bridge_calls_in_flight', { server: 'flaky', method: 'tools/call' })).toBe(1);
    expect(valueOf(samples, 'mcp_bridge_upstream_in_flight', { upstream: 'flaky' })).toBe(1);
    controller.abort(new Error('the test gave up'));
    await hanging;

    samples = await scrape(bridge);
    const calls = (labels: Record<string, string>) =>
      valueOf(samples, 'mcp_bridge_calls_total', { server: 'flaky', method: 'tools/call', ...labels });
    expect(calls({ tool: 'lookup', outcome: 'ok', error_type: '' })).toBe(3);
    expect(calls({ tool: 'upsert', outcome: 'tool_error', error_type: 'tool_error' })).toBe(1);
    expect(calls({ tool: 'create', outcome: 'error', error_type: '-32603' })).toBe(1);
    expect(calls({ tool: 'hang', outcome: 'error', error_type: 'cancelled' })).toBe(1);
    expect(valueOf(samples, 'mcp_bridge_calls_in_flight', { server: 'flaky', method: 'tools/call' })).toBe(0);
    // The host's own catalog listing is counted too.
    expect(valueOf(samples, 'mcp_bridge_calls_total', { server: 'flaky', method: 'tools/list', outcome: 'ok' })).toBeGreaterThanOrEqual(1);

    expect(valueOf(samples, 'mcp_bridge_retries_total', { server: 'flaky', method: 'tools/call', tool: 'lookup' })).toBe(1);
    expect(valueOf(samples, 'mcp_bridge_retry_giveups_total', { server: 'flaky', method: 'tools/call', reason: 'unsafe' })).toBe(1);
    const attempts = (labels: Record<string, string>) =>
      valueOf(samples, 'mcp_bridge_upstream_attempts_total', { server: 'flaky', upstream: 'flaky', method: 'tools/call', ...labels });
    expect(attempts({ outcome: 'ok', error_type: '' })).toBe(3);
    expect(attempts({ outcome: 'error', error_type: '-32603' })).toBe(2); // lookup's first attempt and create

    // Histogram: cumulative buckets ending in +Inf = count, and a sum.
    const buckets = find(samples, 'mcp_bridge_call_duration_seconds_bucket', { tool: 'lookup', outcome: 'ok' });
    expect(buckets.length).toBeGreaterThan(2);
    expect(buckets.at(-1)!.labels.le).toBe('+Inf');
    expect(buckets.at(-1)!.value).toBe(3);
    for (let i = 1; i < buckets.length; i++) expect(buckets[i]!.value).toBeGreaterThanOrEqual(buckets[i - 1]!.value);
    expect(valueOf(samples, 'mcp_bridge_call_duration_seconds_count', { tool: 'lookup', outcome: 'ok' })).toBe(3);
    expect(valueOf(samples, 'mcp_bridge_call_duration_seconds_sum', { tool: 'lookup', outcome: 'ok' })).toBeGreaterThan(0);
    expect(valueOf(samples, 'mcp_bridge_call_duration_seconds_count', { tool: 'hang', outcome: 'error' })).toBe(1);

    // State read at scrape time.
    expect(valueOf(samples, 'mcp_bridge_upstream_health', { upstream: 'flaky', state: 'healthy' })).toBe(1);
    expect(valueOf(samples, 'mcp_bridge_upstream_health', { upstream: 'flaky', state: 'unhealthy' })).toBe(0);
    expect(valueOf(samples, 'mcp_bridge_upstream_up', { upstream: 'flaky' })).toBe(1);
    expect(valueOf(samples, 'mcp_bridge_upstream_connects_total', { upstream: 'flaky', outcome: 'ok' })).toBeGreaterThanOrEqual(1);
  });

  it('shows breaker state, health changes and circuit-open refusals', async () => {
    const flaky = faultServer({ toolFaults: { create: { rates: { 'drop-before': 1 } } } });
    const bridge = await start({
      servers: { flaky: { ...flaky, trusted: true } },
      plugins: [metrics(), retry({ attempts: 1, breaker: { minVolume: 1, consecutiveFailures: 2, openMs: 60_000 } })],
      reconnectMinMs: 1,
      reconnectMaxMs: 5,
    });
    for (let i = 0; i < 2; i++) await expect(bridge.callTool('create', { key: `x${i}` })).rejects.toThrow();
    await expect(bridge.callTool('create', { key: 'x3' })).rejects.toMatchObject({ code: 'CIRCUIT_OPEN' });

    const samples = await scrape(bridge);
    expect(valueOf(samples, 'mcp_bridge_breaker_state', { upstream: 'flaky', state: 'open' })).toBe(1);
    expect(valueOf(samples, 'mcp_bridge_breaker_state', { upstream: 'flaky', state: 'closed' })).toBe(0);
    expect(find(samples, 'mcp_bridge_breaker_opens_total', { upstream: 'flaky' }).reduce((a, s) => a + s.value, 0)).toBe(1);
    expect(valueOf(samples, 'mcp_bridge_calls_total', { tool: 'create', outcome: 'error', error_type: 'circuit_open' })).toBe(1);
    expect(valueOf(samples, 'mcp_bridge_calls_total', { tool: 'create', outcome: 'error', error_type: 'upstream_unavailable' })).toBe(2);
    // Core's passive health marked the upstream unhealthy when its connection dropped.
    expect(valueOf(samples, 'mcp_bridge_upstream_health_changes_total', { upstream: 'flaky', state: 'unhealthy' })).toBeGreaterThanOrEqual(
      1,
    );
  });

  it('counts cache hits and misses from @mcp-bridge/cache', async () => {
    const flaky = faultServer();
    const bridge = await start({
      servers: { flaky: { ...flaky, trusted: true } },
      plugins: [metrics({ attempts: true }), cache({ tools: { lookup: { ttl: 60_000 } } })],
    });
    const first = await bridge.callTool('lookup', { key: 'cached' });
    const second = await bridge.callTool('lookup', { key: 'cached' });
    expect(second).toEqual(first);
    expect(flaky.ledger.executions('cached')).toBe(1);
    const samples = await scrape(bridge);
    expect(valueOf(samples, 'mcp_bridge_cache_requests_total', { server: 'flaky', method: 'tools/call', result: 'miss' })).toBe(1);
    expect(
      valueOf(samples, 'mcp_bridge_cache_requests_total', { server: 'flaky', method: 'tools/call', result: 'hit', detail: 'l1' }),
    ).toBe(1);
    // A hit is still a call the bridge answered.
    expect(valueOf(samples, 'mcp_bridge_calls_total', { tool: 'lookup', outcome: 'ok' })).toBe(2);
    expect(valueOf(samples, 'mcp_bridge_upstream_attempts_total', { upstream: 'flaky', method: 'tools/call', outcome: 'ok' })).toBe(1);
  });
});

describe('registries and options', () => {
  it("keeps to its own registry: prom-client's global register stays empty", async () => {
    const before = register.getMetricsAsArray().length;
    const bridge = await start({ servers: { flaky: faultServer() }, plugins: [metrics()] });
    await bridge.callTool('lookup', { key: 'k' });
    expect(register.getMetricsAsArray().length).toBe(before);
    expect(bridge.metrics.registry).not.toBe(register);
    expect(bridge.metrics.contentType).toMatch(/^text\/plain/);
  });

  it('registers in a registry you pass, refuses a second bridge on it, and frees it on close', async () => {
    const registry = new Registry();
    const first = await start({ servers: { flaky: faultServer() }, plugins: [metrics({ registry, prefix: 'gw_' })] });
    await first.callTool('lookup', { key: 'k' });
    expect(parsePrometheus(await registry.metrics()).samples.some((s) => s.name === 'gw_calls_total' && s.labels.tool === 'lookup')).toBe(
      true,
    );

    const second = createBridge({ servers: { flaky: faultServer() }, plugins: [metrics({ registry, prefix: 'gw_' })] });
    const error = await second.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PluginError);
    expect(String((error as Error).message)).toMatch(/@mcp-bridge\/plugin-metrics.*gw_calls_total.*already been registered/);
    // The failed setup took back what it had registered: the first bridge's metrics are intact.
    expect(parsePrometheus(await registry.metrics()).samples.some((s) => s.name === 'gw_calls_total')).toBe(true);

    await first.close();
    expect(registry.getMetricsAsArray()).toHaveLength(0);
    const third = await start({ servers: { flaky: faultServer() }, plugins: [metrics({ registry, prefix: 'gw_' })] });
    await third.callTool('lookup', { key: 'k' });
    expect(valueOf(parsePrometheus(await registry.metrics()).samples, 'gw_calls_total', { tool: 'lookup', outcome: 'ok' })).toBe(1);
  });

  it('applies defaultLabels, custom buckets and toolLabel: false', async () => {
    const bridge = await start({
      servers: { flaky: faultServer() },
      plugins: [metrics({ defaultLabels: { instance: 'gw-1' }, buckets: [0.5, 1], toolLabel: false })],
    });
    await bridge.callTool('lookup', { key: 'k' });
    const samples = await scrape(bridge);
    expect(valueOf(samples, 'mcp_bridge_calls_total', { method: 'tools/call', tool: '', instance: 'gw-1' })).toBe(1);
    expect(find(samples, 'mcp_bridge_call_duration_seconds_bucket', { method: 'tools/call' }).map((s) => s.labels.le)).toEqual([
      '0.5',
      '1',
      '+Inf',
    ]);
    expect(find(samples, 'mcp_bridge_upstream_attempts_total')).toHaveLength(0);
  });

  it('fails start() naming the plugin and the option when an option is wrong', async () => {
    for (const [options, pattern] of [
      [{ buckets: [1, 0.5] }, /@mcp-bridge\/plugin-metrics.*buckets: expected strictly increasing/],
      [{ prefix: 'bad-prefix' }, /@mcp-bridge\/plugin-metrics.*prefix/],
      [{ registry: {} }, /@mcp-bridge\/plugin-metrics.*registry: expected a prom-client Registry/],
      [{ colour: 'red' }, /@mcp-bridge\/plugin-metrics.*unknown option "colour"/],
    ] as const) {
      const bridge = createBridge({ servers: { flaky: faultServer() }, plugins: [metrics(options as never)] });
      bridges.push(bridge);
      await expect(bridge.start()).rejects.toThrow(pattern);
    }
  });
});
