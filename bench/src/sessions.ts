// `pnpm bench sessions`: the per-call cost of per-caller upstream sessions (a server's `sessions`,
// docs/sessions.md), measured in one run over the in-memory echo server, calls made as a gateway
// makes them (each with a CallLink naming its client):
//
//   sdk        the SDK client calling the echo server directly (the baseline, 1.00)
//   shared     `sessions: 'shared'`: one upstream session, no per-caller step (the path before the setting)
//   auto_1     `sessions: 'auto'` (the default), one caller
//   auto_8     `sessions: 'auto'`, 8 callers taking turns (sequential calls: each finds its own session)
//
// Then a burst of 64 calls in flight spread over 8 callers: calls/s with `shared` and with `auto`
// (8 callers → 8 upstream sessions). Last line of stdout: one JSON object.
import type { Bridge, CallLink } from '@mcp-bridge/core';
import { checkEcho, ECHO_ARGS, echoBridge, sdkEchoClient } from './lib/echo.js';
import { fmt, measure, parseArgs, pick, ratio, round, variantTable, type VariantResult } from './lib/harness.js';

const args = parseArgs(process.argv.slice(2));
const log = (line: string): void => void process.stderr.write(`${line}\n`);
const CALLERS = 8;
const IN_FLIGHT = 64;

/** A gateway-like link: a client key, no roots, nothing to ask. */
const link = (client: string): CallLink => ({
  signal: undefined,
  client,
  rootsKey: () => '[]',
  sent: () => undefined,
  settled: () => undefined,
  ask: () => Promise.reject(new Error('not asked in this bench')),
});
const links = Array.from({ length: CALLERS }, (_, i) => link(`client-${i}`));

/** Calls of `bridge`, caller after caller among the first `callers` links. */
function caller(bridge: Bridge, callers: number): () => Promise<unknown> {
  let next = 0;
  return () => bridge.callTool('echo', ECHO_ARGS, { link: links[next++ % callers]!, caller: 'bench' });
}

const sdk = await sdkEchoClient();
const shared = await echoBridge([], { sessions: 'shared' });
const auto = await echoBridge([], { sessions: 'auto' });
const auto8 = await echoBridge([], { sessions: 'auto' });

const variants = [
  { name: 'sdk', call: () => sdk.client.callTool({ name: 'echo', arguments: ECHO_ARGS }) },
  { name: 'shared', call: caller(shared, 1) },
  { name: 'auto_1', call: caller(auto, 1) },
  { name: 'auto_8', call: caller(auto8, CALLERS) },
];
for (const v of variants) checkEcho(v.name, await v.call());

log(
  `bench sessions: ${variants.length} variants, warm-up ${args.warmup} calls each, ${args.rounds} rounds × ${args.calls} sequential calls each (node ${process.version})`,
);
const results = await measure(variants, args, log);

/** Calls/s of `total` calls with IN_FLIGHT outstanding, spread over CALLERS callers. */
async function burst(bridge: Bridge, total: number): Promise<number> {
  let issued = 0;
  const worker = async (w: number): Promise<void> => {
    while (issued < total) {
      issued++;
      checkEcho('burst', await bridge.callTool('echo', ECHO_ARGS, { link: links[w % CALLERS]!, caller: 'bench' }));
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: IN_FLIGHT }, (_, w) => worker(w)));
  return total / ((performance.now() - t0) / 1000);
}
const bursts = { shared: [] as number[], auto: [] as number[] };
for (let r = 0; r < args.rounds; r++) {
  bursts.shared.push(await burst(shared, args.calls * 4));
  bursts.auto.push(await burst(auto8, args.calls * 4));
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const burstPerS = { shared: median(bursts.shared), auto: median(bursts.auto) };
await Promise.all([sdk.close(), shared.close(), auto.close(), auto8.close()]);

const by = Object.fromEntries(results.map((r) => [r.name, r])) as Record<'sdk' | 'shared' | 'auto_1' | 'auto_8', VariantResult>;
console.log('');
console.log(variantTable(results, by.sdk));
console.log('');
console.log(
  `per-caller sessions cost ${fmt(by.auto_1.p50 - by.shared.p50)} µs per call at p50 with one caller, ${fmt(by.auto_8.p50 - by.shared.p50)} µs with ${CALLERS} callers taking turns; ` +
    `${IN_FLIGHT} in flight over ${CALLERS} callers: ${fmt(burstPerS.shared, 0)} calls/s shared, ${fmt(burstPerS.auto, 0)} calls/s auto`,
);
console.log(
  JSON.stringify({
    bench: 'sessions',
    node: process.version,
    calls: args.calls * args.rounds,
    p50_us: pick(results, (r) => r.p50),
    p99_us: pick(results, (r) => r.p99),
    heap_bytes_per_call: pick(results, (r) => r.heapBytesPerCall, 0),
    burst_calls_per_s: { shared: round(burstPerS.shared, 0), auto: round(burstPerS.auto, 0) },
    ratio: {
      auto_1_vs_shared: ratio(by.shared.p50, by.auto_1.p50),
      auto_8_vs_shared: ratio(by.shared.p50, by.auto_8.p50),
      burst_auto_vs_shared: round(burstPerS.auto / burstPerS.shared, 3),
    },
  }),
);
