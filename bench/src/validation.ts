// `pnpm bench validation`: what validating a typical tool call costs, as a share of a bare in-memory SDK call.
//
//   sdk                the SDK client calling the in-memory server directly (the baseline, 1.00)
//   bridge             mcp-bridge with no plugins, same server, same call
//   bridge_validation  mcp-bridge with validation() (arguments checked against the inputSchema)
//   bridge_io          mcp-bridge, a tool with an outputSchema too, no plugins
//   bridge_io_valid    the same with validation() (arguments and structuredContent checked)
//
//   pipeline           mcp-bridge with a plugin that answers in the cache phase (no transport)
//   pipeline_validation the same with validation() in front of it
//
// The headline figure is (pipeline_validation - pipeline) / sdk at p50: the cost validation adds to
// a call, as a share of a bare SDK call (target <= 0.10), measured where transport noise cannot
// hide it. The end-to-end difference (bridge_validation - bridge) and the validator alone in a
// tight loop are reported too.
// Last line of stdout: one JSON object with the figures and the ratios.
import { createBridge, type Bridge, type Plugin } from '@mcp-bridge/core';
import { SchemaCompiler, DEFAULT_LIMITS, validation } from '@mcp-bridge/validation';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { baseFigures, fmt, measure, parseArgs, ratio, round, table, type Variant, type VariantResult } from './lib/harness.js';

const args = parseArgs(process.argv.slice(2));
const log = (line: string): void => void process.stderr.write(`${line}\n`);

/** A typical tool: a handful of typed fields, bounds, an enum, an array, a nested object, a pattern and a format. */
const SEARCH_INPUT = {
  type: 'object',
  properties: {
    query: { type: 'string', minLength: 1, maxLength: 500 },
    limit: { type: 'integer', minimum: 1, maximum: 100 },
    sort: { enum: ['relevance', 'date', 'stars'] },
    tags: { type: 'array', items: { type: 'string', pattern: '^[a-z0-9-]{1,32}$' }, maxItems: 10 },
    filter: {
      type: 'object',
      properties: { field: { type: 'string' }, op: { enum: ['eq', 'lt', 'gt'] }, value: { type: ['string', 'number'] } },
      required: ['field', 'op', 'value'],
      additionalProperties: false,
    },
    since: { type: 'string', format: 'date' },
  },
  required: ['query'],
  additionalProperties: false,
};
const SEARCH_OUTPUT = {
  type: 'object',
  properties: {
    total: { type: 'integer' },
    items: {
      type: 'array',
      items: { type: 'object', properties: { id: { type: 'string' }, score: { type: 'number' } }, required: ['id'] },
    },
  },
  required: ['total', 'items'],
};
const TOOLS: Tool[] = [
  { name: 'search', inputSchema: SEARCH_INPUT as Tool['inputSchema'] },
  { name: 'search_io', inputSchema: SEARCH_INPUT as Tool['inputSchema'], outputSchema: SEARCH_OUTPUT as Tool['outputSchema'] },
];
const ARGS = {
  query: 'model context protocol',
  limit: 10,
  sort: 'stars',
  tags: ['mcp', 'typescript'],
  filter: { field: 'lang', op: 'eq', value: 'ts' },
  since: '2025-01-01',
};
const STRUCTURED = {
  total: 2,
  items: [
    { id: 'a', score: 0.9 },
    { id: 'b', score: 0.5 },
  ],
};

/** One low-level server per variant (one server serves one transport); no server-side validation, so only the bridge's differs. */
function makeServer(): Server {
  const server = new Server({ name: 'bench', version: '1.0.0' }, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: TOOLS }));
  server.setRequestHandler(CallToolRequestSchema, (request): CallToolResult =>
    request.params.name === 'search_io'
      ? { content: [{ type: 'text', text: 'found 2' }], structuredContent: STRUCTURED }
      : { content: [{ type: 'text', text: 'found 2' }] },
  );
  return server;
}

async function sdkClient(): Promise<{ client: Client; close: () => Promise<void> }> {
  const server = makeServer();
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'bench-client', version: '1.0.0' });
  await client.connect(clientSide);
  return {
    client,
    close: async () => {
      await client.close();
      await server.close();
    },
  };
}

async function bridge(plugins: Plugin[]): Promise<Bridge> {
  const b = createBridge({ servers: { bench: { type: 'in-memory', server: () => makeServer() } }, plugins });
  await b.start();
  if (b.status()[0]?.state !== 'ok') throw new Error(`the bench bridge did not start: ${JSON.stringify(b.status()[0])}`);
  return b;
}

/**
 * Answers every tools/call in the cache phase (after validate) without calling the upstream: the
 * pipeline alone, so the difference validation makes is not buried in transport noise.
 */
const shortCircuit = (): Plugin => ({
  name: 'bench-short-circuit',
  version: '1.0.0',
  setup(api) {
    const answer: CallToolResult = { content: [{ type: 'text', text: 'found 2' }] };
    api.use({ phase: 'cache', methods: ['tools/call'], handle: () => Promise.resolve(answer) });
  },
});

const sdk = await sdkClient();
const plain = await bridge([]);
const validated = await bridge([validation()]);
const short = await bridge([shortCircuit()]);
const shortValidated = await bridge([validation(), shortCircuit()]);

const variants: Variant[] = [
  { name: 'sdk', call: () => sdk.client.callTool({ name: 'search', arguments: ARGS }) },
  { name: 'bridge', call: () => plain.callTool('search', ARGS) },
  { name: 'bridge_validation', call: () => validated.callTool('search', ARGS) },
  { name: 'bridge_io', call: () => plain.callTool('search_io', ARGS) },
  { name: 'bridge_io_valid', call: () => validated.callTool('search_io', ARGS) },
  { name: 'pipeline', call: () => short.callTool('search', ARGS) },
  { name: 'pipeline_validation', call: () => shortValidated.callTool('search', ARGS) },
];
for (const v of variants) {
  const result = (await v.call()) as CallToolResult;
  if (result.isError || (result.content[0] as { text?: string }).text !== 'found 2')
    throw new Error(`variant ${v.name} returned ${JSON.stringify(result)}`);
}
// Validation must really run: a bad call through the validated bridge is refused, through the plain one it is not.
const refused = await validated.callTool('search', { ...ARGS, limit: 1_000 });
if (!refused.isError) throw new Error('the validation plugin did not refuse an invalid call');
if ((await plain.callTool('search', { ...ARGS, limit: 1_000 })).isError) throw new Error('the plain bridge refused a call');

log(
  `bench validation: ${variants.length} variants, warm-up ${args.warmup} calls each, ${args.rounds} rounds × ${args.calls} sequential calls each (node ${process.version})`,
);
const results = await measure(variants, args, log);
const stats = validated.validation.stats();
const shortStats = shortValidated.validation.stats();
await Promise.all([sdk.close(), plain.close(), validated.close(), short.close(), shortValidated.close()]);
if (shortStats.compiled !== 1) throw new Error(`the short-circuit bridge did not validate: ${JSON.stringify(shortStats)}`);
const expectedRefusals = 1;
if (stats.inputRejected !== expectedRefusals || stats.compiled !== 3)
  throw new Error(`unexpected validation stats: ${JSON.stringify(stats)}`);

/**
 * The compiled validators alone: the median over batches of 100 validations, in ns per validation
 * (a median, because on a shared host a plain mean counts the time slices other processes took).
 */
function validatorOnly(schema: unknown, data: unknown, n: number): number {
  const compiled = new SchemaCompiler({ limits: DEFAULT_LIMITS, unsafePatterns: 'drop', patternCheckMs: 500 }).compile(schema);
  if (!compiled.ok) throw new Error(`bench schema did not compile: ${compiled.reason}`);
  const batch = 100;
  let ok = 0;
  for (let i = 0; i < n / 10; i++) if (compiled.validate(data)) ok++;
  const batches = new Float64Array(Math.floor(n / batch));
  for (let b = 0; b < batches.length; b++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) if (compiled.validate(data)) ok++;
    batches[b] = Number(process.hrtime.bigint() - t0) / batch;
  }
  if (ok !== n / 10 + batches.length * batch) throw new Error('bench data did not validate');
  return batches.sort()[Math.floor(batches.length / 2)]!;
}
const inputNs = validatorOnly(SEARCH_INPUT, ARGS, 200_000);
const outputNs = validatorOnly(SEARCH_OUTPUT, STRUCTURED, 200_000);

const by = Object.fromEntries(results.map((r) => [r.name, r])) as Record<
  'sdk' | 'bridge' | 'bridge_validation' | 'bridge_io' | 'bridge_io_valid' | 'pipeline' | 'pipeline_validation',
  VariantResult
>;
const base = by.sdk;
const rows = [
  ['variant', 'p50 µs', 'p90 µs', 'p99 µs', 'mean µs', 'calls/s', 'p50 ×sdk', 'heap B/call'],
  ...results.map((r) => [
    r.name,
    fmt(r.p50),
    fmt(r.p90),
    fmt(r.p99),
    fmt(r.mean),
    fmt(r.callsPerS, 0),
    fmt(r.p50 / base.p50, 2),
    r.heapBytesPerCall === undefined ? '-' : fmt(r.heapBytesPerCall, 0),
  ]),
];
const TARGETS = { validation_cost_vs_sdk: 0.1 };
// The headline: what validation adds to a call, measured where nothing else moves (pipeline with
// and without the plugin, no transport), as a share of a bare SDK call.
const cost = ratio(by.pipeline_validation.p50 - by.pipeline.p50, base.p50);
const costEndToEnd = ratio(by.bridge_validation.p50 - by.bridge.p50, base.p50);
const costIo = ratio(by.bridge_io_valid.p50 - by.bridge_io.p50, base.p50);
const validatorShare = ratio(inputNs / 1_000, base.p50);
console.log('');
console.log(table(rows));
console.log('');
console.log(`validator alone: input ${fmt(inputNs, 0)} ns, output ${fmt(outputNs, 0)} ns per validation`);
console.log(
  `validation cost / sdk call at p50: ${fmt(cost, 3)} (target <= ${TARGETS.validation_cost_vs_sdk}: ${cost <= TARGETS.validation_cost_vs_sdk ? 'ok' : 'MISSED'}); ` +
    `end to end (difference of two noisy p50s): ${fmt(costEndToEnd, 3)}; with an outputSchema too: ${fmt(costIo, 3)}; validator alone / sdk call: ${fmt(validatorShare, 3)}`,
);
console.log(
  JSON.stringify({
    ...baseFigures('validation', args, results),
    validator_ns: { input: round(inputNs, 0), output: round(outputNs, 0) },
    ratio: {
      validation_cost_vs_sdk: cost,
      validation_end_to_end_vs_sdk: costEndToEnd,
      validation_io_cost_vs_sdk: costIo,
      validator_only_vs_sdk: validatorShare,
      bridge_vs_sdk: ratio(by.bridge.p50, base.p50),
      bridge_validation_vs_sdk: ratio(by.bridge_validation.p50, base.p50),
    },
    targets: TARGETS,
  }),
);
