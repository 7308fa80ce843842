import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBridge, type Bridge } from '@mcp-bridge/core';
import { seededRandom, startModernHttpTestServer, type FaultStep, type ModernHttpTestServer, type Random } from '@mcp-bridge/testing';
import { retry } from '../src/index.js';

// Issue 15, "Show": 0 duplicate executions of a non-idempotent tool over >= 500 seeded schedules with
// broken 2026-07-28 response streams. One real modern-only upstream over HTTP on 127.0.0.1 serves every
// schedule; each schedule re-scripts the faults per tool and uses call keys of its own, so the server's
// fault ledger (received / executed per key) says exactly what each call did upstream.

const SCHEDULES = 500;
const WRITES = ['w0', 'w1', 'w2'] as const; // neither read-only nor idempotent: never safe to repeat
const READS = ['r0', 'r1', 'r2'] as const; // read-only, from a trusted server: safe to repeat
const TOOLS = [...WRITES, ...READS];
const isWrite = (tool: string): boolean => (WRITES as readonly string[]).includes(tool);

/** One planned call: its tool, key, and the fault its first request meets. */
interface PlannedCall {
  tool: string;
  key: string;
  fault: FaultStep;
}

/** What the client saw of one call. */
interface Outcome {
  call: PlannedCall;
  ok: boolean;
  error?: string;
}

function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

/** A schedule: 1..6 calls on random tools, each with a seeded fault (drop-before, drop-after, ok or a short delay). */
function plan(random: Random, schedule: number): PlannedCall[] {
  const count = 1 + Math.floor(random() * 6);
  return Array.from({ length: count }, (_, i) => {
    const kind = pick(random, ['ok', 'drop-before', 'drop-after', 'delay'] as const);
    const fault: FaultStep = kind === 'delay' ? { kind, ms: 1 + Math.floor(random() * 4) } : kind;
    return { tool: pick(random, TOOLS), key: `s${schedule}-c${i}`, fault };
  });
}

/**
 * Runs one schedule: the calls of one tool one after another (so the tool's fault script meets them
 * in order), the tools concurrently. Every tool's script is replaced first, an unused tool's with none.
 */
async function run(bridge: Bridge, http: ModernHttpTestServer, calls: PlannedCall[]): Promise<Outcome[]> {
  const byTool = new Map<string, PlannedCall[]>(TOOLS.map((tool) => [tool, []]));
  for (const call of calls) byTool.get(call.tool)!.push(call);
  for (const [tool, list] of byTool) http.setFaults({ script: list.map((c) => c.fault) }, tool);
  const outcomes: Outcome[] = [];
  await Promise.all(
    [...byTool.values()].map(async (list) => {
      for (const call of list) {
        const outcome = await bridge.callTool(call.tool, { text: call.key, key: call.key }, { timeout: 5_000 }).then(
          (): Outcome => ({ call, ok: true }),
          (e: unknown): Outcome => ({ call, ok: false, error: e instanceof Error ? e.message : String(e) }),
        );
        outcomes.push(outcome);
      }
    }),
  );
  return outcomes;
}

describe(`a broken modern response stream over ${SCHEDULES} seeded schedules (real HTTP, retry plugin)`, () => {
  let http: ModernHttpTestServer;
  let bridge: Bridge;
  beforeAll(async () => {
    http = await startModernHttpTestServer({
      era: 'modern-only',
      tools: false,
      resources: false,
      prompts: false,
      extraTools: TOOLS,
      annotations: Object.fromEntries(
        TOOLS.map((t) => [t, isWrite(t) ? { readOnlyHint: false, idempotentHint: false, destructiveHint: true } : { readOnlyHint: true }]),
      ),
    });
    bridge = createBridge({
      servers: { m: { url: http.url, protocol: '2026-07-28', trusted: true } },
      plugins: [retry({ attempts: 3, baseDelayMs: 1, maxDelayMs: 5, budget: false, breaker: false, random: seededRandom(3) })],
      onError: () => undefined,
    });
    await bridge.start();
  });
  afterAll(async () => {
    await bridge?.close();
    await http?.close();
  });

  it('never executes a non-idempotent call twice; a stream broken after execution is "may have run", never retried', async () => {
    const random = seededRandom(20260728);
    const totals = { schedules: 0, calls: 0, brokenStreams: 0, retries: 0, duplicates: 0, mayHaveRun: 0, readsRetriedOk: 0 };
    for (let s = 0; s < SCHEDULES; s++) {
      const outcomes = await run(bridge, http, plan(random, s));
      totals.schedules++;
      for (const { call, ok, error } of outcomes) {
        totals.calls++;
        const where = `schedule ${s}, ${call.tool} ${call.key} (${JSON.stringify(call.fault)}): ${error ?? 'ok'}`;
        const received = http.faultLedger.received(call.key);
        const executions = http.faultLedger.executions(call.key);
        totals.retries += Math.max(0, received - 1);
        if (isWrite(call.tool)) {
          if (executions > 1) totals.duplicates++;
          expect(executions, where).toBeLessThanOrEqual(1);
          // Never re-issued, whatever happened: a resend would show as a second request of the key.
          expect(received, where).toBe(1);
          const kind = typeof call.fault === 'string' ? call.fault : call.fault.kind;
          if (kind === 'drop-after') {
            expect(executions, where).toBe(1);
            expect(ok, where).toBe(false);
            expect(error, where).toMatch(/may have run/);
            totals.mayHaveRun++;
          } else if (kind === 'drop-before') {
            expect(executions, where).toBe(0);
            expect(ok, where).toBe(false);
          } else {
            expect(ok, where).toBe(true);
            expect(executions, where).toBe(1);
          }
        } else {
          if (ok) expect(executions, where).toBeGreaterThanOrEqual(1);
          if (ok && received > 1) totals.readsRetriedOk++;
        }
      }
    }
    totals.brokenStreams = http.faultLedger.faults('drop-before') + http.faultLedger.faults('drop-after');
    console.log(`modern broken-stream schedules: ${JSON.stringify(totals)}`);
    expect(totals.duplicates).toBe(0);
    expect(http.faultLedger.maxExecutions(isWrite)).toBe(1);
    // The schedules really exercised both rules: unsafe calls broke after running, safe ones were re-issued.
    expect(totals.mayHaveRun).toBeGreaterThan(50);
    expect(totals.readsRetriedOk).toBeGreaterThan(50);
  }, 240_000);
});
