// `pnpm bench plugins`: the per-call cost of the observability plugins, measured in one run.
//
//   sdk       the SDK client calling the in-memory echo server directly (the baseline, 1.00)
//   bridge    mcp-bridge with no plugins over the same server
//   metrics   bridge + @mcp-bridge/plugin-metrics (defaults: calls, latency, in-flight, attempts)
//   tracing   bridge + @mcp-bridge/plugin-tracing with no tracer provider registered ("no exporter")
//   logging   bridge + @mcp-bridge/plugin-logging at level off (`silent`)
//   all       bridge + every one of the above
//   traced    bridge + tracing with an SDK tracer provider and no exporter: spans are made, then dropped
//             (for reference: the cost of tracing switched on, not part of the target)
//   guard     bridge + @mcp-bridge/plugin-guard with path, URL (detect), size and deny rules on every
//             tool (echo's `text` is walked, measured and matched; no path or URL argument to resolve)
//   guard_secrets  guard + secret scanning of arguments (block) and results (redact): secretlint's
//             fixed cost per scan, the reason scanning is opt-in per tool (for reference, not a target)
//   pinning   bridge + @mcp-bridge/plugin-pinning (pins in a temporary file; echo pinned, no drift)
//   overrides bridge + @mcp-bridge/plugin-overrides with an override on the called tool (description, a default)
//   curated   bridge + guard + overrides + pinning: the issue-17 set, target <= 5% of a bare bridge call
//             (`curated_vs_bridge`, paired), with the guard's rules of the `guard` variant
//
// The figure the issue asks for is `added_vs_sdk`: (all − bridge) / sdk at p50, target <= 0.10. On a
// shared, noisy host the p50s of separate batches drift by more than the cost measured, so the
// added cost is also measured paired: calls of `bridge` and of the variant alternate one by one
// (order flipped every pair), and the median of the per-pair differences is taken (`paired_*`).
// Last line of stdout: one JSON object with the figures and the ratios.
import type { Bridge, Plugin } from '@mcp-bridge/core';
import { guard, type GuardOptions } from '@mcp-bridge/plugin-guard';
import { logging } from '@mcp-bridge/plugin-logging';
import { metrics } from '@mcp-bridge/plugin-metrics';
import { tracing } from '@mcp-bridge/plugin-tracing';
import { overrides } from '@mcp-bridge/plugin-overrides';
import { pinning } from '@mcp-bridge/plugin-pinning';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkEcho as check, ECHO_ARGS, echoBridge as bridge, sdkEchoClient } from './lib/echo.js';
import { baseFigures, fmt, measure, parseArgs, ratio, round, table, type Variant, type VariantResult } from './lib/harness.js';

const args = parseArgs(process.argv.slice(2));
const log = (line: string): void => void process.stderr.write(`${line}\n`);

const sdk = await sdkEchoClient();
const pinDir = await mkdtemp(join(tmpdir(), 'mcp-bridge-bench-pins-'));
const pinned = (file: string): Plugin => pinning({ file: join(pinDir, file), onChange: 'block', log: false });
const curation = (): Plugin => overrides({ tools: { 'bench/echo': { description: 'Echoes the text back', defaults: { text: 'hi' } } } });
const loggingOff = (): Plugin => logging({ level: 'silent' });
const guardRules: GuardOptions = {
  paths: { roots: [tmpdir()], detect: true },
  urls: { detect: true },
  limits: { maxStringLength: 100_000, maxArgumentBytes: 1_000_000, maxArrayLength: 1_000 },
  deny: [{ pattern: 'rm -rf' }],
};
const bridges: Record<string, Bridge> = {
  bridge: await bridge([]),
  metrics: await bridge([metrics()]),
  tracing: await bridge([tracing()]),
  logging: await bridge([loggingOff()]),
  all: await bridge([metrics(), tracing(), loggingOff()]),
  traced: await bridge([tracing({ tracerProvider: new BasicTracerProvider() })]),
  guard: await bridge([guard(guardRules)]),
  guard_secrets: await bridge([guard({ ...guardRules, secrets: { arguments: 'block', results: 'redact' } })]),
  pinning: await bridge([pinned('pinning.json')]),
  overrides: await bridge([curation()]),
  curated: await bridge([guard(guardRules), curation(), pinned('curated.json')]),
};
// The curation plugins really ran: echo is pinned, and listed with the overridden description.
for (const name of ['pinning', 'curated']) {
  const stored = await bridges[name]!.pins.store.all();
  if (stored.length !== 1 || !stored[0]!.items['tool:echo']) throw new Error(`variant ${name}: echo was not pinned`);
}
for (const name of ['overrides', 'curated']) {
  if ((await bridges[name]!.listTools()).tools[0]?.description !== 'Echoes the text back')
    throw new Error(`variant ${name}: the override did not apply`);
}

const variants: Variant[] = [
  { name: 'sdk', call: () => sdk.client.callTool({ name: 'echo', arguments: ECHO_ARGS }) },
  ...Object.entries(bridges).map(([name, b]) => ({ name, call: () => b.callTool('echo', ECHO_ARGS) })),
];
for (const v of variants) check(v.name, await v.call());

log(
  `bench plugins: ${variants.length} variants (metrics + tracing + logging), ` +
    `warm-up ${args.warmup} calls each, ${args.rounds} rounds × ${args.calls} sequential calls each (node ${process.version})`,
);
const results = await measure(variants, args, log);

/** Median of per-pair differences (variant − bridge), µs: both sides of a pair see the same load. */
async function pairedAdded(variant: () => Promise<unknown>, plain: () => Promise<unknown>, pairs: number): Promise<number> {
  const diffs = new Float64Array(pairs);
  for (let i = 0; i < pairs; i++) {
    const first = i % 2 === 0 ? variant : plain;
    const second = i % 2 === 0 ? plain : variant;
    const t0 = process.hrtime.bigint();
    await first();
    const t1 = process.hrtime.bigint();
    await second();
    const t2 = process.hrtime.bigint();
    const a = Number(t1 - t0);
    const b = Number(t2 - t1);
    diffs[i] = (i % 2 === 0 ? a - b : b - a) / 1_000;
  }
  diffs.sort();
  return diffs[Math.floor(pairs / 2)]!;
}
const plainCall = variants.find((v) => v.name === 'bridge')!.call;
const pairs = args.calls * args.rounds;
const paired: Record<string, number> = {};
for (const v of variants) {
  if (v.name === 'sdk' || v.name === 'bridge') continue;
  paired[v.name] = await pairedAdded(v.call, plainCall, pairs);
  log(`  paired ${v.name} done`);
}

// The plugins really ran: metrics counted every call of its bridges.
const counted = /mcp_bridge_calls_total\{[^}]*tool="echo"[^}]*outcome="ok"[^}]*\} (\d+)/.exec(await bridges.all!.metrics.metrics());
const expected = 1 + args.warmup + 2 * args.calls * args.rounds;
if (!counted || Number(counted[1]) < expected)
  throw new Error(`the metrics plugin did not count every call: ${counted?.[1]} < ${expected}`);

await Promise.all([sdk.close(), ...Object.values(bridges).map((b) => b.close())]);
await rm(pinDir, { recursive: true, force: true });

const by = Object.fromEntries(results.map((r) => [r.name, r])) as Record<string, VariantResult>;
const base = by.sdk!;
console.log('');
console.log(
  table([
    ['variant', 'p50 µs', 'p90 µs', 'p99 µs', 'calls/s', 'p50 ×sdk', 'added p50 µs', 'added paired µs', 'heap B/call'],
    ...results.map((r) => [
      r.name,
      fmt(r.p50),
      fmt(r.p90),
      fmt(r.p99),
      fmt(r.callsPerS, 0),
      fmt(r.p50 / base.p50, 2),
      r.name === 'sdk' || r.name === 'bridge' ? '-' : fmt(r.p50 - by.bridge!.p50, 2),
      paired[r.name] === undefined ? '-' : fmt(paired[r.name]!, 2),
      r.heapBytesPerCall === undefined ? '-' : fmt(r.heapBytesPerCall, 0),
    ]),
  ]),
);
const TARGET = 0.1;
const added = round((by.all!.p50 - by.bridge!.p50) / base.p50, 3);
const addedPaired = round(paired.all! / base.p50, 3);
console.log('');
console.log(
  `added by metrics + tracing + logging: paired median ${fmt(paired.all!, 2)} µs = ${fmt(addedPaired * 100, 1)}% of a bare SDK call ` +
    `(target <= ${TARGET * 100}%: ${addedPaired <= TARGET ? 'ok' : 'MISSED'}); from the batches' p50s ${fmt(by.all!.p50 - by.bridge!.p50, 2)} µs = ${fmt(added * 100, 1)}% (noisy, shared 2-core host)`,
);

const CURATED_TARGET = 0.05;
const curatedVsBridge = round(paired.curated! / by.bridge!.p50, 3);
console.log(
  `added by guard + overrides + pinning: paired median ${fmt(paired.curated!, 2)} µs = ${fmt(curatedVsBridge * 100, 1)}% of a bare bridge call ` +
    `(target <= ${CURATED_TARGET * 100}% with the guard: ${curatedVsBridge <= CURATED_TARGET ? 'ok' : 'MISSED'})`,
);

console.log(
  JSON.stringify({
    ...baseFigures('plugins', args, results),
    plugins: ['metrics', 'tracing (no provider)', 'logging (level silent)'],
    paired_added_us: Object.fromEntries(Object.entries(paired).map(([k, v]) => [k, round(v, 2)])),
    ratio: {
      added_vs_sdk: addedPaired,
      added_vs_sdk_from_p50s: added,
      all_vs_bridge: ratio(by.all!.p50, by.bridge!.p50),
      guard_vs_bridge: ratio(by.guard!.p50, by.bridge!.p50),
      guard_secrets_vs_bridge: ratio(by.guard_secrets!.p50, by.bridge!.p50),
      all_vs_sdk: ratio(by.all!.p50, base.p50),
      bridge_vs_sdk: ratio(by.bridge!.p50, base.p50),
      curated_vs_bridge: curatedVsBridge,
      added_vs_bridge_each: Object.fromEntries(
        ['pinning', 'overrides', 'curated'].map((k) => [k, paired[k] === undefined ? null : round(paired[k] / by.bridge!.p50, 3)]),
      ),
      added_vs_sdk_each: Object.fromEntries(
        ['metrics', 'tracing', 'logging', 'traced', 'guard', 'guard_secrets'].map((k) => [
          k,
          paired[k] === undefined ? null : round(paired[k] / base.p50, 3),
        ]),
      ),
    },
    curated: ['guard', 'overrides', 'pinning'],
    targets: { added_vs_sdk: TARGET, curated_vs_bridge: CURATED_TARGET },
  }),
);
