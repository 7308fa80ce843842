import { createBridge, type CallContext, type Middleware, type Plugin } from '@mcp-bridge/core';
import { createConformanceServer } from '@mcp-bridge/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { gatewayClientCapabilities, serveHttp } from '../src/index.js';
import { httpClient, textOf, type TestClient } from './support/clients.js';

/** A plugin with one tools/call middleware, as a third party would write it. */
function middlewarePlugin(name: string, handle: Middleware['handle']): Plugin {
  return {
    name,
    version: '0.0.0',
    setup(api) {
      api.use({ phase: 'route', methods: ['tools/call'], handle });
    },
  };
}

/**
 * The gateway traces an upstream's sampling request back to the downstream call that caused it
 * without AsyncLocalStorage: by the call's signal, or by the synchronous part of its pipeline.
 * Two clients are connected and only one call is in flight, so a lost trace would be refused
 * ("cannot tell which one to ask") rather than routed: these tests fail if attribution breaks.
 */
describe('attribution of server-to-client requests through plugins', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => undefined);
  });

  async function setup(plugin: Plugin): Promise<{ a: TestClient; b: TestClient }> {
    const bridge = createBridge({
      servers: { fixture: { type: 'in-memory', server: () => createConformanceServer() } },
      clientCapabilities: gatewayClientCapabilities(),
      plugins: [plugin],
      onError: () => undefined,
    });
    cleanups.push(() => bridge.close());
    const gateway = await serveHttp(bridge, { onError: () => undefined });
    cleanups.push(() => gateway.close());
    const a = await httpClient('a', gateway.url, { capable: true });
    cleanups.push(() => a.close());
    const b = await httpClient('b', gateway.url, { capable: true });
    cleanups.push(() => b.close());
    return { a, b };
  }

  it('follows the call across awaits in the pipeline (by its link)', async () => {
    let waited = 0;
    const { a, b } = await setup(
      middlewarePlugin('test-async-hop', async (_ctx, next) => {
        // A timer hop: nothing of the call's synchronous part is left when the request is sent.
        await new Promise((resolve) => setTimeout(resolve, 5));
        waited++;
        return next();
      }),
    );
    expect(textOf(await b.client.callTool({ name: 'test_sampling', arguments: { prompt: 'mine' } }))).toContain('sampled by b');
    expect(textOf(await a.client.callTool({ name: 'test_sampling', arguments: { prompt: 'mine' } }))).toContain('sampled by a');
    expect(waited).toBe(2);
    expect(a.sampling).toHaveLength(1);
    expect(b.sampling).toHaveLength(1);
  });

  it('follows a call whose plugin derives its own signal before its first await (hedging, single flight)', async () => {
    let derived = 0;
    const { a, b } = await setup(
      middlewarePlugin('test-derived-signal', (ctx, next) => {
        const controller = new AbortController();
        const signal = ctx.signal ? AbortSignal.any([ctx.signal, controller.signal]) : controller.signal;
        derived++;
        return next({ ...ctx, signal } satisfies CallContext);
      }),
    );
    expect(textOf(await a.client.callTool({ name: 'test_sampling', arguments: { prompt: 'mine' } }))).toContain('sampled by a');
    expect(textOf(await b.client.callTool({ name: 'test_sampling', arguments: { prompt: 'mine' } }))).toContain('sampled by b');
    expect(derived).toBe(2);
    expect(a.sampling).toHaveLength(1);
    expect(b.sampling).toHaveLength(1);
  });

  it('a derived signal after an await is still traced (the link travels with the context), and only to its caller', async () => {
    const { a, b } = await setup(
      middlewarePlugin('test-derived-late', async (ctx, next) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        return next({ ...ctx, signal: new AbortController().signal });
      }),
    );
    expect(textOf(await a.client.callTool({ name: 'test_sampling', arguments: { prompt: 'whose?' } }))).toContain('sampled by a');
    expect(a.sampling).toHaveLength(1);
    expect(b.sampling).toHaveLength(0);
  });

  it('a context without the link is not traced: refused, never sent to the wrong client', async () => {
    const { a, b } = await setup(
      middlewarePlugin('test-drops-link', async (ctx, next) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        return next({ ...ctx, link: undefined, signal: new AbortController().signal });
      }),
    );
    await expect(a.client.callTool({ name: 'test_sampling', arguments: { prompt: 'whose?' } })).rejects.toThrow(
      /refused: no call of any client is in flight on this upstream session/,
    );
    expect(a.sampling).toHaveLength(0);
    expect(b.sampling).toHaveLength(0);
  });
});
