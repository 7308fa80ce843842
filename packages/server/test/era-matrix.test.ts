import { cache } from '@mcp-bridge/cache';
import { createBridge, type Bridge } from '@mcp-bridge/core';
import { loadBalancer } from '@mcp-bridge/loadbalancer';
import { retry } from '@mcp-bridge/retry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayClientCapabilities, serveHttp } from '../src/index.js';
import { httpClient, textOf, waitFor, type TestClient } from './support/clients.js';
import { startRulesKind, type RulesKind } from './support/era-rules.js';
import { startUpstreamKind, UPSTREAM_KINDS, type UpstreamKind, type UpstreamKindName } from './support/era-kinds.js';

// The same bridge behaviours through a real gateway (serveHttp over createBridge, 2025-era SDK clients
// downstream) in front of each upstream kind: a legacy (2025-11-25 only) server, a dual-era server and a
// modern-only (2026-07-28) server, each over stdio (a real child process) and Streamable HTTP (a real
// server on 127.0.0.1). One gateway per kind, shared by its cells.
//
// Era differences the design settles (docs/protocol-eras.md): a dual-era server answers a 2025 client
// statelessly over HTTP, so it could not ask that client anything; but the bridge negotiates 2026-07-28
// with it (protocol: auto), gets `input_required`, and asks the downstream client on its own session, so
// elicitation, sampling and roots work for every kind through the gateway.

describe.each(UPSTREAM_KINDS)('era matrix: %s upstream', (kindName: UpstreamKindName) => {
  let kind: UpstreamKind;
  let bridge: Bridge;
  let gateway: Awaited<ReturnType<typeof serveHttp>>;
  let c: TestClient;

  beforeAll(async () => {
    kind = await startUpstreamKind(kindName);
    bridge = createBridge({ servers: kind.servers, clientCapabilities: gatewayClientCapabilities(), onError: () => undefined });
    await bridge.start();
    gateway = await serveHttp(bridge, { onError: () => undefined });
    c = await httpClient('a', gateway.url, { roots: [{ uri: 'file:///matrix-root', name: 'root' }] });
  }, 60_000);

  afterAll(async () => {
    await c?.close().catch(() => undefined);
    await gateway?.close().catch(() => undefined);
    await bridge?.close().catch(() => undefined);
    await kind?.close();
  });

  it('negotiates the era the upstream offers', () => {
    const eras = bridge.status().flatMap((s) => s.upstreams.map((u) => u.era));
    expect(new Set(eras)).toEqual(new Set([kind.expectedEra]));
  });

  it('catalog: tools, prompts and resources are listed', async () => {
    const tools = (await c.client.listTools()).tools.map((t) => t.name);
    expect(tools).toEqual(expect.arrayContaining(['echo', 'progress', 'slow', 'add_tool', ...Object.values(kind.ask)]));
    expect((await c.client.listPrompts()).prompts.map((p) => p.name)).toContain('greet');
    expect((await c.client.listResources()).resources.map((r) => r.uri)).toContain(kind.ledgerUri);
  });

  it('a call', async () => {
    expect(textOf(await c.client.callTool({ name: 'echo', arguments: { text: `hi ${kindName}` } }))).toBe(`hi ${kindName}`);
  });

  it('progress is forwarded to the caller', async () => {
    const progress: number[] = [];
    const result = await c.client.callTool({ name: 'progress', arguments: { steps: 3 } }, undefined, {
      onprogress: (p) => progress.push(p.progress),
    });
    expect(result.isError).toBeFalsy();
    expect(progress).toEqual([1, 2, 3]);
  });

  it('cancellation reaches the upstream (its ledger counts a cancelled slow)', async () => {
    const before = await kind.cancelledSlow(c);
    const controller = new AbortController();
    const call = c.client.callTool({ name: 'slow', arguments: { ms: 20_000 } }, undefined, { signal: controller.signal });
    await waitFor('slow to start upstream', async () => (await kind.inFlightSlow(c)) > 0);
    controller.abort();
    await expect(call).rejects.toThrow();
    await waitFor('the upstream to record the cancellation', async () => (await kind.cancelledSlow(c)) > before);
  });

  it('elicitation, sampling and roots reach the downstream client and the calls complete', async () => {
    const elicited = await c.client.callTool({ name: kind.ask.elicit, arguments: kind.askArgs.elicit });
    expect(elicited.isError).toBeFalsy();
    expect(c.elicitation).toHaveLength(1);
    const sampled = await c.client.callTool({ name: kind.ask.sample, arguments: kind.askArgs.sample });
    expect(sampled.isError).toBeFalsy();
    expect(textOf(sampled)).toContain('sampled by a');
    expect(c.sampling).toHaveLength(1);
    const roots = await c.client.callTool({ name: kind.ask.roots, arguments: {} });
    expect(roots.isError).toBeFalsy();
    expect(textOf(roots)).toContain('file:///matrix-root');
    // The gateway learns the client's roots from the client: a 2025 upstream's roots/list is answered from
    // what the gateway asked at session start, a modern upstream's input_required round asks again.
    expect(c.rootsAsked).toBeGreaterThan(0);
  });

  it('resource updates reach a subscriber', async () => {
    await c.client.subscribeResource({ uri: kind.watchedUri });
    await c.client.callTool({ name: kind.ask.bump, arguments: {} });
    await waitFor(`resources/updated for ${kind.watchedUri}`, () => c.updated.includes(kind.watchedUri));
  });

  it('a list change reaches the client as list_changed and the catalog refreshes', async () => {
    const added = await c.client.callTool({ name: 'add_tool', arguments: { name: 'added_later' } });
    expect(added.isError).toBeFalsy();
    await waitFor('tools list_changed', () => c.listChanged.includes('tools'));
    await waitFor('the added tool in the catalog', async () => (await c.client.listTools()).tools.some((t) => t.name === 'added_later'));
  });
});

// Retry, cache and load-balancing rules, on a second gateway per kind whose bridge runs the three plugins.
describe.each(UPSTREAM_KINDS)('era matrix rules: %s upstream', (kindName: UpstreamKindName) => {
  let kind: RulesKind;
  let bridge: Bridge;
  let gateway: Awaited<ReturnType<typeof serveHttp>>;
  let c: TestClient;

  beforeAll(async () => {
    kind = await startRulesKind(kindName);
    bridge = createBridge({
      servers: kind.servers,
      reconnectMinMs: 10,
      plugins: [
        // A dropped stdio server is respawned between attempts; an HTTP drop-after leaves a 2025 request
        // waiting for an answer that will not come, so attempts get a timeout of their own.
        retry({ attempts: 8, baseDelayMs: 100, maxDelayMs: 1_000, attemptTimeoutMs: 3_000, budget: false, breaker: false }),
        cache({ ttl: 60_000, jitter: 0 }),
        // Round robin: sequential calls then reach both replicas (least-outstanding would keep picking the first).
        loadBalancer({ picker: 'round-robin' }),
      ],
      clientCapabilities: gatewayClientCapabilities(),
      onError: () => undefined,
    });
    await bridge.start();
    gateway = await serveHttp(bridge, { onError: () => undefined });
    c = await httpClient('a', gateway.url);
  }, 60_000);

  afterAll(async () => {
    await c?.close().catch(() => undefined);
    await gateway?.close().catch(() => undefined);
    await bridge?.close().catch(() => undefined);
    await kind?.close();
  });

  it('a read-only call of a trusted server is retried after a drop before it ran, and runs once', async () => {
    const result = await c.client.callTool({ name: 'lookup', arguments: { key: 'r1', text: 'x' } });
    expect(result.isError).toBeFalsy();
    expect(kind.faults('drop-before')).toBe(1);
    expect(kind.executions('r1')).toBe(1);
  });

  it('a non-idempotent call is not retried after a drop after it ran: one execution, an error', async () => {
    const outcome = await c.client.callTool({ name: 'create', arguments: { key: 'c1', text: 'x' } }).then(
      (r) => (r.isError ? 'error result' : 'ok'),
      () => 'rejected',
    );
    expect(outcome).not.toBe('ok');
    expect(kind.faults('drop-after')).toBe(1);
    expect(kind.executions('c1')).toBe(1);
  });

  it('a cacheable read is answered from the cache the second time', async () => {
    const first = await c.client.readResource({ uri: kind.cacheUri });
    const hitsBefore = bridge.cache.stats().hits;
    const second = await c.client.readResource({ uri: kind.cacheUri });
    expect(second.contents).toEqual(first.contents);
    expect(bridge.cache.stats().hits).toBe(hitsBefore + 1);
  });

  it('a load-balanced replica group of two upstreams of this kind: calls spread over both replicas', async () => {
    const whoami = async (client: TestClient, n: number): Promise<string[]> => {
      const texts: string[] = [];
      for (let i = 0; i < n; i++) texts.push(textOf(await client.client.callTool({ name: 'rep_whoami', arguments: {} })));
      return texts;
    };
    const alone = await whoami(c, 4);
    // Caller affinity (`auto`) pins a caller to one replica of a 2025-era HTTP upstream, whose sessions
    // are per connection; a stdio or 2026-07-28 (stateless) upstream has nothing to pin, so round robin
    // spreads even one caller's calls.
    // (Over stdio replicas are told apart by pid, and a 2025 stdio upstream may open a per-caller session
    // lane, one more process of the same replica: hence "at least two".)
    if (kind.callerPinned) expect(kind.replicasUsed(alone)).toBe(1);
    else expect(kind.replicasUsed(alone)).toBeGreaterThanOrEqual(2);
    const other = await httpClient('b', gateway.url);
    const both = [...alone, ...(await whoami(other, 4).finally(() => other.close()))];
    expect(kind.replicasUsed(both)).toBeGreaterThanOrEqual(2);
  });
});
