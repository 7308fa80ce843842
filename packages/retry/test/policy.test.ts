import { afterEach, describe, expect, it } from 'vitest';
import { CircuitOpenError, createBridge, PluginError, RetryExhaustedError, type Bridge } from '@mcp-bridge/core';
import { inMemoryFaultServer, type FaultPlan } from '@mcp-bridge/testing';
import { retry, type RetryOptions } from '../src/index.js';
import { seeded, startBridge } from './helpers.js';

let bridge: Bridge | undefined;
afterEach(async () => {
  await bridge?.close();
  bridge = undefined;
});

const TOOLS = {
  lookup: { readOnlyHint: true },
  upsert: { idempotentHint: true, readOnlyHint: false },
  create: { destructiveHint: true, readOnlyHint: false, idempotentHint: false },
};

async function setup(plan: FaultPlan, options: RetryOptions = {}, server: Record<string, unknown> = { trusted: true }) {
  const fault = inMemoryFaultServer({ tools: TOOLS, faults: plan });
  const events: string[] = [];
  ({ bridge } = await startBridge({
    servers: { f: { ...fault, ...server } },
    plugins: [retry({ baseDelayMs: 1, maxDelayMs: 5, breaker: false, ...options })],
    reconnectMinMs: 1,
    reconnectMaxMs: 5,
  }));
  bridge.on('retry:attempt', ({ attempt }) => events.push(`attempt ${attempt}`));
  bridge.on('retry:giveup', ({ reason, attempts }) => events.push(`giveup ${reason} after ${attempts}`));
  return { fault, events, bridge };
}

describe('what is retried', () => {
  it('retries a read-only and an idempotent tool of a trusted server after a failure that may have executed', async () => {
    // Each backoff waits its full cap (random 1), longer than the 1 ms reconnect pause a young
    // connection's death starts, so the retry is never refused by the pause however slow the host.
    const { fault, bridge, events } = await setup(
      { script: ['drop-after', 'ok', 'error', 'ok'] },
      { baseDelayMs: 10, maxDelayMs: 20, attempts: 4, random: () => 1 },
    );
    await bridge.callTool('lookup', { key: 'r' });
    await bridge.callTool('upsert', { key: 'i' });
    expect([fault.ledger.received('r'), fault.ledger.executions('r')]).toEqual([2, 2]);
    expect([fault.ledger.received('i'), fault.ledger.executions('i')]).toEqual([2, 1]);
    expect(events).toEqual(['attempt 2', 'attempt 2']);
  });

  it('never resends an unsafe tool that may have executed: the caller gets the failure as it was', async () => {
    const { fault, bridge, events } = await setup({ script: ['drop-after', 'error'] });
    const unsent: unknown[] = [];
    bridge.on('retry:attempt', ({ error }) => unsent.push((error as { data?: { sent?: boolean } }).data?.sent));
    await expect(bridge.callTool('create', { key: 'c1' })).rejects.toThrow(/closed the connection/);
    expect(events).toEqual(['giveup unsafe after 1']);
    await expect(bridge.callTool('create', { key: 'c2' })).rejects.toThrow(/injected internal error/);
    expect(fault.ledger.executions('c1')).toBe(1);
    expect(fault.ledger.received('c2')).toBe(1);
    // c2 may first meet the reconnect pause of the dropped connection: that attempt was never sent,
    // so resending it is safe; once it reached the server, its failure is final.
    expect(unsent.every((sent) => sent === false)).toBe(true);
    expect(events.at(-1)).toBe(`giveup unsafe after ${unsent.length + 1}`);
  });

  it('does not trust annotations of a server that is not trusted, unless the plugin lists it', async () => {
    const first = await setup({ script: ['error', 'ok'] }, {}, {});
    await expect(first.bridge.callTool('lookup', { key: 'u' })).rejects.toThrow(/internal error/);
    expect(first.fault.ledger.received('u')).toBe(1);
    await bridge!.close();
    const second = await setup({ script: ['error', 'ok'] }, { trusted: ['f'] }, {});
    await second.bridge.callTool('lookup', { key: 'u' });
    expect(second.fault.ledger.received('u')).toBe(2);
  });

  it('treats a tool called by upstream name that the catalog does not list as unsafe', async () => {
    const { fault, bridge } = await setup({ script: ['error', 'ok'] });
    await expect(bridge.callTool('f/not_listed', { key: 'x' })).rejects.toThrow();
    expect(fault.ledger.received('x')).toBe(1);
  });

  it('never retries JSON-RPC semantic errors or isError results', async () => {
    const { fault, bridge, events } = await setup({
      script: [{ kind: 'error', code: -32602, message: 'bad params' }, { kind: 'error', code: -32601 }, 'is-error'],
    });
    await expect(bridge.callTool('lookup', { key: 'a' })).rejects.toThrow(/bad params/);
    await expect(bridge.callTool('lookup', { key: 'b' })).rejects.toMatchObject({ code: -32601 });
    const result = await bridge.callTool('lookup', { key: 'c' });
    expect(result.isError).toBe(true);
    expect(['a', 'b', 'c'].map((k) => fault.ledger.received(k))).toEqual([1, 1, 1]);
    expect(events).toEqual(['giveup not-retryable after 1', 'giveup not-retryable after 1']);
  });

  it('resends any call, an unsafe one too, when the server refused it with Retry-After, and waits as asked', async () => {
    const { fault, bridge } = await setup({ script: [{ kind: 'retry-after', retryAfterMs: 120 }, 'ok'] });
    const waits: number[] = [];
    bridge.on('retry:attempt', ({ delayMs }) => waits.push(delayMs));
    const t = performance.now();
    await bridge.callTool('create', { key: 'ra' });
    expect(performance.now() - t).toBeGreaterThanOrEqual(110);
    expect(waits).toEqual([120]);
    expect([fault.ledger.received('ra'), fault.ledger.executions('ra')]).toEqual([2, 1]);
  });

  it('resends an unsafe call that failed before it was sent (no connection), and runs it once', async () => {
    const fault = inMemoryFaultServer({ tools: TOOLS });
    ({ bridge } = await startBridge({
      servers: { f: { ...fault, trusted: true } },
      // A connection that dies young is reopened only after this pause: calls meanwhile fail unsent.
      reconnectMinMs: 50,
      plugins: [retry({ attempts: 8, baseDelayMs: 40, maxDelayMs: 100, breaker: false, random: seeded(7) })],
    }));
    const retried: unknown[] = [];
    bridge.on('retry:attempt', ({ error }) => retried.push((error as { data?: { sent?: boolean } }).data?.sent));
    await bridge.connection(bridge.upstreams('f')[0]!)!.close();
    const result = await bridge.callTool('create', { key: 'p' });
    expect(result.isError).toBeFalsy();
    expect(fault.ledger.entry('p')).toMatchObject({ received: 1, executions: 1 });
    expect(retried.length).toBeGreaterThanOrEqual(1);
    expect(retried.every((sent) => sent === false)).toBe(true);
    // Lists are always safe to repeat.
    const list = await bridge.listTools({ refresh: true });
    expect(list.tools.map((t) => t.name).sort()).toEqual(['create', 'fault_ledger', 'lookup', 'upsert']);
  });

  it('caps attempts with settings.retries of the server, and per tool and per server overrides win', async () => {
    const capped = await setup({ rates: { error: 1 } }, { attempts: 5 }, { trusted: true, settings: { retries: 1 } });
    await expect(capped.bridge.callTool('lookup', { key: 'cap' })).rejects.toBeInstanceOf(RetryExhaustedError);
    expect(capped.fault.ledger.received('cap')).toBe(2);
    await bridge!.close();

    const tuned = await setup(
      { rates: { error: 1 } },
      { attempts: 2, servers: { f: { attempts: 4 } }, tools: { upsert: { mode: 'never' }, 'f/create': { mode: 'always', attempts: 3 } } },
    );
    await expect(tuned.bridge.callTool('lookup', { key: 'l' })).rejects.toThrow(/gave up after 4 attempts \(attempts\)/);
    await expect(tuned.bridge.callTool('upsert', { key: 'u' })).rejects.toThrow(/internal error/);
    await expect(tuned.bridge.callTool('create', { key: 'c' })).rejects.toThrow(/gave up after 3 attempts/);
    expect(['l', 'u', 'c'].map((k) => tuned.fault.ledger.received(k))).toEqual([4, 1, 3]);
  });

  it("uses the server's settings.timeout as the per-attempt time limit, and the upstream hears the cancellation", async () => {
    const { fault, bridge } = await setup({ script: ['hang', 'ok'] }, {}, { trusted: true, settings: { timeout: 100 } });
    const t = performance.now();
    await bridge.callTool('lookup', { key: 'st' });
    expect(performance.now() - t).toBeGreaterThanOrEqual(90);
    await fault.ledger.waitFor((l) => l.cancelled('st') === 1);
    expect(fault.ledger.entry('st')).toMatchObject({ received: 2, executions: 1, cancelled: 1 });
  });

  it('wraps the last failure in RetryExhaustedError naming the plugin, attempts and reason', async () => {
    const { bridge } = await setup({ rates: { error: 1 } });
    const error = (await bridge.callTool('lookup', { key: 'e' }).catch((e: unknown) => e)) as RetryExhaustedError;
    expect(error).toBeInstanceOf(RetryExhaustedError);
    expect(error.message).toMatch(/^\[mcp-bridge\] \[@mcp-bridge\/retry\] gave up after 3 attempts \(attempts\): .*internal error/);
    expect(error.data).toMatchObject({ server: 'f', attempts: 3, reason: 'attempts', tried: ['f'] });
    expect((error.cause as { code?: number }).code).toBe(-32603);
  });

  it('rejects bad options at start(), naming the plugin, the option and the expected type', async () => {
    const b = createBridge({ plugins: [retry({ attempts: 'three' as unknown as number })] });
    const error = await b.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PluginError);
    expect((error as Error).message).toMatch(/\[@mcp-bridge\/retry\] invalid options: attempts: expected number, got string/);
    const b2 = createBridge({ plugins: [retry({ breaker: { minVolume: 0 } })] });
    await expect(b2.start()).rejects.toThrow(/breaker\.minVolume/);
  });

  it('exports CircuitOpenError semantics: an open breaker is a failure before sending', () => {
    const e = new CircuitOpenError('x', { data: { sent: false } });
    expect(e.code).toBe('CIRCUIT_OPEN');
  });
});
