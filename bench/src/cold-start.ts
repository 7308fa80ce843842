// `pnpm bench cold-start`: how long mcp-bridge takes to start, as people run it, against bare node
// and a bare SDK server measured in the same run.
//
//   node        `node -e 0`: the floor every Node program pays (baseline of `version`)
//   version     `node packages/cli/dist/bin.js --version`: the built, bundled executable
//   sdk_stdio   an SDK client spawns a bare SDK stdio server (lib/cold-sdk-server.mjs: McpServer,
//               one tool, StdioServerTransport, plain node) and lists its tools (baseline of `serve_stdio`)
//   serve_stdio an SDK client spawns `node packages/cli/dist/bin.js serve --stdio --examples` (three
//               bundled example servers behind it, default plugins on) and lists the merged tools
//               (the catalog snapshot of the previous start is served while they start: what a desktop
//               client sees on every start but the first)
//   serve_stdio_first  the same with --no-catalog-snapshot: the first start on a machine, whose list
//               waits for the three example servers (reported, no target)
//
// Every sample is one fresh process tree, timed from spawn to the answer (exit for `node`/`version`,
// the tools/list result for the stdio variants; closing is not timed). Rounds are paired: each round
// runs the four variants back to back (the order reversed every other round), and the ratios
// reported are the medians of the per-round ratios, so a stall of the shared host lands in one
// round, not in the result. Targets: version <= 2x node, serve_stdio <= 1.3x sdk_stdio.
// Needs the CLI built (`pnpm --filter mcp-bridge... build`): it measures what users install.
// `--cli PATH` measures another build of bin.js instead (to compare with an older one in one sitting).
// Last line of stdout: one JSON object with the figures and the ratios.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import { parseArgs, round, table } from './lib/harness.js';

/** `--cli PATH` (this bench's own option): another build of the executable, e.g. an older one to compare. */
function takeCliOption(argv: string[]): string | undefined {
  const i = argv.findIndex((a) => a === '--cli' || a.startsWith('--cli='));
  if (i < 0) return undefined;
  const value = argv[i]!.includes('=') ? argv[i]!.slice('--cli='.length) : argv[i + 1];
  argv.splice(i, argv[i]!.includes('=') ? 1 : 2);
  if (!value) throw new Error('--cli needs the path of a built bin.js');
  return resolve(value);
}

const argv = process.argv.slice(2);
const cliOption = takeCliOption(argv);
const args = parseArgs(argv, { rounds: 9, warmup: 1 });
const log = (line: string): void => void process.stderr.write(`${line}\n`);

const BIN = cliOption ?? fileURLToPath(new URL('../../packages/cli/dist/bin.js', import.meta.url));
const SDK_SERVER = fileURLToPath(new URL('./lib/cold-sdk-server.mjs', import.meta.url));
if (!existsSync(BIN)) {
  log(`[bench cold-start] ${BIN} is missing: build the CLI first (pnpm --filter mcp-bridge... build)`);
  process.exit(1);
}

const TARGETS = { version_vs_node: 2, serve_stdio_vs_sdk_stdio: 1.3 };
/** Children get a plain environment: no NODE_OPTIONS (a loader or condition from the bench runner would change what they load). */
const childEnv = (): Record<string, string> => {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k !== 'NODE_OPTIONS' && !k.startsWith('npm_')) env[k] = v;
  return env;
};

/** Spawns `node ...argv` and resolves with the ms from spawn to exit; a non-zero exit is an error. */
function timeExit(argv: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: childEnv() });
    let stderr = '';
    child.stdout.resume();
    child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (code === 0) resolve(ms);
      else reject(new Error(`node ${argv.join(' ')} exited with ${code}: ${stderr.slice(-2000)}`));
    });
  });
}

/** An SDK client spawns `node ...argv` over stdio and lists tools; resolves with the ms from spawn to the list. */
async function timeToolsList(argv: string[], expectTools: number): Promise<number> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: argv,
    env: { ...getDefaultEnvironment(), ...childEnv() },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => void (stderr = (stderr + chunk.toString()).slice(-4000)));
  const client = new Client({ name: 'cold-start-bench', version: '1.0.0' });
  const t0 = process.hrtime.bigint();
  try {
    await client.connect(transport);
    const { tools } = await client.listTools();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (tools.length < expectTools) throw new Error(`listed ${tools.length} tools, expected at least ${expectTools}`);
    return ms;
  } catch (error) {
    throw new Error(`node ${argv.join(' ')}: ${(error as Error).message}\n--- stderr (tail)\n${stderr}`, { cause: error });
  } finally {
    await client.close();
  }
}

const VARIANTS: { name: string; run: () => Promise<number> }[] = [
  { name: 'node', run: () => timeExit(['-e', '0']) },
  { name: 'version', run: () => timeExit([BIN, '--version']) },
  { name: 'sdk_stdio', run: () => timeToolsList([SDK_SERVER], 1) },
  // notes, clock and flaky: 9 tools merged.
  { name: 'serve_stdio', run: () => timeToolsList([BIN, 'serve', '--stdio', '--examples'], 9) },
  // The very first start on a machine (or with --no-catalog-snapshot): the lists wait for the example servers.
  { name: 'serve_stdio_first', run: () => timeToolsList([BIN, 'serve', '--stdio', '--examples', '--no-catalog-snapshot'], 9) },
];

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

log(`bench cold-start: ${VARIANTS.length} variants, warm-up ${args.warmup}, ${args.rounds} paired rounds (node ${process.version})`);
// Warm-up: the file system cache, the first spawn of each program.
for (let i = 0; i < args.warmup; i++) for (const v of VARIANTS) await v.run();

const samples = new Map<string, number[]>(VARIANTS.map((v) => [v.name, []]));
const perRound = {
  version_vs_node: [] as number[],
  serve_stdio_vs_sdk_stdio: [] as number[],
  serve_stdio_first_vs_sdk_stdio: [] as number[],
};
for (let r = 0; r < args.rounds; r++) {
  const took = new Map<string, number>();
  for (const v of r % 2 === 0 ? VARIANTS : [...VARIANTS].reverse()) {
    const ms = await v.run();
    took.set(v.name, ms);
    samples.get(v.name)!.push(ms);
  }
  perRound.version_vs_node.push(took.get('version')! / took.get('node')!);
  perRound.serve_stdio_vs_sdk_stdio.push(took.get('serve_stdio')! / took.get('sdk_stdio')!);
  perRound.serve_stdio_first_vs_sdk_stdio.push(took.get('serve_stdio_first')! / took.get('sdk_stdio')!);
  log(
    `  round ${r + 1}/${args.rounds}: ${VARIANTS.map((v) => `${v.name} ${took.get(v.name)!.toFixed(1)} ms`).join(', ')}; version/node ${perRound.version_vs_node.at(-1)!.toFixed(2)}, serve/sdk ${perRound.serve_stdio_vs_sdk_stdio.at(-1)!.toFixed(2)}`,
  );
}

const medianMs = Object.fromEntries(VARIANTS.map((v) => [v.name, round(median(samples.get(v.name)!), 1)]));
const minMs = Object.fromEntries(VARIANTS.map((v) => [v.name, round(Math.min(...samples.get(v.name)!), 1)]));
const ratios = {
  version_vs_node: round(median(perRound.version_vs_node), 3),
  serve_stdio_vs_sdk_stdio: round(median(perRound.serve_stdio_vs_sdk_stdio), 3),
  // No target: reported so the snapshot's share stays visible.
  serve_stdio_first_vs_sdk_stdio: round(median(perRound.serve_stdio_first_vs_sdk_stdio), 3),
};
const verdict = (key: keyof typeof TARGETS): string =>
  `${ratios[key]} (target <= ${TARGETS[key]}: ${ratios[key] <= TARGETS[key] ? 'ok' : 'MISSED'})`;
console.log('');
console.log(
  table([['variant', 'median ms', 'min ms'], ...VARIANTS.map((v) => [v.name, medianMs[v.name]!.toFixed(1), minMs[v.name]!.toFixed(1)])]),
);
console.log('');
console.log(
  `medians of ${args.rounds} paired rounds: version/node ${verdict('version_vs_node')}  serve_stdio/sdk_stdio ${verdict('serve_stdio_vs_sdk_stdio')}  first start (no snapshot)/sdk_stdio ${ratios.serve_stdio_first_vs_sdk_stdio}`,
);
console.log(
  JSON.stringify({
    bench: 'cold-start',
    node: process.version,
    rounds: args.rounds,
    cli: BIN,
    median_ms: medianMs,
    min_ms: minMs,
    ratio: {
      ...ratios,
      version_vs_node_rounds: perRound.version_vs_node.map((x) => round(x, 3)),
      serve_stdio_vs_sdk_stdio_rounds: perRound.serve_stdio_vs_sdk_stdio.map((x) => round(x, 3)),
      serve_stdio_first_vs_sdk_stdio_rounds: perRound.serve_stdio_first_vs_sdk_stdio.map((x) => round(x, 3)),
    },
    targets: TARGETS,
  }),
);
