// `pnpm bench retry`: the per-call cost of @mcp-bridge/retry (retry + circuit breaker) on the
// success path, measured in one run against the bare SDK.
//
//   sdk      the SDK client calling the in-memory echo server directly (the baseline, 1.00)
//   bridge   mcp-bridge with no plugins over the same server
//   retry    mcp-bridge with retry() (retry phase + breaker in the upstream phase, default options)
//   retry_t  the same with a per-attempt timeout (attemptTimeoutMs) set
//
// The figure the issue asks for is what retry adds, as a share of a bare SDK call:
// (retry.p50 - bridge.p50) / sdk.p50, target <= 0.15. Last line of stdout: one JSON object.
import type { Bridge, Plugin } from '@mcp-bridge/core';
import { retry } from '@mcp-bridge/retry';
import { checkEcho, ECHO_ARGS, echoBridge, sdkEchoClient } from './lib/echo.js';
import { fmt, measure, parseArgs, pick, ratio, round, variantTable, type VariantResult } from './lib/harness.js';

const args = parseArgs(process.argv.slice(2));
const log = (line: string): void => void process.stderr.write(`${line}\n`);
// Trusted, as a server whose annotations retry may believe.
const bridge = (plugins: Plugin[]): Promise<Bridge> => echoBridge(plugins, { trusted: true });

const sdk = await sdkEchoClient();
const plain = await bridge([]);
const withRetry = await bridge([retry()]);
const withTimeout = await bridge([retry({ attemptTimeoutMs: 5_000 })]);

const variants = [
  { name: 'sdk', call: () => sdk.client.callTool({ name: 'echo', arguments: ECHO_ARGS }) },
  { name: 'bridge', call: () => plain.callTool('echo', ECHO_ARGS) },
  { name: 'retry', call: () => withRetry.callTool('echo', ECHO_ARGS) },
  { name: 'retry_t', call: () => withTimeout.callTool('echo', ECHO_ARGS) },
];
for (const v of variants) checkEcho(v.name, await v.call());

log(
  `bench retry: ${variants.length} variants, warm-up ${args.warmup} calls each, ${args.rounds} rounds × ${args.calls} sequential calls each (node ${process.version})`,
);
const results = await measure(variants, args, log);
// The breaker really was in the path: it counted every call in its window (or rotated them out).
const breaker = withRetry.retry.breaker('bench');
if (!breaker || breaker.state !== 'closed') throw new Error(`the breaker was not in the path: ${JSON.stringify(breaker)}`);
await Promise.all([sdk.close(), plain.close(), withRetry.close(), withTimeout.close()]);

const by = Object.fromEntries(results.map((r) => [r.name, r])) as Record<'sdk' | 'bridge' | 'retry' | 'retry_t', VariantResult>;
console.log('');
console.log(variantTable(results, by.sdk));
const TARGET = 0.15;
const added = (by.retry.p50 - by.bridge.p50) / by.sdk.p50;
const addedT = (by.retry_t.p50 - by.bridge.p50) / by.sdk.p50;
console.log('');
console.log(
  `retry + breaker adds ${fmt(added * 100)}% of a bare SDK call at p50 (target <= ${TARGET * 100}%: ${added <= TARGET ? 'ok' : 'MISSED'}); with attemptTimeoutMs ${fmt(addedT * 100)}%`,
);
console.log(
  JSON.stringify({
    bench: 'retry',
    node: process.version,
    calls: args.calls * args.rounds,
    p50_us: pick(results, (r) => r.p50),
    p99_us: pick(results, (r) => r.p99),
    heap_bytes_per_call: pick(results, (r) => r.heapBytesPerCall, 0),
    ratio: {
      retry_vs_sdk: ratio(by.retry.p50, by.sdk.p50),
      retry_vs_bridge: ratio(by.retry.p50, by.bridge.p50),
      bridge_vs_sdk: ratio(by.bridge.p50, by.sdk.p50),
      retry_added_vs_sdk: round(added, 3),
      retry_timeout_added_vs_sdk: round(addedT, 3),
    },
    targets: { retry_added_vs_sdk: TARGET },
  }),
);
