import type { ClientRequest } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterEach, describe, expect, it } from 'vitest';
import {
  attackGateway,
  memoryBaseline,
  memorySampler,
  MiB,
  mib,
  p99Bound,
  postNeverRead,
  rawSession,
  retainedOnceFreed,
  retainedSince,
  sdkClient,
  stalledBody,
  TOKENS,
  VictimLog,
  victimLoop,
} from './support/attack.js';

/**
 * One caller cannot take the gateway's memory or connections away from the others: a real
 * `serveHttp` gateway on 127.0.0.1 in front of a real SDK server, a victim client calling all
 * along, and an attacker (another named token) misbehaving over raw HTTP.
 */
describe('serveHttp: per-caller caps under attack', () => {
  const cleanups: (() => Promise<unknown> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await Promise.resolve(fn()).catch(() => undefined);
  });

  const echo = (client: Client) => () => client.callTool({ name: 'echo', arguments: { text: 'hi' } });

  async function baseline(client: Client): Promise<VictimLog> {
    const log = new VictimLog();
    for (let i = 0; i < 60; i++) await log.time(echo(client));
    return log;
  }

  it('a client that asks for 9 MiB answers and never reads them holds a bounded share of memory; the victim goes on', async () => {
    const { gateway, close } = await attackGateway({ sendTimeoutMs: 2_000 });
    cleanups.push(close);
    const victim = await sdkClient(gateway.url, TOKENS.victim);
    cleanups.push(() => victim.close());
    const calm = await baseline(victim);

    const attacker = await rawSession(gateway.url, TOKENS.attacker);
    const open: ClientRequest[] = [];
    cleanups.push(() => open.forEach((r) => r.destroy()));
    const call = JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'big', arguments: { bytes: 9 * MiB } } });
    const statuses: number[] = [];
    const base = memoryBaseline();
    const memory = memorySampler();
    const attack = (async () => {
      // 8 connections at a time; each sends its next request once the answer's headers are in, never reading a body.
      const worker = async (): Promise<void> => {
        while (statuses.length < 100) statuses.push(await postNeverRead(gateway.url, TOKENS.attacker, attacker, call, open));
      };
      await Promise.all(Array.from({ length: 8 }, worker));
    })();
    const during = new VictimLog();
    await victimLoop(during, echo(victim), attack);
    const peak = memory.stop();
    const held = retainedSince(base);
    // The unread answers are dropped after the send timeout and their memory given back.
    await expect.poll(() => gateway.load().bufferedBytes, { timeout: 15_000, interval: 200 }).toBe(0);
    const left = await retainedOnceFreed(base, 16 * MiB);

    const refused = statuses.filter((s) => s === 429).length;
    console.log(
      `[never-reading client] ${calm.summary('victim baseline')}; ${during.summary('victim under attack')}; ` +
        `attacker: ${statuses.length} requests, ${refused} refused 429; gateway memory held at the end of the attack ${mib(held.total)} ` +
        `(heap ${mib(held.heap)}, buffers ${mib(held.arrayBuffers)}), after the send timeout ${mib(left.total)}; peak RSS growth ${mib(peak.rss)}`,
    );
    expect(during.successRate, during.errors.join('; ')).toBeGreaterThanOrEqual(0.99);
    expect(during.p99).toBeLessThan(p99Bound(calm));
    // Unbounded, 100 unread 9 MiB answers hold 1-4 GiB; the caller's 64 MiB budget refuses the rest at once.
    expect(refused).toBeGreaterThan(50);
    expect(held.total).toBeLessThan(200 * MiB);
    expect(left.total).toBeLessThan(32 * MiB);
  }, 90_000);

  it('100 stalled 4 MiB bodies: refused past the caller budget, dropped after the body timeout, memory given back', async () => {
    const { gateway, close } = await attackGateway({ bodyTimeoutMs: 2_000 });
    cleanups.push(close);
    const victim = await sdkClient(gateway.url, TOKENS.victim);
    cleanups.push(() => victim.close());
    const calm = await baseline(victim);

    const attacker = await rawSession(gateway.url, TOKENS.attacker);
    const open: ClientRequest[] = [];
    cleanups.push(() => open.forEach((r) => r.destroy()));
    const base = memoryBaseline();
    const memory = memorySampler();
    // Each announces 4 MiB and sends all but the last 16 bytes.
    const attempts = Array.from({ length: 100 }, () => stalledBody(gateway.url, TOKENS.attacker, attacker, 4 * MiB, 4 * MiB - 16, open));
    const settled = Promise.race([Promise.all(attempts), sleep(25_000).then(() => 'timed out' as const)]);
    const during = new VictimLog();
    // Measured while the bodies stall (at 0.5, 1 and 1.5 s; the body timeout is 2 s): the most the attacker holds.
    const held = (async () => {
      let most = { heap: 0, arrayBuffers: 0, total: 0 };
      for (let i = 0; i < 3; i++) {
        await sleep(500);
        const now = retainedSince(base);
        if (now.total > most.total) most = now;
      }
      return most;
    })();
    await victimLoop(during, echo(victim), Promise.all([settled, held]));
    const peak = memory.stop();
    const outcome = await settled;
    const holding = await held;
    const left = await retainedOnceFreed(base, 16 * MiB);

    const statuses = outcome === 'timed out' ? [] : outcome;
    const count = (s: number): number => statuses.filter((x) => x === s).length;
    console.log(
      `[stalled bodies] ${calm.summary('victim baseline')}; ${during.summary('victim under attack')}; ` +
        `attacker: ${outcome === 'timed out' ? 'still held after 25 s' : `${count(429)} refused 429, ${count(408)} timed out 408, ${count(-1)} dropped`}; ` +
        `gateway memory held while they stall ${mib(holding.total)} (buffers ${mib(holding.arrayBuffers)}), after it ${mib(left.total)}; ` +
        `peak RSS growth ${mib(peak.rss)}`,
    );
    expect(outcome).not.toBe('timed out');
    expect(during.successRate, during.errors.join('; ')).toBeGreaterThanOrEqual(0.99);
    expect(during.p99).toBeLessThan(p99Bound(calm));
    // Unbounded, they hold 390 MiB until Node's 5-minute request timeout; the caller's 64 MiB budget refuses the rest.
    expect(count(429)).toBeGreaterThan(50);
    expect(holding.arrayBuffers).toBeLessThan(100 * MiB);
    // Every connection answered (408 at the body timeout) or dropped, and its bytes given back.
    expect(gateway.load()).toMatchObject({ bufferedBytes: 0, requests: 0 });
    expect(left.total).toBeLessThan(16 * MiB);
  }, 90_000);
});
