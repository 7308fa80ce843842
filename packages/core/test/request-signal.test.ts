import { getEventListeners } from 'node:events';
import { inMemoryTestServer } from '@mcp-bridge/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createBridge, RequestSignal, type Bridge, type CallLink, type Plugin } from '../src/index.js';

describe('a caller signal shared by many calls', () => {
  let bridge: Bridge | undefined;
  afterEach(async () => {
    await bridge?.close();
    bridge = undefined;
  });

  it('keeps no abort listener of a finished call, and still cancels the call in flight', async () => {
    const upstream = inMemoryTestServer({ name: 'mem' });
    bridge = createBridge({ servers: { mem: upstream } });
    await bridge.start();
    // An app's shutdown signal, passed to every call.
    const app = new AbortController();
    for (let i = 0; i < 200; i++) await bridge.callTool('echo', { text: `${i}` }, { signal: app.signal });
    expect(getEventListeners(app.signal, 'abort')).toHaveLength(0);

    const slow = bridge.callTool('slow', { ms: 20_000 }, { signal: app.signal });
    await upstream.ledger.waitFor((l) => l.tally('slow').inFlight === 1);
    expect(getEventListeners(app.signal, 'abort')).toHaveLength(1);
    app.abort(new Error('shutting down'));
    await expect(slow).rejects.toThrow(/shutting down/);
    await upstream.ledger.waitFor((l) => l.cancelled('slow') === 1);
    // Only the call in flight was cancelled upstream: none of the 200 finished ones.
    expect(upstream.ledger.tally('echo').cancelled).toBe(0);
  });

  it('views stack: a kept view holds one listener on the signal for many requests, each request’s listener goes when it settles', () => {
    const controller = new AbortController();
    const shared = new RequestSignal(controller.signal, true);
    const fired: string[] = [];
    const first = new RequestSignal(shared);
    first.addEventListener('abort', () => fired.push('first'));
    const second = new RequestSignal(shared);
    second.addEventListener('abort', () => fired.push('second'));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    // The first request settled: a later abort must not cancel it.
    first.release();
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    expect(second.aborted).toBe(false);
    controller.abort('because');
    expect(fired).toEqual(['second']);
    expect([second.aborted, second.reason]).toEqual([true, 'because']);
    expect(() => second.throwIfAborted()).toThrow('because');
    // A request made after the abort starts aborted (the SDK refuses to send it).
    expect(new RequestSignal(shared).aborted).toBe(true);
  });

  it('a call whose link shares a view gives its signal one abort listener across attempts, and still cancels upstream', async () => {
    const upstream = inMemoryTestServer({ name: 'mem' });
    // Three attempts of `slow` at once, as a hedging plugin might send them, all with the link's signal.
    const fanOut: Plugin = {
      name: 'mcp-bridge-plugin-fan-out',
      version: '1.0.0',
      setup: (api) =>
        api.use({
          phase: 'retry',
          methods: ['tools/call'],
          handle: (ctx, next) => Promise.all([next({ ...ctx }), next({ ...ctx }), next({ ...ctx })]).then((r) => r[0]),
        }),
    };
    bridge = createBridge({ servers: { mem: upstream }, plugins: [fanOut] });
    await bridge.start();
    const controller = new AbortController();
    const link: CallLink = {
      signal: controller.signal,
      requestSignal: new RequestSignal(controller.signal, true),
      sent: () => undefined,
      settled: () => undefined,
      ask: () => Promise.reject(new Error('no')),
    };
    const slow = bridge.callTool('slow', { ms: 20_000 }, { link });
    await upstream.ledger.waitFor((l) => l.tally('slow').inFlight === 3);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    controller.abort(new Error('the caller left'));
    await expect(slow).rejects.toThrow(/the caller left/);
    await upstream.ledger.waitFor((l) => l.cancelled('slow') === 3);
  });
});
