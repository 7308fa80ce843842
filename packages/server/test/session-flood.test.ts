import { afterEach, describe, expect, it } from 'vitest';
import { attackGateway, p99Bound, rawSession, sdkClient, TOKENS, VictimLog } from './support/attack.js';

/**
 * The session table under an `initialize` flood from one caller (named tokens tell callers apart:
 * on 127.0.0.1 every client has one address): the victim still opens sessions and calls.
 */
describe('serveHttp: initialize flood', () => {
  const cleanups: (() => Promise<unknown> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await Promise.resolve(fn()).catch(() => undefined);
  });

  /** A fresh session and one call on it: what a new client does. */
  const newClientCall = (url: string) => async (): Promise<void> => {
    const client = await sdkClient(url, TOKENS.victim);
    cleanups.push(() => client.close());
    await client.callTool({ name: 'echo', arguments: { text: 'hi' } });
  };

  it('1,000 initialize from one caller (never initialized): the victim still opens sessions and calls', async () => {
    const { gateway, close } = await attackGateway();
    cleanups.push(close);
    const base = new VictimLog();
    for (let i = 0; i < 20; i++) await base.time(newClientCall(gateway.url));

    let sent = 0;
    const refusals: string[] = [];
    const flood = (async () => {
      const worker = async (): Promise<void> => {
        while (sent < 1_100) {
          sent++;
          await rawSession(gateway.url, TOKENS.attacker, false).catch((e: unknown) => refusals.push(String(e)));
        }
      };
      await Promise.all(Array.from({ length: 16 }, worker));
    })();
    const during = new VictimLog();
    let floodDone = false;
    void flood.finally(() => (floodDone = true));
    while (!floodDone) await during.time(newClientCall(gateway.url));
    // And once the flood is over: the table must not be left full of the attacker's sessions.
    const after = new VictimLog();
    for (let i = 0; i < 20; i++) await after.time(newClientCall(gateway.url));

    console.log(
      `[initialize flood] ${base.summary('victim baseline')}; ${during.summary('victim during flood')}; ${after.summary('victim after')}; ` +
        `attacker: ${sent} initialize, ${refusals.length} refused; sessions open ${gateway.sessionCount()}`,
    );
    expect(during.successRate, during.errors.join('; ')).toBeGreaterThanOrEqual(0.99);
    expect(after.successRate, after.errors.join('; ')).toBe(1);
    expect(during.p99).toBeLessThan(p99Bound(base));
    // The attacker holds at most its own share of the table.
    expect(gateway.load().sessionsByCaller['token:attacker'] ?? 0).toBeLessThanOrEqual(100);
  }, 120_000);
});
