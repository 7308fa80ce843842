import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bridge } from '@mcp-bridge/core';
import { startFaultHttpServer, type FaultHttpServer, type FaultStep } from '@mcp-bridge/testing';
import { retry } from '../src/index.js';
import { seeded, startBridge } from './helpers.js';

const TOOLS = { lookup: { readOnlyHint: true }, create: { destructiveHint: true, idempotentHint: false } };

// The in-memory property test runs 500 schedules; this one runs fewer over real Streamable HTTP,
// where session expiry is a real 404 and drops are destroyed sockets.
describe('zero duplicate executions over real Streamable HTTP (fast-check, 100 schedules)', () => {
  let http: FaultHttpServer;
  let bridge: Bridge;
  beforeAll(async () => {
    http = await startFaultHttpServer({ tools: TOOLS });
    ({ bridge } = await startBridge({
      servers: { remote: { type: 'streamable-http', url: http.url, trusted: true } },
      reconnectMinMs: 5,
      reconnectMaxMs: 20,
      plugins: [retry({ attempts: 4, attemptTimeoutMs: 250, baseDelayMs: 2, maxDelayMs: 10, random: seeded(8), breaker: false })],
    }));
  });
  afterAll(async () => {
    await bridge?.close();
    await http?.close();
  });

  it('never runs an unsafe tool twice; a session that expired is re-initialised and the call resent', async () => {
    const step = fc.constantFrom<FaultStep>('ok', 'ok', 'drop-before', 'drop-after', 'crash', 'session-expired', 'error', {
      kind: 'retry-after',
      retryAfterMs: 5,
    });
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 5 }), fc.constantFrom('lookup', 'create'), async (script, tool) => {
        http.setFaults({ script });
        const key = `h${n++}`;
        await bridge.callTool(tool, { key }, { timeout: 5_000 }).catch(() => undefined);
        if (tool === 'create') expect(http.ledger.executions(key), JSON.stringify(script)).toBeLessThanOrEqual(1);
      }),
      { numRuns: 100, seed: 7 },
    );
    expect(http.ledger.faults('session-expired')).toBeGreaterThan(3);
    expect(http.sessionsCreated).toBeGreaterThan(3);
  }, 80_000);
});
