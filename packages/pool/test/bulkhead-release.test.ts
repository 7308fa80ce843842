import { afterEach, expect, it } from 'vitest';
import { createBridge, type Bridge } from '@mcp-bridge/core';
import { inMemoryTestServer, seededRandom } from '@mcp-bridge/testing';
import { pool } from '../src/index.js';

const open: Bridge[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((b) => b.close()));
});

it('bulkhead counters return to zero after a storm of aborts, deadlines and overloads', async () => {
  const server = inMemoryTestServer({ name: 'busy' });
  const bridge = createBridge({
    servers: { busy: server },
    plugins: [pool({ servers: { busy: { maxConcurrent: 2, maxPending: 3, maxSessions: 2 } } })],
  });
  open.push(bridge);
  await bridge.start();
  const rnd = seededRandom(7);
  const calls: Promise<unknown>[] = [];
  for (let i = 0; i < 300; i++) {
    const ac = new AbortController();
    const r = rnd();
    calls.push(
      bridge
        .callTool('slow', { ms: Math.floor(rnd() * 20) }, { server: 'busy', signal: ac.signal, timeout: 5 + Math.floor(rnd() * 40) })
        .catch(() => undefined),
    );
    if (r < 0.3) setTimeout(() => ac.abort(), Math.floor(rnd() * 10));
    if (i % 7 === 0) await new Promise((res) => setTimeout(res, 3));
  }
  await Promise.all(calls);
  await server.ledger.waitFor((l) => l.tally('slow').inFlight === 0);
  expect(bridge.pool().busy).toMatchObject({ running: 0, pending: 0 });
  // capacity is intact: 2 concurrent go through
  await Promise.all([0, 1].map(() => bridge.callTool('slow', { ms: 10 }, { server: 'busy' })));
});
