// `pnpm bench pool`: the per-call cost of @mcp-bridge/pool (session pick + bulkhead) on the success
// path, and how fast an overloaded upstream refuses, measured in one run against the bare SDK.
//
//   sdk      the SDK client calling the in-memory echo server directly (the baseline, 1.00)
//   bridge   mcp-bridge with core's default pool over the same server
//   pool     mcp-bridge with pool() (default options)
//   pool_4   pool({ maxSessions: 4 }) (sequential calls: one session carries them)
//
// Then `overload`: calls refused by a full bulkhead (maxConcurrent 1, maxPending 0) — the time from
// callTool() to the OverloadedError, through the whole pipeline. Last line of stdout: one JSON object.
import { OverloadedError, type Bridge, type Plugin } from '@mcp-bridge/core';
import { pool } from '@mcp-bridge/pool';
import { checkEcho, ECHO_ARGS, echoBridge, sdkEchoClient } from './lib/echo.js';
import { fmt, measure, parseArgs, pick, ratio, round, variantTable, type VariantResult } from './lib/harness.js';

const args = parseArgs(process.argv.slice(2));
const log = (line: string): void => void process.stderr.write(`${line}\n`);
// `slow` too: the overload measurement fills the bulkhead with calls that stay in flight.
const bridge = (plugins: Plugin[]): Promise<Bridge> => echoBridge(plugins, {}, ['echo', 'slow']);

const sdk = await sdkEchoClient(['echo', 'slow']);
const plain = await bridge([]);
const pooled = await bridge([pool()]);
const pooled4 = await bridge([pool({ maxSessions: 4 })]);

const variants = [
  { name: 'sdk', call: () => sdk.client.callTool({ name: 'echo', arguments: ECHO_ARGS }) },
  { name: 'bridge', call: () => plain.callTool('echo', ECHO_ARGS) },
  { name: 'pool', call: () => pooled.callTool('echo', ECHO_ARGS) },
  { name: 'pool_4', call: () => pooled4.callTool('echo', ECHO_ARGS) },
];
for (const v of variants) checkEcho(v.name, await v.call());

log(
  `bench pool: ${variants.length} variants, warm-up ${args.warmup} calls each, ${args.rounds} rounds × ${args.calls} sequential calls each (node ${process.version})`,
);
const results = await measure(variants, args, log);
if (pooled.pool().bench?.running !== 0) throw new Error(`the pool was not in the path: ${JSON.stringify(pooled.pool())}`);

// Overflow: one slow call holds the only slot, nothing may wait; every further call is refused.
const full = await bridge([pool({ maxConcurrent: 1, maxPending: 0 })]);
const holder = full.callTool('slow', { ms: 60_000 }).catch(() => undefined);
while (full.pool().bench?.running !== 1) await new Promise((r) => setImmediate(r));
const refusals: number[] = [];
for (let i = 0; i < args.calls * 2; i++) {
  const t0 = performance.now();
  const error = await full.callTool('echo', ECHO_ARGS).catch((e: unknown) => e);
  refusals.push((performance.now() - t0) * 1000);
  if (!(error instanceof OverloadedError)) throw new Error(`expected OverloadedError, got ${String(error)}`);
}
refusals.sort((a, b) => a - b);
const overload = {
  p50: refusals[Math.floor(refusals.length * 0.5)]!,
  p99: refusals[Math.floor(refusals.length * 0.99)]!,
  max: refusals.at(-1)!,
};
await Promise.all([sdk.close(), plain.close(), pooled.close(), pooled4.close(), full.close()]);
await holder;

const by = Object.fromEntries(results.map((r) => [r.name, r])) as Record<'sdk' | 'bridge' | 'pool' | 'pool_4', VariantResult>;
console.log('');
console.log(variantTable(results, by.sdk));
const added = (by.pool.p50 - by.bridge.p50) / by.sdk.p50;
console.log('');
console.log(
  `pool adds ${fmt(added * 100)}% of a bare SDK call at p50 over core's default pool; an overloaded upstream refuses in ${fmt(overload.p50)} µs p50, ${fmt(overload.p99)} µs p99 (target < 1000 µs: ${overload.p99 < 1000 ? 'ok' : 'MISSED'})`,
);
console.log(
  JSON.stringify({
    bench: 'pool',
    node: process.version,
    calls: args.calls * args.rounds,
    p50_us: pick(results, (r) => r.p50),
    p99_us: pick(results, (r) => r.p99),
    heap_bytes_per_call: pick(results, (r) => r.heapBytesPerCall, 0),
    overload_us: { p50: round(overload.p50), p99: round(overload.p99), max: round(overload.max) },
    ratio: {
      pool_vs_sdk: ratio(by.pool.p50, by.sdk.p50),
      pool_vs_bridge: ratio(by.pool.p50, by.bridge.p50),
      bridge_vs_sdk: ratio(by.bridge.p50, by.sdk.p50),
      pool_added_vs_sdk: round(added, 3),
    },
    targets: { overload_p99_us: 1000 },
  }),
);
