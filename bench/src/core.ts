// `pnpm bench core`: the overhead of the bridge over the bare MCP SDK, measured in one run.
//
//   sdk     the SDK client calling the in-memory echo server directly (the baseline, 1.00)
//   proxy   a naive pass-through proxy written with the bare SDK (client → Server → Client → server)
//   bridge  mcp-bridge with no plugins over the same in-memory server
//   chain8  mcp-bridge with 8 pass-through middlewares spread across the phases
//   legacy_http  mcp-bridge over a 2025-11-25 upstream (the SDK 1.x test server) over Streamable HTTP
//   modern_http  mcp-bridge over a 2026-07-28 upstream (the v2 modern-only test server) over Streamable HTTP
//   sdk_legacy_http / sdk_modern_http  the bare SDK client of each era (1.x, v2) straight to those servers,
//                sending the raw tools/call request the bridge sends
//
// The era pair is over HTTP on 127.0.0.1 (a modern upstream cannot be linked in memory: `in-memory`
// entries are 2025 only), each era's server in a process of its own (lib/echo-upstream.ts). The v2 SDK
// test server costs about 2.5x the CPU of the 1.x one per call, which is the server's cost, not the
// bridge's: so besides the call time the bench reads, per era, the server's CPU per call and this
// process's CPU per call (the calling side: bridge + SDK client). Target: the bridge's own cost, this
// process's CPU per call, modern/legacy <= 1.05 (a modern upstream call costs the bridge no more than a
// legacy one); printed with the call-time ratio and what the bridge adds over the bare client per era.
//
// The equal-cost upstream (`*_eq`): the same four era variants over ONE hand-written echo process
// (lib/equal-cost-echo.ts, no SDK) that answers both eras with the same work per call, so the bridge's
// modern/legacy call-time ratio against it is the bridge's alone: target <= 1.05 (printed with the
// protocol versions the bridges negotiated, and what the server served per era, read back from it).
//   legacy_eq / modern_eq          mcp-bridge over it, 2025-11-25 / 2026-07-28
//   sdk_legacy_eq / sdk_modern_eq  the bare SDK client of each era straight to it
//
// Every variant talks to its own instance of the same server (one McpServer serves one transport).
// Last line of stdout: one JSON object with the figures and the ratios against `sdk`.
import type { Phase, Plugin } from '@mcp-bridge/core';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  CallToolResultSchema,
  ListToolsRequestSchema,
  type CallToolResult,
} from '@modelcontextprotocol/sdk/types.js';
import { checkEcho as check, ECHO_ARGS, echoBridge as bridge, eraBridges, sdkEchoClient as sdkClient } from './lib/echo.js';
import { equalCostServed } from './lib/echo-upstream.js';
import { equalCostLines, eraFigures, eraLines, eraTable } from './lib/era-report.js';
import { baseFigures, fmt, measure, parseArgs, ratio, summaryRows, table, type Variant, type VariantResult } from './lib/harness.js';

const args = parseArgs(process.argv.slice(2));
const log = (line: string): void => void process.stderr.write(`${line}\n`);

const clientInfo = { name: 'bench-client', version: '1.0.0' };

// (a) The bare SDK is `sdkEchoClient()`; (c) and (d) the bridge, `echoBridge(plugins)` (lib/echo.ts).

/**
 * (b) A naive proxy with the bare SDK: a low-level `Server` whose tools/list and tools/call handlers
 * forward to an upstream `Client`; the downstream client reaches it over a second in-memory pair.
 */
async function naiveProxy(): Promise<{ client: Client; close: () => Promise<void> }> {
  const upstream = await sdkClient();
  const proxy = new Server({ name: 'naive-proxy', version: '1.0.0' }, { capabilities: { tools: {} } });
  proxy.setRequestHandler(ListToolsRequestSchema, (request) => upstream.client.listTools(request.params));
  proxy.setRequestHandler(CallToolRequestSchema, (request) => upstream.client.callTool(request.params) as Promise<CallToolResult>);
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await proxy.connect(serverSide);
  const client = new Client(clientInfo);
  await client.connect(clientSide);
  return {
    client,
    close: async () => {
      await client.close();
      await proxy.close();
      await upstream.close();
    },
  };
}

const CHAIN_PHASES: Phase[] = ['observe', 'policy', 'validate', 'cache', 'retry', 'route', 'upstream', 'upstream'];

/** How often each pass-through middleware ran: checked at the end, so the chain provably was in the path. */
const hits = CHAIN_PHASES.map(() => 0);

/** (d) 8 plugins, one pass-through middleware each, spread across every phase. */
function passThroughPlugins(): Plugin[] {
  return CHAIN_PHASES.map((phase, i) => ({
    name: `bench-pass-through-${i + 1}`,
    version: '1.0.0',
    setup(api) {
      api.use({
        phase,
        handle: (_ctx, next) => {
          hits[i]!++;
          return next();
        },
      });
    },
  }));
}

const sdk = await sdkClient();
const proxy = await naiveProxy();
const plain = await bridge([]);
const chain8 = await bridge(passThroughPlugins());
const eras = await eraBridges();
const equal = await eraBridges('equal');

const variants: Variant[] = [
  { name: 'sdk', call: () => sdk.client.callTool({ name: 'echo', arguments: ECHO_ARGS }) },
  // The stricter baseline: the SDK's raw request, without callTool's task and output-schema checks (what the bridge sends).
  {
    name: 'sdk_request',
    call: () => sdk.client.request({ method: 'tools/call', params: { name: 'echo', arguments: ECHO_ARGS } }, CallToolResultSchema),
  },
  { name: 'proxy', call: () => proxy.client.callTool({ name: 'echo', arguments: ECHO_ARGS }) },
  { name: 'bridge', call: () => plain.callTool('echo', ECHO_ARGS) },
  { name: 'chain8', call: () => chain8.callTool('echo', ECHO_ARGS) },
  { name: 'sdk_legacy_http', call: () => eras.sdkLegacy(ECHO_ARGS), upstreamPid: eras.legacyPid },
  { name: 'sdk_modern_http', call: () => eras.sdkModern(ECHO_ARGS), upstreamPid: eras.modernPid },
  { name: 'legacy_http', call: () => eras.legacy.callTool('echo', ECHO_ARGS), upstreamPid: eras.legacyPid },
  { name: 'modern_http', call: () => eras.modern.callTool('echo', ECHO_ARGS), upstreamPid: eras.modernPid },
  { name: 'sdk_legacy_eq', call: () => equal.sdkLegacy(ECHO_ARGS), upstreamPid: equal.legacyPid },
  { name: 'sdk_modern_eq', call: () => equal.sdkModern(ECHO_ARGS), upstreamPid: equal.modernPid },
  { name: 'legacy_eq', call: () => equal.legacy.callTool('echo', ECHO_ARGS), upstreamPid: equal.legacyPid },
  { name: 'modern_eq', call: () => equal.modern.callTool('echo', ECHO_ARGS), upstreamPid: equal.modernPid },
];
for (const v of variants) check(v.name, await v.call());

log(
  `bench core: ${variants.length} variants, warm-up ${args.warmup} calls each, ${args.rounds} rounds × ${args.calls} sequential calls each (node ${process.version})`,
);
const results = await measure(variants, args, log);

// Read before closing: proof that each era's calls reached the equal-cost echo as that era.
const equalServed = await equalCostServed(equal.url.legacy);
await Promise.all([sdk.close(), proxy.close(), plain.close(), chain8.close(), eras.close(), equal.close()]);
const timedCalls = 2 * (1 + args.warmup + args.calls * args.rounds); // per era: the bridge's and the bare client's
for (const era of ['legacy', 'modern'] as const)
  if ((equalServed[era]['tools/call'] ?? 0) < timedCalls)
    throw new Error(
      `the equal-cost echo served ${equalServed[era]['tools/call'] ?? 0} ${era} tools/call (expected >= ${timedCalls}): ${JSON.stringify(equalServed)}`,
    );
const chainCalls = 1 + args.warmup + args.calls * args.rounds;
if (hits.some((h) => h < chainCalls))
  throw new Error(`the chain8 middlewares did not all run on every call: ${hits.join(', ')} (expected >= ${chainCalls})`);

const by = Object.fromEntries(results.map((r) => [r.name, r])) as Record<
  | 'sdk'
  | 'sdk_request'
  | 'proxy'
  | 'bridge'
  | 'chain8'
  | 'legacy_http'
  | 'modern_http'
  | 'sdk_legacy_http'
  | 'sdk_modern_http'
  | 'legacy_eq'
  | 'modern_eq'
  | 'sdk_legacy_eq'
  | 'sdk_modern_eq',
  VariantResult
>;
const base = by.sdk;
const rows = summaryRows(results, base);
const TARGETS = { bridge_vs_sdk: 1.15, chain8_vs_sdk: 1.35, modern_vs_legacy_cpu_http: 1.05, modern_vs_legacy_equal_cost: 1.05 };
const eraRatio = ratio(by.modern_http.p50, by.legacy_http.p50);
const era = eraFigures({
  bridge: { legacy: by.legacy_http, modern: by.modern_http },
  sdk: { legacy: by.sdk_legacy_http, modern: by.sdk_modern_http },
});
const equalEra = eraFigures({
  bridge: { legacy: by.legacy_eq, modern: by.modern_eq },
  sdk: { legacy: by.sdk_legacy_eq, modern: by.sdk_modern_eq },
});
const bridgeRatio = ratio(by.bridge.p50, base.p50);
const chainRatio = ratio(by.chain8.p50, base.p50);
console.log('');
console.log(table(rows));
console.log('');
console.log(
  `p50 ratios: proxy/sdk ${fmt(by.proxy.p50 / base.p50, 2)}  bridge/sdk ${fmt(bridgeRatio, 2)} (target <= ${TARGETS.bridge_vs_sdk}: ${bridgeRatio <= TARGETS.bridge_vs_sdk ? 'ok' : 'MISSED'})  chain8/sdk ${fmt(chainRatio, 2)} (target <= ${TARGETS.chain8_vs_sdk}: ${chainRatio <= TARGETS.chain8_vs_sdk ? 'ok' : 'MISSED'})`,
);
console.log('');
console.log(eraTable(era));
for (const line of eraLines(era, TARGETS.modern_vs_legacy_cpu_http)) console.log(line);
console.log('');
console.log(eraTable(equalEra, 'era (equal-cost upstream)'));
for (const line of equalCostLines(equalEra, TARGETS.modern_vs_legacy_equal_cost, equal.protocols)) console.log(line);

console.log(
  JSON.stringify({
    ...baseFigures('core', args, results),
    ratio: {
      proxy_vs_sdk: ratio(by.proxy.p50, base.p50),
      bridge_vs_sdk: bridgeRatio,
      chain8_vs_sdk: chainRatio,
      bridge_vs_sdk_request: ratio(by.bridge.p50, by.sdk_request.p50),
      chain8_vs_sdk_request: ratio(by.chain8.p50, by.sdk_request.p50),
      // Wall time per call, the upstream servers included (a v2 SDK server costs more CPU than a 1.x one: see era).
      modern_vs_legacy_http: eraRatio,
      // The bridge's own cost: this process's CPU per call (bridge + SDK client), the servers being elsewhere.
      modern_vs_legacy_cpu_http: era.ratio.bridge_cpu,
      // The same wall-time ratio without the bridge (bare SDK v2 vs 1.x): the part of eraRatio that is not the bridge's.
      sdk_modern_vs_legacy_http: ratio(by.sdk_modern_http.p50, by.sdk_legacy_http.p50),
      bridge_vs_sdk_legacy_http: ratio(by.legacy_http.p50, by.sdk_legacy_http.p50),
      bridge_vs_sdk_modern_http: ratio(by.modern_http.p50, by.sdk_modern_http.p50),
      // Against the equal-cost upstream (same server work per call in both eras): the bridge's alone.
      modern_vs_legacy_equal_cost: equalEra.ratio.wall,
      sdk_modern_vs_legacy_equal_cost: equalEra.ratio.sdk_wall,
      p99: {
        proxy_vs_sdk: ratio(by.proxy.p99, base.p99),
        bridge_vs_sdk: ratio(by.bridge.p99, base.p99),
        chain8_vs_sdk: ratio(by.chain8.p99, base.p99),
        modern_vs_legacy_http: ratio(by.modern_http.p99, by.legacy_http.p99),
        modern_vs_legacy_equal_cost: ratio(by.modern_eq.p99, by.legacy_eq.p99),
      },
    },
    era: era.json,
    era_equal_cost: { ...equalEra.json, protocols: equal.protocols, served: equalServed },
    targets: TARGETS,
  }),
);
