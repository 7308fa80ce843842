import { getEventListeners } from 'node:events';
import { inMemoryTestServer } from '@mcp-bridge/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createBridge, type Bridge } from '../src/index.js';

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
});
