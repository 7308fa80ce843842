import { createBridge, errorType, type Bridge, type Plugin } from '@mcp-bridge/core';
import { inMemoryTestServer, type TestLedger } from '@mcp-bridge/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { readdir, readFile } from 'node:fs/promises';
import { serveHttp, serveStdio } from '../src/index.js';
import { httpClient, testClient, textOf, waitFor, type TestClient } from './support/clients.js';
import { streamPair } from './support/streams.js';

/**
 * Downstream cancellation reaches the upstream request it caused: by `notifications/cancelled`, by
 * the client's session ending, whatever plugins derive from the call's signal. The gateway sees it
 * through the SDK's public API only: the request's AbortSignal, which is the call's (`CallLink.signal`).
 */
describe('cancellation through the gateway', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => undefined);
  });

  /** A bridge over the test server; its ledger says when `slow` runs upstream and when it was cancelled there. */
  function fixtureBridge(plugins: Plugin[] = []): { bridge: Bridge; ledger: TestLedger } {
    const upstream = inMemoryTestServer({ name: 'fixture' });
    const bridge = createBridge({ servers: { fixture: upstream }, plugins, onError: () => undefined });
    cleanups.push(() => bridge.close());
    return { bridge, ledger: upstream.ledger };
  }

  const LONG = { name: 'slow', arguments: { ms: 20_000 } };
  const untilRunning = (ledger: TestLedger) => ledger.waitFor((l) => l.tally('slow').inFlight === 1, { timeoutMs: 10_000 });
  const untilCancelled = (ledger: TestLedger) => ledger.waitFor((l) => l.cancelled('slow') === 1, { timeoutMs: 10_000 });

  /** An HTTP client starts a long call and cancels it once it runs upstream; the upstream must see it. */
  async function cancelMidCall({ bridge, ledger }: { bridge: Bridge; ledger: TestLedger }): Promise<TestClient> {
    const gateway = await serveHttp(bridge, { onError: () => undefined });
    cleanups.push(() => gateway.close());
    const c = await httpClient('a', gateway.url);
    cleanups.push(() => c.close());
    const controller = new AbortController();
    const call = c.client.callTool(LONG, undefined, { signal: controller.signal });
    await untilRunning(ledger);
    controller.abort('stop');
    await expect(call).rejects.toThrow();
    await untilCancelled(ledger);
    return c;
  }

  it('the gateway patches no SDK method and reads no SDK-private field (an SDK upgrade cannot break it silently)', async () => {
    const dir = new URL('../src/', import.meta.url);
    const files = (await readdir(dir)).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(5);
    const found: string[] = [];
    for (const file of files) {
      const lines = (await readFile(new URL(file, dir), 'utf8')).split('\n');
      lines.forEach((line, i) => {
        if (/client\.request =|_oncancel|_progressHandlers|getPrototypeOf\(Server|\._[a-z]/.test(line))
          found.push(`${file}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(found).toEqual([]);
  });

  it('notifications/cancelled from an HTTP client cancels the upstream request, and the call answers nothing more', async () => {
    const c = await cancelMidCall(fixtureBridge());
    // The session goes on serving.
    expect(textOf(await c.client.callTool({ name: 'echo', arguments: { text: 'still here' } }))).toBe('still here');
  });

  it('a client that ends its HTTP session mid-call cancels the upstream request', async () => {
    const { bridge, ledger } = fixtureBridge();
    const gateway = await serveHttp(bridge, { onError: () => undefined });
    cleanups.push(() => gateway.close());
    const c = await httpClient('a', gateway.url);
    const call = c.client.callTool(LONG).catch((e: unknown) => e);
    await untilRunning(ledger);
    const transport = c.client.transport as unknown as { terminateSession(): Promise<void> };
    await transport.terminateSession();
    await c.close();
    await call;
    await untilCancelled(ledger);
  });

  it('a stdio client that goes away mid-call cancels the upstream request', async () => {
    const { bridge, ledger } = fixtureBridge();
    const { transport, stdin, stdout } = streamPair();
    const gateway = await serveStdio(bridge, { stdin, stdout, onError: () => undefined });
    cleanups.push(() => gateway.close());
    const c = await testClient('desktop', transport);
    const call = c.client.callTool(LONG).catch((e: unknown) => e);
    await untilRunning(ledger);
    stdin.end();
    await gateway.closed;
    await untilCancelled(ledger);
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

  it('a session that ends mid-call: plugins see a cancelled call, not an upstream error', async () => {
    const seen: { aborted: boolean | undefined; type: string }[] = [];
    const observer: Plugin = {
      name: 'mcp-bridge-plugin-observer',
      version: '1.0.0',
      setup: (api) =>
        api.use({
          phase: 'observe',
          async handle(ctx, next) {
            try {
              return await next();
            } catch (error) {
              seen.push({ aborted: ctx.signal?.aborted, type: errorType(error, ctx.signal) });
              throw error;
            }
          },
        }),
    };
    const { bridge, ledger } = fixtureBridge([observer]);
    const gateway = await serveHttp(bridge, { onError: () => undefined });
    const c = await httpClient('a', gateway.url);
    cleanups.push(() => c.close());
    const call = c.client.callTool(LONG).catch((e: unknown) => e);
    await untilRunning(ledger);
    await gateway.close();
    await call;
    await untilCancelled(ledger);
    await waitFor('the observer to see the call end', () => seen.length === 1);
    expect(seen).toEqual([{ aborted: true, type: 'cancelled' }]);
  });

  it('a call that had not reached its upstream when its session ended never does', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let held = 0;
    const holder: Plugin = {
      name: 'mcp-bridge-plugin-holds-calls',
      version: '1.0.0',
      setup: (api) =>
        api.use({
          phase: 'route',
          async handle(ctx, next) {
            if (ctx.method !== 'tools/call' || (ctx.params as { name?: string }).name !== 'slow') return next();
            held++;
            await gate;
            return next();
          },
        }),
    };
    const { bridge, ledger } = fixtureBridge([holder]);
    const { transport, stdin, stdout } = streamPair();
    const gateway = await serveStdio(bridge, { stdin, stdout, onError: () => undefined });
    const c = await testClient('desktop', transport);
    cleanups.push(() => c.close());
    const call = c.client.callTool(LONG).catch((e: unknown) => e);
    await waitFor('the call to be held before its upstream', () => held === 1);
    stdin.end();
    await gateway.closed;
    release();
    await new Promise((r) => setTimeout(r, 200));
    // The upstream never started it, and nothing is left in flight.
    expect(ledger.tally('slow').calls).toBe(0);
    expect(bridge.upstreams('fixture')[0]!.inFlight).toBe(0);
    void call;
  });
});
