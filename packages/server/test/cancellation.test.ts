import { createBridge, type Bridge, type Plugin } from '@mcp-bridge/core';
import { createConformanceServer } from '@mcp-bridge/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { CancelLink } from '../src/cancel-link.js';
import { serveHttp, serveStdio } from '../src/index.js';
import { Router } from '../src/router.js';
import { createSession } from '../src/session.js';
import { httpClient, testClient, textOf, waitFor, type TestClient } from './support/clients.js';
import { streamPair } from './support/streams.js';

/**
 * Downstream cancellation reaches the upstream request it caused: by `notifications/cancelled`, by
 * the client's session ending, whatever plugins derive from the call's signal. The gateway forwards
 * it through a {@link CancelLink} rather than a listener on the request's AbortSignal (see there).
 */
describe('cancellation through the gateway', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => undefined);
  });

  function fixtureBridge(plugins: Plugin[] = []): Bridge {
    const bridge = createBridge({ servers: { fixture: { type: 'in-memory', server: () => createConformanceServer() } }, plugins, onError: () => undefined });
    cleanups.push(() => bridge.close());
    return bridge;
  }

  /** What the fixture says of the last test_wait_for_cancel run, asked through the bridge itself. */
  async function lastRun(bridge: Bridge): Promise<{ cancelled: boolean } | null> {
    return JSON.parse(textOf(await bridge.callTool('test_last_cancel', {}))) as { cancelled: boolean } | null;
  }

  async function untilRunning(bridge: Bridge): Promise<void> {
    await waitFor('the upstream to start the call', async () => (await lastRun(bridge)) !== null);
  }

  /** An HTTP client starts a long call and cancels it once it runs upstream; the upstream must see it. */
  async function cancelMidCall(bridge: Bridge): Promise<TestClient> {
    const gateway = await serveHttp(bridge, { onError: () => undefined });
    cleanups.push(() => gateway.close());
    const c = await httpClient('a', gateway.url);
    cleanups.push(() => c.close());
    const controller = new AbortController();
    const call = c.client.callTool({ name: 'test_wait_for_cancel', arguments: { ms: 20_000 } }, undefined, { signal: controller.signal });
    await untilRunning(bridge);
    controller.abort('stop');
    await expect(call).rejects.toThrow();
    await waitFor('the upstream to see the cancellation', async () => (await lastRun(bridge))?.cancelled === true);
    return c;
  }

  it('sees the SDK server’s cancellations first hand (so the fast path is on with this SDK)', async () => {
    const bridge = fixtureBridge();
    await bridge.start();
    const router = new Router(bridge, () => undefined);
    const session = createSession(router, 's1', {});
    cleanups.push(() => router.removeSession('s1'));
    expect(session.calls).toBeInstanceOf(Map);
  });

  it('notifications/cancelled from an HTTP client cancels the upstream request, and the call answers nothing more', async () => {
    const c = await cancelMidCall(fixtureBridge());
    // The session goes on serving.
    expect(textOf(await c.client.callTool({ name: 'test_wait_for_cancel', arguments: { ms: 1 } }))).toBe('finished');
  });

  it('a client that ends its HTTP session mid-call cancels the upstream request', async () => {
    const bridge = fixtureBridge();
    const gateway = await serveHttp(bridge, { onError: () => undefined });
    cleanups.push(() => gateway.close());
    const c = await httpClient('a', gateway.url);
    const call = c.client.callTool({ name: 'test_wait_for_cancel', arguments: { ms: 20_000 } }).catch((e: unknown) => e);
    await untilRunning(bridge);
    const transport = c.client.transport as unknown as { terminateSession(): Promise<void> };
    await transport.terminateSession();
    await c.close();
    await call;
    await waitFor('the upstream to see the cancellation', async () => (await lastRun(bridge))?.cancelled === true);
  });

  it('a stdio client that goes away mid-call cancels the upstream request', async () => {
    const bridge = fixtureBridge();
    const { transport, stdin, stdout } = streamPair();
    const gateway = await serveStdio(bridge, { stdin, stdout, onError: () => undefined });
    cleanups.push(() => gateway.close());
    const c = await testClient('desktop', transport);
    const call = c.client.callTool({ name: 'test_wait_for_cancel', arguments: { ms: 20_000 } }).catch((e: unknown) => e);
    await untilRunning(bridge);
    stdin.end();
    await gateway.closed;
    await waitFor('the upstream to see the cancellation', async () => (await lastRun(bridge))?.cancelled === true);
    await c.close();
    await call;
  });

  it('a plugin that derives its own signal from the call’s still forwards the cancellation', async () => {
    const derived: boolean[] = [];
    const deriving: Plugin = {
      name: 'mcp-bridge-plugin-derives-signal',
      version: '1.0.0',
      setup: (api) =>
        api.use({
          phase: 'route',
          handle(ctx, next) {
            if (!ctx.signal) return next();
            derived.push(true);
            return next({ ...ctx, signal: AbortSignal.any([ctx.signal]) });
          },
        }),
    };
    await cancelMidCall(fixtureBridge([deriving]));
    expect(derived.length).toBeGreaterThan(0);
  });

  it('a link cancels each upstream request once, only while its call is in flight', () => {
    const controller = new AbortController();
    const link = new CancelLink(controller.signal);
    const fired: string[] = [];
    link.addEventListener('abort', () => fired.push('first'));
    const second = (): void => void fired.push('second');
    link.addEventListener('abort', second);
    link.removeEventListener('abort', second);
    expect(link.aborted).toBe(false);
    expect(() => link.throwIfAborted()).not.toThrow();
    controller.abort('because');
    link.fire();
    link.fire();
    expect(fired).toEqual(['first']);
    expect([link.aborted, link.reason]).toEqual([true, 'because']);
    expect(() => link.throwIfAborted()).toThrow('because');

    // A session that ended before the SDK aborted the signal: the link carries its own reason.
    const early = new CancelLink(new AbortController().signal);
    early.fire(new Error('the client disconnected'));
    expect(early.aborted).toBe(true);
    expect(() => early.throwIfAborted()).toThrow('the client disconnected');

    // A settled call's link drops what it held: a late cancellation sends nothing upstream.
    const settled = new CancelLink(new AbortController().signal);
    settled.addEventListener('abort', () => fired.push('late'));
    settled.drop();
    settled.fire();
    expect(fired).toEqual(['first']);
  });
});
