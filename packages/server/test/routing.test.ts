import { createBridge, type Bridge, type SessionsMode } from '@mcp-bridge/core';
import { createConformanceServer } from '@mcp-bridge/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { gatewayClientCapabilities, serveHttp, serveStdio, type HttpGateway } from '../src/index.js';
import { httpClient, testClient, textOf, waitFor, type TestClient } from './support/clients.js';
import { streamPair } from './support/streams.js';

describe('routing server-to-client requests', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => undefined);
  });

  async function gatewayWithFixture(sessions: SessionsMode = 'auto'): Promise<{ bridge: Bridge; gateway: HttpGateway }> {
    const bridge = createBridge({
      servers: { fixture: { type: 'in-memory', server: () => createConformanceServer(), sessions } },
      clientCapabilities: gatewayClientCapabilities(),
      onError: () => undefined,
    });
    cleanups.push(() => bridge.close());
    const gateway = await serveHttp(bridge, { onError: () => undefined });
    cleanups.push(() => gateway.close());
    return { bridge, gateway };
  }

  async function client(name: string, url: string, capable = true): Promise<TestClient> {
    const c = await httpClient(name, url, { capable });
    cleanups.push(() => c.close());
    return c;
  }

  it('each caller holds its own upstream session: with calls of two clients in flight, sampling goes to the caller', async () => {
    const { bridge, gateway } = await gatewayWithFixture();
    const a = await client('a', gateway.url);
    const b = await client('b', gateway.url);
    const stopB = new AbortController();
    const busy = b.client
      .callTool({ name: 'test_wait_for_cancel', arguments: { ms: 20_000 } }, undefined, { signal: stopB.signal })
      .catch((e: unknown) => e);
    await waitFor("B's call to be in flight on the upstream", () => bridge.upstreams('fixture')[0]!.inFlight === 1);
    expect(textOf(await a.client.callTool({ name: 'test_sampling', arguments: { prompt: 'whose?' } }))).toContain('sampled by a');
    expect(a.sampling).toHaveLength(1);
    expect(b.sampling).toHaveLength(0);
    stopB.abort('done');
    await busy;
  });

  it('sessions: shared — refuses when calls of two clients are in flight on the upstream: never the wrong client', async () => {
    const { bridge, gateway } = await gatewayWithFixture('shared');
    const a = await client('a', gateway.url);
    const b = await client('b', gateway.url);
    // B's call stays in flight until B gives up on it, however long A's call takes to get there.
    const stopB = new AbortController();
    const busy = b.client
      .callTool({ name: 'test_wait_for_cancel', arguments: { ms: 20_000 } }, undefined, { signal: stopB.signal })
      .catch((e: unknown) => e);
    await waitFor("B's call to be in flight on the upstream", () => bridge.upstreams('fixture')[0]!.inFlight === 1);
    // The fixture's tool does not catch the refusal: it comes back as the call's JSON-RPC error, unwrapped once.
    const refused = a.client.callTool({ name: 'test_sampling', arguments: { prompt: 'whose?' } });
    await expect(refused).rejects.toThrow(
      /^MCP error -32600: \[mcp-bridge\] gateway: sampling\/createMessage from server "fixture" refused: calls of 2 clients are in flight on this shared upstream session/,
    );
    expect(a.sampling).toHaveLength(0);
    expect(b.sampling).toHaveLength(0);
    stopB.abort('done');
    await busy;
    await waitFor("B's cancellation to reach the upstream", () => bridge.upstreams('fixture')[0]!.inFlight === 0);
    // Alone again: routed.
    expect(textOf(await a.client.callTool({ name: 'test_sampling', arguments: { prompt: 'mine' } }))).toContain('sampled by a');
  });

  it('routes to the only capable client when the other one in flight cannot answer', async () => {
    const { bridge, gateway } = await gatewayWithFixture();
    const a = await client('a', gateway.url);
    const plain = await client('plain', gateway.url, false);
    // The plain client's call stays in flight while A's call runs: two callers, one of them capable.
    const stopPlain = new AbortController();
    const busy = plain.client
      .callTool({ name: 'test_wait_for_cancel', arguments: { ms: 20_000 } }, undefined, { signal: stopPlain.signal })
      .catch((e: unknown) => e);
    await waitFor("the plain client's call to be in flight on the upstream", () => bridge.upstreams('fixture')[0]!.inFlight === 1);
    expect(textOf(await a.client.callTool({ name: 'test_elicitation', arguments: { message: 'who are you?' } }))).toContain(
      'action=decline',
    );
    expect(a.elicitation).toHaveLength(1);
    expect(plain.elicitation).toHaveLength(0);
    stopPlain.abort('done');
    await busy;
  });

  it('roots/list inside a call goes to the caller, not to the client that last announced roots', async () => {
    const { gateway } = await gatewayWithFixture();
    const a = await client('a', gateway.url);
    const b = await client('b', gateway.url);
    a.roots.push({ uri: 'file:///tmp/a' });
    b.roots.push({ uri: 'file:///tmp/b' });
    await a.client.sendRootsListChanged();
    // After A's roots/list_changed, a roots/list is A's; inside a call it is the caller's.
    expect(JSON.parse(textOf(await b.client.callTool({ name: 'test_list_roots', arguments: {} })))).toEqual([{ uri: 'file:///tmp/b' }]);
    expect(a.rootsAsked).toBe(0);
  });

  it('serveStdio: one client on streams, closed resolves when stdin ends, and the bridge stays open', async () => {
    const bridge = createBridge({
      servers: { fixture: { type: 'in-memory', server: () => createConformanceServer() } },
      clientCapabilities: gatewayClientCapabilities(),
      onError: () => undefined,
    });
    cleanups.push(() => bridge.close());
    const { transport, stdin, stdout } = streamPair();
    const gateway = await serveStdio(bridge, {
      stdin,
      stdout,
      serverInfo: { name: 'my-gateway', version: '9.9.9' },
      instructions: 'use the tools',
      onError: () => undefined,
    });
    cleanups.push(() => gateway.close());
    const c = await testClient('desktop', transport);
    expect(c.client.getServerVersion()).toEqual({ name: 'my-gateway', version: '9.9.9' });
    expect(c.client.getInstructions()).toBe('use the tools');
    expect(textOf(await c.client.callTool({ name: 'test_sampling', arguments: { prompt: 'stdio' } }))).toContain('sampled by desktop');
    let closed = false;
    void gateway.closed.then(() => (closed = true));
    stdin.end();
    await gateway.closed;
    expect(closed).toBe(true);
    expect(bridge.state).toBe('ready');
    await expect(serveStdio(bridge, { stdin: 'nope' as never })).rejects.toThrow(/serveStdio: invalid options: stdin/);
  });

  it('two gateways on one bridge share it; closing one leaves the other working', async () => {
    const { bridge, gateway } = await gatewayWithFixture();
    const second = await serveHttp(bridge, { onError: () => undefined });
    cleanups.push(() => second.close());
    const a = await client('a', gateway.url);
    const b = await client('b', second.url);
    await second.close();
    expect(textOf(await a.client.callTool({ name: 'test_sampling', arguments: { prompt: 'still' } }))).toContain('sampled by a');
    expect(b.sampling).toHaveLength(0);
  });
});
