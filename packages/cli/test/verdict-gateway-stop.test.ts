/**
 * Issue 12, defect 2: a rolling restart. A client bridge (retry plugin, its pool) calls a
 * non-idempotent tool through two gateway replicas; the gateway running the call is stopped
 * mid-call. Before, the stopping gateway answered the accepted call with `404 Session not found`,
 * which reads as "never sent": the pool re-initialised and resent, retry resent to the other replica,
 * and the tool ran twice. Now the gateway drains (`drainMs`), then says the call may have run.
 * Real parts: two HTTP gateways on 127.0.0.1 (each its own bridge over an upstream that records
 * executions), the client's Streamable HTTP transport, pool and retry.
 */
import { createBridge, failureOf, type Bridge } from '@mcp-bridge/core';
import { retry } from '@mcp-bridge/retry';
import { serveHttp, type HttpGateway } from '@mcp-bridge/server';
import { inMemoryTestServer, TestLedger } from '@mcp-bridge/testing';
import { afterEach, describe, expect, it } from 'vitest';

interface Replica {
  bridge: Bridge;
  gateway: HttpGateway;
}

describe('a gateway stopped mid-call', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => undefined);
  });

  /** One gateway replica in front of its own bridge; every replica's upstream records into `ledger`. */
  async function replica(ledger: TestLedger, drainMs: number): Promise<Replica> {
    const bridge = createBridge({ servers: { pay: inMemoryTestServer({ name: 'pay', ledger }) }, onError: () => undefined });
    cleanups.push(() => bridge.close());
    const gateway = await serveHttp(bridge, { drainMs, onError: () => undefined });
    cleanups.push(() => gateway.close());
    return { bridge, gateway };
  }

  async function setup(drainMs: number): Promise<{ ledger: TestLedger; replicas: Replica[]; client: Bridge }> {
    const ledger = new TestLedger();
    const replicas = [await replica(ledger, drainMs), await replica(ledger, drainMs)];
    // `slow` carries no annotations: not idempotent, so it may be resent only when provably not sent.
    const client = createBridge({
      servers: { pay: { replicas: replicas.map((r) => ({ url: r.gateway.url })) } },
      plugins: [retry({ attempts: 3, baseDelayMs: 10 })],
      onError: () => undefined,
    });
    cleanups.push(() => client.close());
    await client.start();
    return { ledger, replicas, client };
  }

  /** The replica whose upstream is running the call now. */
  function running(replicas: Replica[]): Replica {
    const r = replicas.find((x) => x.bridge.upstreams('pay')[0]!.inFlight > 0);
    expect(r).toBeDefined();
    return r!;
  }

  it('runs a non-idempotent call once and tells the client it may have run', async () => {
    const { ledger, replicas, client } = await setup(150);
    const call = client.callTool('pay/slow', { ms: 1_500 }).then(
      (result) => ({ result, error: undefined }),
      (error: unknown) => ({ result: undefined, error }),
    );
    await ledger.waitFor((l) => l.calls('slow') === 1);
    const started = Date.now();
    await running(replicas).gateway.close();
    // The drain period was kept, and the call did not wait for the tool to end.
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    const { result, error } = await call;
    expect(result).toBeUndefined();
    expect(String((error as Error).message)).toMatch(/may have run/);
    expect(failureOf(error)).toMatchObject({ kind: 'answered', sent: true, code: -32603 });
    // Give any resend time to arrive: there is none.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(ledger.calls('slow')).toBe(1);
  });

  it('lets a call already accepted finish within the drain period, and refuses nothing it accepted', async () => {
    const { ledger, replicas, client } = await setup(5_000);
    const call = client.callTool('pay/slow', { ms: 300 });
    await ledger.waitFor((l) => l.calls('slow') === 1);
    const closed = running(replicas).gateway.close();
    expect(await call).toMatchObject({ content: [{ text: 'slept 300 ms' }] });
    await closed;
    expect(ledger.calls('slow')).toBe(1);
    // The other replica takes the next call.
    expect(await client.callTool('pay/echo', { text: 'next' })).toMatchObject({ content: [{ text: 'next' }] });
  });
});
