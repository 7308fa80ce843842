// `pnpm bench loadbalancer`: what balancing across replicas costs per call, measured in one run
// against the bare SDK.
//
//   sdk        the SDK client calling the in-memory echo server directly (the baseline, 1.00)
//   bridge     mcp-bridge, no plugins, one upstream
//   lb_p2c     @mcp-bridge/loadbalancer (least-outstanding, two choices) over 3 in-memory replicas
//   lb_hash    consistent hash on the caller over the same 3 replicas
//   lb_health  least-outstanding plus @mcp-bridge/health (timing middleware, passive detection; probes off)
//
// Last line of stdout: one JSON object with the figures and the ratios against `sdk`.
import type { Bridge, Plugin } from '@mcp-bridge/core';
import { health } from '@mcp-bridge/health';
import { loadBalancer } from '@mcp-bridge/loadbalancer';
import { ECHO_ARGS, echoBridge, sdkEchoClient } from './lib/echo.js';
import { fmt, measure, parseArgs, pick, ratio, table, type Variant } from './lib/harness.js';

const args = parseArgs(process.argv.slice(2));
const log = (line: string): void => void process.stderr.write(`${line}\n`);
async function bridge(replicas: number, plugins: Plugin[]): Promise<Bridge> {
  const b = await echoBridge(plugins, replicas === 1 ? {} : { replicas });
  // Connect every replica before measuring.
  for (let i = 0; i < replicas * 4; i++) await b.callTool('echo', ECHO_ARGS, { caller: `warm-${i}` });
  return b;
}

const sdk = await sdkEchoClient();
const plain = await bridge(1, []);
const p2c = await bridge(3, [loadBalancer()]);
const hash = await bridge(3, [loadBalancer({ picker: 'consistent-hash' })]);
const withHealth = await bridge(3, [health({ probes: false }), loadBalancer()]);

const variants: Variant[] = [
  { name: 'sdk', call: () => sdk.client.callTool({ name: 'echo', arguments: ECHO_ARGS }) },
  { name: 'bridge', call: () => plain.callTool('echo', ECHO_ARGS) },
  { name: 'lb_p2c', call: () => p2c.callTool('echo', ECHO_ARGS) },
  { name: 'lb_hash', call: () => hash.callTool('echo', ECHO_ARGS, { caller: 'alice' }) },
  { name: 'lb_health', call: () => withHealth.callTool('echo', ECHO_ARGS) },
];
log(
  `bench loadbalancer: ${variants.length} variants, warm-up ${args.warmup} calls each, ${args.rounds} rounds × ${args.calls} sequential calls each (node ${process.version})`,
);
const results = await measure(variants, args, log);
const spread = p2c.loadBalancer.stats().picks;
if (Object.keys(spread).length !== 3) throw new Error(`lb_p2c did not use all three replicas: ${JSON.stringify(spread)}`);
await Promise.all([sdk.close(), plain.close(), p2c.close(), hash.close(), withHealth.close()]);

const by = Object.fromEntries(results.map((r) => [r.name, r]));
const base = by.sdk!;
console.log('');
console.log(
  table([
    ['variant', 'p50 µs', 'p99 µs', 'calls/s', 'p50 ×sdk'],
    ...results.map((r) => [r.name, fmt(r.p50), fmt(r.p99), fmt(r.callsPerS, 0), fmt(r.p50 / base.p50, 2)]),
  ]),
);
console.log('');
console.log(
  JSON.stringify({
    bench: 'loadbalancer',
    node: process.version,
    calls: args.calls * args.rounds,
    p50_us: pick(results, (r) => r.p50),
    p99_us: pick(results, (r) => r.p99),
    calls_per_s: pick(results, (r) => r.callsPerS, 0),
    picks: spread,
    ratio: {
      bridge_vs_sdk: ratio(by.bridge!.p50, base.p50),
      lb_p2c_vs_sdk: ratio(by.lb_p2c!.p50, base.p50),
      lb_hash_vs_sdk: ratio(by.lb_hash!.p50, base.p50),
      lb_health_vs_sdk: ratio(by.lb_health!.p50, base.p50),
      lb_p2c_vs_bridge: ratio(by.lb_p2c!.p50, by.bridge!.p50),
    },
  }),
);
