/**
 * Issue 13 item 2: validation cost is bounded for any input the body limit admits. One 300 KB
 * `{ xs: [[0], [1], ...] }` against an ordinary `uniqueItems: true` schema used to block the event
 * loop for 17-39 s (Ajv compares every pair of non-scalar items). Here the attack runs through a real
 * HTTP gateway in front of a real stdio upstream, arguments and `structuredContent` alike, while a
 * victim client keeps calling; the gateway's event-loop delay is measured while the attack runs.
 */
import { createBridge, type Bridge } from '@mcp-bridge/core';
import { serveHttp, type HttpGateway } from '@mcp-bridge/server';
import { validation } from '@mcp-bridge/validation';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { openSession, percentile, rpc, type RpcAnswer } from './raw-session.js';

const server = fileURLToPath(new URL('./fixtures/unique-items-server.mjs', import.meta.url));

/**
 * The event loop may stall at most this long (ms) while the attack runs. Unbounded, the uniqueItems check
 * stalled it 17-39 s (19.8 s measured here) and the recursive anyOf for minutes; bounded, 30-300 ms on
 * a loaded 2-core machine, where one garbage collection can add a few hundred ms on its own.
 */
const MAX_DELAY_MS = 1_000;
const ATTACKS = 3;

/** `[[0], [1], ...]` with as many items as make its JSON at least `bytes` long. */
function pairsOfSize(bytes: number): number[][] {
  const xs: number[][] = [];
  for (let length = 2; length < bytes; xs.push([xs.length])) length += String(xs.length).length + 3;
  return xs;
}

async function connect(url: string, name: string): Promise<Client> {
  const client = new Client({ name, version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return client;
}

describe('validation cost under hostile values (uniqueItems, recursive anyOf, extra properties, large enum)', () => {
  let bridge: Bridge | undefined;
  let gateway: HttpGateway | undefined;
  const clients: Client[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await gateway?.close();
    await bridge?.close();
    gateway = bridge = undefined;
  });

  /**
   * Sends the `tools/call` of `params` (JSON text: a raw attacker, so the test process spends no time
   * serialising it) ATTACKS times while a victim calls echo in a loop; checks each answer.
   */
  async function underAttack(
    params: string,
    check: (answer: RpcAnswer) => void,
  ): Promise<{ maxDelayMs: number; ok: number; calls: number }> {
    bridge = createBridge({
      servers: { s: { command: process.execPath, args: [server] } },
      plugins: [validation()],
      onError: () => undefined,
    });
    gateway = await serveHttp(bridge, { onError: () => undefined });
    const victim = await connect(gateway.url, 'victim');
    clients.push(victim);
    const session = await openSession(gateway.url);
    // One small invalid call first: building Ajv's every-error validator is a one-time cost, not the attack's.
    await rpc(gateway.url, session, '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"tag","arguments":{"xs":[1,1]}}}');

    let attacking = true;
    const latencies: number[] = [];
    let ok = 0;
    const victimLoop = (async () => {
      for (let i = 0; attacking || i < 50; i++) {
        const started = performance.now();
        const result = await victim.callTool({ name: 'echo', arguments: { text: `call ${i}` } });
        latencies.push(performance.now() - started);
        if ((result.content as { text?: string }[])[0]?.text === `call ${i}`) ok++;
      }
    })();
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    try {
      for (let i = 0; i < ATTACKS; i++)
        check(await rpc(gateway.url, session, `{"jsonrpc":"2.0","id":${10 + i},"method":"tools/call","params":${params}}`));
    } finally {
      delay.disable();
      attacking = false;
    }
    await victimLoop;
    const maxDelayMs = delay.max / 1e6;
    console.log(
      `event-loop delay during ${ATTACKS} attacks: max ${maxDelayMs.toFixed(1)} ms, p99 ${(delay.percentile(99) / 1e6).toFixed(1)} ms; ` +
        `victim: ${ok}/${latencies.length} ok, p99 ${percentile(latencies, 99).toFixed(1)} ms`,
    );
    return { maxDelayMs, ok, calls: latencies.length };
  }

  it('arguments: validated in bounded time, the call goes through, the victim’s calls all pass', async () => {
    const xs = pairsOfSize(300_000);
    const figures = await underAttack(JSON.stringify({ name: 'tag', arguments: { xs } }), ({ result }) => {
      expect(result?.isError).toBeFalsy();
      expect((result?.content as { text: string }[])[0]!.text).toBe(`${xs.length} items`);
    });
    expect(figures.maxDelayMs).toBeLessThan(MAX_DELAY_MS);
    expect(figures.ok).toBe(figures.calls);
  }, 60_000);

  it('arguments with a duplicate at the end: refused with the rule named, in bounded time', async () => {
    const xs = pairsOfSize(300_000);
    xs.push([...xs[1]!]);
    const figures = await underAttack(JSON.stringify({ name: 'tag', arguments: { xs } }), ({ result }) => {
      expect(result?.isError).toBe(true);
      expect((result?.content as { text: string }[])[0]!.text).toMatch(/no duplicate items/);
    });
    expect(figures.maxDelayMs).toBeLessThan(MAX_DELAY_MS);
    expect(figures.ok).toBe(figures.calls);
  }, 60_000);

  it('structuredContent: a 300 KB answer against a uniqueItems outputSchema is validated in bounded time', async () => {
    const n = pairsOfSize(300_000).length;
    const figures = await underAttack(JSON.stringify({ name: 'pairs', arguments: { n } }), ({ result }) => {
      expect(result?.isError).toBeFalsy();
      expect((result?.structuredContent as { xs: unknown[] }).xs).toHaveLength(n);
    });
    expect(figures.maxDelayMs).toBeLessThan(MAX_DELAY_MS);
    expect(figures.ok).toBe(figures.calls);
  }, 60_000);

  it('a value that makes a recursive anyOf schema re-validate its subtrees: refused within the recursion budget', async () => {
    // 29 levels of `{ kids: [...], kind: 'branch' }` (61 deep: within core's requestLimits.maxDepth): each
    // level's first anyOf branch validates the whole subtree before failing on `kind`: 2^29 steps for Ajv alone.
    let node = '{"kind":"branch"}';
    for (let i = 0; i < 29; i++) node = `{"kids":[${node}],"kind":"branch"}`;
    const figures = await underAttack(`{"name":"tree","arguments":{"root":${node}}}`, ({ result }) => {
      expect(result?.isError).toBe(true);
      expect((result?.content as { text: string }[])[0]!.text).toMatch(/too costly to validate/);
    });
    expect(figures.maxDelayMs).toBeLessThan(MAX_DELAY_MS);
    expect(figures.ok).toBe(figures.calls);
  }, 60_000);

  it('40,000 extra properties against additionalProperties: false: refused, its issues listed in bounded time', async () => {
    const extra = Object.fromEntries(Array.from({ length: 40_000 }, (_, i) => [`k${i}`, i]));
    const figures = await underAttack(JSON.stringify({ name: 'strict', arguments: { a: 'x', ...extra } }), ({ result }) => {
      expect(result?.isError).toBe(true);
      expect((result?.content as { text: string }[])[0]!.text).toMatch(/40000 problems[\s\S]*\/k0: must NOT have additional properties/);
    });
    expect(figures.maxDelayMs).toBeLessThan(MAX_DELAY_MS);
    expect(figures.ok).toBe(figures.calls);
  }, 60_000);

  it('120,000 items (1.4 MB) each checked against an enum of 5,000 codes: hashed, in bounded time', async () => {
    // Ajv compares each item with every code in turn: 2-4 s of event loop per 40,000 items.
    const xs = Array.from({ length: 120_000 }, () => 'code-4999');
    const figures = await underAttack(JSON.stringify({ name: 'codes', arguments: { xs } }), ({ result }) => {
      expect(result?.isError).toBeFalsy();
      expect((result?.content as { text: string }[])[0]!.text).toBe('codes received');
    });
    expect(figures.maxDelayMs).toBeLessThan(MAX_DELAY_MS);
    expect(figures.ok).toBe(figures.calls);
  }, 60_000);
});
