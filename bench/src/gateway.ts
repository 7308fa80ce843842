// `pnpm bench gateway`: tools/call throughput through the mcp-bridge gateway, against the bare SDK
// server and a naive SDK pass-through proxy, over Streamable HTTP and over stdio, in one run, with
// 64 calls in flight.
//
//   sdk_<t>      the bare SDK echo server over transport <t> (baseline, 1.00)
//   proxy_<t>    a naive proxy (SDK Server → SDK Client → echo server, in memory) over <t>
//   gateway_<t>  mcp-bridge (@mcp-bridge/server over a bridge with no plugins → the same in-memory echo server) over <t>
//   gatewaylegacyup_<t> / gatewaymodernup_<t>  the gateway over an echo upstream over Streamable HTTP on
//                127.0.0.1 (in the gateway's process): 2025-11-25 (SDK 1.x) or 2026-07-28 modern-only
//                (SDK v2), each upstream in its own process; modern_vs_legacy_<t> is the time of a modern
//                upstream call over a legacy one (the upstream servers included: the v2 test server costs
//                more CPU per call than the 1.x one, reported as modern_vs_legacy_upstream_cpu_<t>), and
//                modern_vs_legacy_cpu_<t> the gateway's own CPU per call (the bridge's part, whatever the
//                upstream's SDK costs): the target, <= 1.05
//   gatewaylegacyeq_<t> / gatewaymoderneq_<t>  the gateway over the equal-cost upstream: ONE hand-written
//                echo process (lib/equal-cost-echo.ts, no SDK, started by this bench and shared by both)
//                that answers both eras with the same work per call, so modern_vs_legacy_equal_cost_<t>,
//                the modern/legacy call time through the gateway, is the gateway's alone: target <= 1.05
//                (each gateway child checks the version it negotiated; the echo's per-era counts are checked at the end)
//   gatewayjwt_http  with `--auth`: the same gateway as an OAuth resource server, every request with a
//                real RS256 JWT (keys from a JWKS over HTTP); the ratio jwt_vs_gateway_http is the cost
//                of authentication per call (target <= 1.1x the time of an unauthenticated call)
//
// Each server runs in its own child process (bench/src/lib/gateway-child.ts); this process is the
// client, the same for every variant. Target: gateway >= 0.9x proxy.
//
// Rounds are paired: in each round, per transport, the three variants run back to back (the order
// reversed every other round), so the gateway and the proxy always meet the same load on this
// shared host. The ratio reported is the median of the per-round ratios (the total over all
// rounds is printed too); with short rounds a single stall of the host lands in one round, not in
// the result. On Linux it also reports each server's own CPU time per call (from /proc), which
// does not depend on what else the host runs.
//
// The client is a lean load generator by default (`--client lean`): raw JSON-RPC over a keep-alive
// `node:http` agent or over the child's stdin/stdout. It measures the servers. The SDK client
// (`--client sdk`) costs more CPU per call than any of these servers over HTTP (undici fetch plus
// web-stream SSE parsing: ~3-5 ms of CPU per call on the shared 2-core host, against ~1.5-2 ms for
// the bare SDK server), so with it every HTTP variant runs at the client's speed and the ratios
// say little about the servers.
// Last line of stdout: one JSON object with the figures and the ratios.
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolResultSchema, LATEST_PROTOCOL_VERSION, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { equalCostServed, spawnEchoUpstream, type EchoUpstream } from './lib/echo-upstream.js';
import { eraGatewayLines, equalCostGatewayLines } from './lib/era-report.js';
import { childPids, cpuTimeUs, median, parseArgs, ratio, round, table } from './lib/harness.js';
import { onLines } from './lib/lines.js';

/** `--client lean|sdk` is this bench's own option; the rest goes to the shared parser. */
function takeClientOption(argv: string[]): 'lean' | 'sdk' {
  const i = argv.findIndex((a) => a === '--client' || a.startsWith('--client='));
  if (i < 0) return 'lean';
  const value = argv[i]!.includes('=') ? argv[i]!.slice('--client='.length) : argv[i + 1];
  argv.splice(i, argv[i]!.includes('=') ? 1 : 2);
  if (value !== 'lean' && value !== 'sdk') throw new Error(`--client needs "lean" or "sdk" (got "${value ?? ''}")`);
  return value;
}

const argv = process.argv.slice(2);
const clientKind = takeClientOption(argv);
/** `--auth`: add the JWT-authenticated gateway over HTTP. */
const withAuth = argv.includes('--auth');
if (withAuth) argv.splice(argv.indexOf('--auth'), 1);
const args = parseArgs(argv, { calls: 2_000, rounds: 9, warmup: 2_000, heapCalls: 0 });
const IN_FLIGHT = 64;
/**
 * Stdio runs ~5x more calls per second than HTTP here: its bursts are that much longer, so a burst
 * lasts about as long on either transport (a burst of 2000 stdio calls is ~100 ms, short enough
 * for one scheduling hiccup of the shared host to move a round's ratio by 10%).
 */
const STDIO_SCALE = 5;
const callsPerBurst = (kind: Kind): number => (kind === 'stdio' ? args.calls * STDIO_SCALE : args.calls);
const log = (line: string): void => void process.stderr.write(`${line}\n`);
const CHILD = fileURLToPath(new URL('./lib/gateway-child.ts', import.meta.url));
const ECHO = { name: 'echo', arguments: { text: 'hello' } };

type Mode = 'sdk' | 'proxy' | 'gateway' | 'gateway-jwt' | 'gateway-legacyup' | 'gateway-modernup' | 'gateway-legacyeq' | 'gateway-moderneq';
const isEqualCost = (mode: Mode): boolean => mode === 'gateway-legacyeq' || mode === 'gateway-moderneq';
/** The equal-cost echo both `*eq` gateways call (started before the variants). */
let equalCost: EchoUpstream | undefined;
/** A gateway child's arguments: the equal-cost echo's URL after the transport for the `*eq` modes. */
const childArgs = (mode: Mode, kind: Kind): string[] => [CHILD, mode, kind, ...(isEqualCost(mode) ? [equalCost!.url] : [])];
/** The variant name of a mode: `gateway-jwt` → `gatewayjwt` (names are `<mode>_<transport>`). */
const modeName = (mode: Mode): string => mode.replace('-', '');
type Kind = 'http' | 'stdio';
interface Running {
  name: string;
  /** The server's process, for its CPU time. */
  pid: number | undefined;
  /** The gateway's upstream process (the `gateway-legacyup`/`-modernup` variants), for its CPU time. */
  upstreamPid?: number;
  /** One tools/call echo; rejects unless the result is the echo's. */
  call(): Promise<void>;
  /** Before each burst: drop what sat idle since the last one. */
  fresh?(): void;
  close(): Promise<void>;
}
interface JsonRpcMessage {
  jsonrpc: '2.0';
  id?: number | string;
  method?: string;
  params?: unknown;
  result?: unknown;
  error?: { code: number; message: string };
}

const children: ChildProcess[] = [];
/** Set before the variants close: a client's SSE stream aborted by its own close() is not news. */
let closing = false;

const INITIALIZE = {
  method: 'initialize',
  params: { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'bench-client', version: '1.0.0' } },
};

/** The echo's answer, or why it is not one. */
function checkEcho(name: string, message: JsonRpcMessage | undefined): void {
  if (!message) throw new Error(`${name}: no response`);
  if (message.error) throw new Error(`${name}: JSON-RPC error ${message.error.code}: ${message.error.message}`);
  const result = message.result as CallToolResult | undefined;
  const first = result?.content?.[0];
  if (result?.isError || first?.type !== 'text' || first.text !== 'hello') throw new Error(`${name} answered ${JSON.stringify(message)}`);
}

function spawnChild(mode: Mode, kind: Kind): ChildProcess {
  const child = spawn(process.execPath, [...process.execArgv, ...childArgs(mode, kind)], {
    stdio: [kind === 'stdio' ? 'pipe' : 'ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  return child;
}

/** An HTTP child prints its URL as its first line. */
function urlOf(child: ChildProcess, name: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let buffered = '';
    child.stdout!.on('data', (d: Buffer) => {
      buffered += d.toString('utf8');
      const nl = buffered.indexOf('\n');
      if (nl >= 0) resolve(buffered.slice(0, nl));
    });
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code} before printing its URL`)));
  });
}

// ------------------------------------------------------------------ lean client

/** Raw JSON-RPC over the child's stdin/stdout (newline-delimited, as the stdio transport frames it). */
async function leanStdio(mode: Mode): Promise<Running> {
  const name = `${modeName(mode)}_stdio`;
  const child = spawnChild(mode, 'stdio');
  const pending = new Map<number | string, (message: JsonRpcMessage) => void>();
  let nextId = 1;
  onLines(child.stdout!, (line) => {
    const message = JSON.parse(line) as JsonRpcMessage;
    // Notifications and server-to-client requests: none are expected from an echo server.
    if (message.id === undefined || message.method !== undefined) return;
    const resolve = pending.get(message.id);
    pending.delete(message.id);
    resolve?.(message);
  });
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`${name} exited with ${code}`))));
  exited.catch(() => undefined);
  const send = (message: Omit<JsonRpcMessage, 'jsonrpc'>): void =>
    void child.stdin!.write(`${JSON.stringify({ jsonrpc: '2.0', ...message })}\n`);
  const request = (method: string, params: unknown): Promise<JsonRpcMessage> => {
    const id = nextId++;
    const answer = new Promise<JsonRpcMessage>((resolve) => pending.set(id, resolve));
    send({ id, method, params });
    return Promise.race([answer, exited]);
  };
  const init = await request(INITIALIZE.method, INITIALIZE.params);
  if (init.error) throw new Error(`${name}: initialize failed: ${init.error.message}`);
  send({ method: 'notifications/initialized' });
  return {
    name,
    pid: child.pid,
    call: async () => checkEcho(name, await request('tools/call', ECHO)),
    close: async () => {
      child.stdin!.end();
      if (child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

/** Raw Streamable HTTP: one POST per request on a keep-alive agent, the SSE or JSON response read whole. */
async function leanHttp(mode: Mode): Promise<Running> {
  const name = `${modeName(mode)}_http`;
  const child = spawnChild(mode, 'http');
  // The JWT gateway prints its client's token after its URL.
  const [printedUrl, token] = (await urlOf(child, name)).split(' ');
  const url = new URL(printedUrl!);
  // One socket per call in flight, reused across the calls of a burst (the default agent closes each one).
  const newAgent = (): Agent => new Agent({ keepAlive: true, maxSockets: IN_FLIGHT, maxFreeSockets: IN_FLIGHT });
  let agent = newAgent();
  let nextId = 1;
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;

  const post = (
    body: string,
    extra: Record<string, string> = {},
  ): Promise<{ status: number; headers: IncomingHttpHeaders; text: string }> =>
    new Promise((resolve, reject) => {
      const req = httpRequest(url, { method: 'POST', agent, headers: { ...headers, ...extra } }, (res) => {
        res.setEncoding('utf8');
        let text = '';
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });

  const request = async (
    method: string,
    params: unknown,
  ): Promise<{ message: JsonRpcMessage | undefined; headers: IncomingHttpHeaders }> => {
    const id = nextId++;
    const res = await post(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    if (res.status !== 200) throw new Error(`${name}: HTTP ${res.status} for ${method}: ${res.text.slice(0, 300)}`);
    let message: JsonRpcMessage | undefined;
    if ((res.headers['content-type'] ?? '').startsWith('text/event-stream')) {
      // SSE: `data:` lines, one JSON-RPC message each (progress or server requests could precede the response).
      for (const line of res.text.split('\n')) {
        if (!line.startsWith('data:')) continue;
        const m = JSON.parse(line.slice(5)) as JsonRpcMessage;
        if (m.id === id && m.method === undefined) message = m;
      }
    } else {
      message = JSON.parse(res.text) as JsonRpcMessage;
    }
    return { message, headers: res.headers };
  };

  const init = await request(INITIALIZE.method, INITIALIZE.params);
  const sessionId = init.headers['mcp-session-id'];
  if (init.message?.error || typeof sessionId !== 'string') throw new Error(`${name}: initialize failed: ${JSON.stringify(init.message)}`);
  headers['mcp-session-id'] = sessionId;
  headers['mcp-protocol-version'] = (init.message!.result as { protocolVersion: string }).protocolVersion;
  const initialized = await post(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
  if (initialized.status !== 202) throw new Error(`${name}: notifications/initialized answered HTTP ${initialized.status}`);
  return {
    name,
    pid: child.pid,
    call: async () => checkEcho(name, (await request('tools/call', ECHO)).message),
    // Sockets idle while the other variants ran may reach the server's keep-alive timeout (5 s) just
    // as they are reused (ECONNRESET): each burst opens its own.
    fresh: () => {
      agent.destroy();
      agent = newAgent();
    },
    close: async () => {
      await new Promise<void>((resolve) => {
        const req = httpRequest(url, { method: 'DELETE', agent, headers }, (res) => {
          res.resume();
          res.on('end', resolve);
        });
        req.on('error', () => resolve());
        req.end();
      });
      agent.destroy();
      child.kill('SIGTERM');
    },
  };
}

// ------------------------------------------------------------------ SDK client

async function sdkClient(mode: Mode, kind: Kind): Promise<Running> {
  const name = `${modeName(mode)}_${kind}`;
  const client = new Client({ name: 'bench-client', version: '1.0.0' });
  client.onerror = (error) => {
    if (!closing) log(`${name}: transport error: ${error.message}`);
  };
  const call = async (): Promise<void> => {
    const result = await client.request({ method: 'tools/call', params: ECHO }, CallToolResultSchema);
    checkEcho(name, { jsonrpc: '2.0', result });
  };
  if (kind === 'stdio') {
    const args = [...process.execArgv, ...childArgs(mode, kind)];
    const transport = new StdioClientTransport({ command: process.execPath, args, stderr: 'inherit' });
    await client.connect(transport);
    return { name, pid: transport.pid ?? undefined, call, close: () => client.close() };
  }
  const child = spawnChild(mode, kind);
  await client.connect(new StreamableHTTPClientTransport(new URL(await urlOf(child, name))));
  return {
    name,
    pid: child.pid,
    call,
    close: async () => {
      await client.close();
      child.kill('SIGTERM');
    },
  };
}

// ------------------------------------------------------------------ the run

/** `total` calls with `IN_FLIGHT` of them outstanding at any time; resolves with the wall time in ns. */
async function burst(v: Running, total: number): Promise<bigint> {
  v.fresh?.();
  let issued = 0;
  const worker = async (): Promise<void> => {
    while (issued < total) {
      issued++;
      await v.call();
    }
  };
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return process.hrtime.bigint() - t0;
}

const variants: Running[] = [];
try {
  equalCost = await spawnEchoUpstream('equal');
  for (const kind of ['http', 'stdio'] as const) {
    const eras = ['gateway-legacyup', 'gateway-modernup', 'gateway-legacyeq', 'gateway-moderneq'] as const;
    for (const mode of ['sdk', 'proxy', 'gateway', ...eras, ...(withAuth && kind === 'http' ? (['gateway-jwt'] as const) : [])] as const) {
      if (mode === 'gateway-jwt' && clientKind === 'sdk') throw new Error('--auth needs the lean client');
      const v = clientKind === 'sdk' ? await sdkClient(mode, kind) : kind === 'http' ? await leanHttp(mode) : await leanStdio(mode);
      // The era variants' upstream runs in a child of the gateway's process (started before the gateway answered).
      if (mode === 'gateway-legacyup' || mode === 'gateway-modernup') v.upstreamPid = childPids(v.pid)[0];
      if (isEqualCost(mode)) v.upstreamPid = equalCost.pid;
      variants.push(v);
    }
  }
  for (const v of variants) await v.call();
  log(
    `bench gateway: ${variants.length} variants, ${clientKind} client, ${IN_FLIGHT} calls in flight, warm-up ${args.warmup}, ${args.rounds} rounds × ${args.calls} calls over HTTP, ${callsPerBurst('stdio')} over stdio (node ${process.version})`,
  );
  for (const v of variants) await burst(v, args.warmup);

  const wall = new Map<string, bigint>(variants.map((v) => [v.name, 0n]));
  const cpuUs = new Map<string, number>(variants.map((v) => [v.name, 0]));
  const upstreamCpuUs = new Map<string, number>();
  const perRound = { http: [] as number[], stdio: [] as number[] };
  /** Per round, the modern-upstream gateway's wall time over the legacy-upstream one's (1.0 = same cost). */
  const eraRounds = { http: [] as number[], stdio: [] as number[] };
  /** The same over the equal-cost upstream: the gateway's own modern/legacy cost. */
  const equalRounds = { http: [] as number[], stdio: [] as number[] };
  /** Per round, gatewayjwt_http's wall time over gateway_http's: the cost of auth (1.0 = free). */
  const authRounds: number[] = [];
  for (let r = 0; r < args.rounds; r++) {
    for (const kind of ['http', 'stdio'] as const) {
      const group = variants.filter((v) => v.name.endsWith(`_${kind}`));
      const took = new Map<string, bigint>();
      for (const v of r % 2 === 0 ? group : [...group].reverse()) {
        const cpu0 = cpuTimeUs(v.pid);
        const up0 = cpuTimeUs(v.upstreamPid);
        const ns = await burst(v, callsPerBurst(kind));
        const cpu1 = cpuTimeUs(v.pid);
        const up1 = cpuTimeUs(v.upstreamPid);
        if (up0 !== undefined && up1 !== undefined) upstreamCpuUs.set(v.name, (upstreamCpuUs.get(v.name) ?? 0) + (up1 - up0));
        took.set(v.name, ns);
        wall.set(v.name, wall.get(v.name)! + ns);
        if (cpu0 !== undefined && cpu1 !== undefined) cpuUs.set(v.name, cpuUs.get(v.name)! + (cpu1 - cpu0));
      }
      // Same number of calls: the calls/s ratio is the inverse ratio of the wall times.
      perRound[kind].push(Number(took.get(`proxy_${kind}`)!) / Number(took.get(`gateway_${kind}`)!));
      eraRounds[kind].push(Number(took.get(`gatewaymodernup_${kind}`)!) / Number(took.get(`gatewaylegacyup_${kind}`)!));
      equalRounds[kind].push(Number(took.get(`gatewaymoderneq_${kind}`)!) / Number(took.get(`gatewaylegacyeq_${kind}`)!));
      if (kind === 'http' && took.has('gatewayjwt_http'))
        authRounds.push(Number(took.get('gatewayjwt_http')!) / Number(took.get('gateway_http')!));
    }
    log(
      `  round ${r + 1}/${args.rounds}: gateway/proxy http ${perRound.http.at(-1)!.toFixed(3)}, stdio ${perRound.stdio.at(-1)!.toFixed(3)}`,
    );
  }

  const totalOf = (name: string): number => callsPerBurst(name.endsWith('_stdio') ? 'stdio' : 'http') * args.rounds;
  const perS = Object.fromEntries(variants.map((v) => [v.name, totalOf(v.name) / (Number(wall.get(v.name)!) / 1e9)]));
  const hasCpu = variants.every((v) => cpuUs.get(v.name)! > 0);
  const cpuPerCall = Object.fromEntries(variants.map((v) => [v.name, cpuUs.get(v.name)! / totalOf(v.name)]));
  const rows = [
    ['variant', 'calls/s', '× sdk', '× proxy', ...(hasCpu ? ['server CPU µs/call'] : [])],
    ...variants.map((v) => {
      const kind = v.name.split('_')[1]!;
      return [
        v.name,
        perS[v.name]!.toFixed(0),
        (perS[v.name]! / perS[`sdk_${kind}`]!).toFixed(2),
        (perS[v.name]! / perS[`proxy_${kind}`]!).toFixed(2),
        ...(hasCpu ? [cpuPerCall[v.name]!.toFixed(1)] : []),
      ];
    }),
  ];
  const TARGET = 0.9;
  const httpRatio = round(median(perRound.http), 3);
  const stdioRatio = round(median(perRound.stdio), 3);
  console.log('');
  console.log(table(rows));
  console.log('');
  console.log(
    `gateway/proxy calls/s, median of ${args.rounds} paired rounds: http ${httpRatio} (target >= ${TARGET}: ${httpRatio >= TARGET ? 'ok' : 'MISSED'})  stdio ${stdioRatio} (target >= ${TARGET}: ${stdioRatio >= TARGET ? 'ok' : 'MISSED'})`,
  );
  console.log(
    `  over all rounds: http ${ratio(perS.gateway_http!, perS.proxy_http!)}, stdio ${ratio(perS.gateway_stdio!, perS.proxy_stdio!)}` +
      (hasCpu
        ? `; server CPU per call, proxy/gateway: http ${ratio(cpuPerCall.proxy_http!, cpuPerCall.gateway_http!)}, stdio ${ratio(cpuPerCall.proxy_stdio!, cpuPerCall.gateway_stdio!)}`
        : ''),
  );
  const eraCpu = (kind: Kind): number => ratio(cpuPerCall[`gatewaymodernup_${kind}`]!, cpuPerCall[`gatewaylegacyup_${kind}`]!);
  const eraCost = { http: round(median(eraRounds.http), 3), stdio: round(median(eraRounds.stdio), 3) };
  const upstreamPerCall = (kind: Kind, era: 'legacy' | 'modern', upstream: 'up' | 'eq' = 'up'): number | undefined => {
    const us = upstreamCpuUs.get(`gateway${era}${upstream}_${kind}`);
    return us === undefined ? undefined : us / totalOf(`_${kind}`);
  };
  const eraFigures = (['http', 'stdio'] as const).map((kind) => ({
    kind,
    wall: eraCost[kind],
    gatewayCpuUs: { legacy: cpuPerCall[`gatewaylegacyup_${kind}`]!, modern: cpuPerCall[`gatewaymodernup_${kind}`]! },
    upstreamCpuUs: { legacy: upstreamPerCall(kind, 'legacy'), modern: upstreamPerCall(kind, 'modern') },
  }));
  for (const line of hasCpu
    ? eraGatewayLines(eraFigures, 1.05)
    : [
        `modern/legacy upstream call time through the gateway: http ${eraCost.http}, stdio ${eraCost.stdio} (no /proc: the gateway's own CPU, which the target is set on, is not measured here)`,
      ])
    console.log(line);
  // Proof that the equal-cost echo served each gateway in its era (one check call + warm-up + rounds, both transports).
  const served = await equalCostServed(equalCost.url);
  const expectedCalls = 2 + 2 * args.warmup + (totalOf('_http') + totalOf('_stdio'));
  for (const era of ['legacy', 'modern'] as const)
    if ((served[era]['tools/call'] ?? 0) < expectedCalls)
      throw new Error(
        `the equal-cost echo served ${served[era]['tools/call'] ?? 0} ${era} tools/call (expected >= ${expectedCalls}): ${JSON.stringify(served)}`,
      );
  const equalCostCost = { http: round(median(equalRounds.http), 3), stdio: round(median(equalRounds.stdio), 3) };
  const equalFigures = (['http', 'stdio'] as const).map((kind) => ({
    kind,
    wall: equalCostCost[kind],
    gatewayCpuUs: { legacy: cpuPerCall[`gatewaylegacyeq_${kind}`]!, modern: cpuPerCall[`gatewaymoderneq_${kind}`]! },
    upstreamCpuUs: {
      legacy: upstreamPerCall(kind, 'legacy', 'eq'),
      modern: upstreamPerCall(kind, 'modern', 'eq'),
    },
  }));
  for (const line of equalCostGatewayLines(equalFigures, 1.05, served, hasCpu)) console.log(line);
  if (authRounds.length > 0) {
    const authCost = round(median(authRounds), 3);
    console.log(
      `JWT-authenticated / unauthenticated call time over HTTP, median of ${args.rounds} paired rounds: ${authCost} (target <= 1.1: ${authCost <= 1.1 ? 'ok' : 'MISSED'})`,
    );
  }
  console.log(
    JSON.stringify({
      bench: 'gateway',
      node: process.version,
      client: clientKind,
      in_flight: IN_FLIGHT,
      calls: { http: totalOf('proxy_http'), stdio: totalOf('proxy_stdio') },
      rounds: args.rounds,
      calls_per_s: Object.fromEntries(Object.entries(perS).map(([k, v]) => [k, round(v, 0)])),
      server_cpu_us_per_call: hasCpu ? Object.fromEntries(Object.entries(cpuPerCall).map(([k, v]) => [k, round(v, 1)])) : null,
      // The era variants' upstream servers (each in its own process): the part of a call's cost that is not the gateway's.
      upstream_cpu_us_per_call: Object.fromEntries([...upstreamCpuUs].map(([k, v]) => [k, round(v / totalOf(k), 1)])),
      ratio: {
        gateway_vs_proxy_http: httpRatio,
        gateway_vs_proxy_stdio: stdioRatio,
        gateway_vs_proxy_http_rounds: perRound.http.map((x) => round(x, 3)),
        gateway_vs_proxy_stdio_rounds: perRound.stdio.map((x) => round(x, 3)),
        gateway_vs_sdk_http: ratio(perS.gateway_http!, perS.sdk_http!),
        gateway_vs_sdk_stdio: ratio(perS.gateway_stdio!, perS.sdk_stdio!),
        proxy_vs_sdk_http: ratio(perS.proxy_http!, perS.sdk_http!),
        proxy_vs_sdk_stdio: ratio(perS.proxy_stdio!, perS.sdk_stdio!),
        modern_vs_legacy_http: eraCost.http,
        modern_vs_legacy_stdio: eraCost.stdio,
        ...(hasCpu ? { modern_vs_legacy_cpu_http: eraCpu('http'), modern_vs_legacy_cpu_stdio: eraCpu('stdio') } : {}),
        ...(hasCpu
          ? Object.fromEntries(
              eraFigures.flatMap((f) => {
                const legacy = f.upstreamCpuUs.legacy;
                const modern = f.upstreamCpuUs.modern;
                return legacy === undefined || modern === undefined
                  ? []
                  : [[`modern_vs_legacy_upstream_cpu_${f.kind}`, ratio(modern, legacy)]];
              }),
            )
          : {}),
        // Over the equal-cost upstream: the gateway's own modern/legacy cost (target <= 1.05).
        modern_vs_legacy_equal_cost_http: equalCostCost.http,
        modern_vs_legacy_equal_cost_stdio: equalCostCost.stdio,
        ...(hasCpu
          ? {
              modern_vs_legacy_equal_cost_cpu_http: ratio(cpuPerCall.gatewaymoderneq_http!, cpuPerCall.gatewaylegacyeq_http!),
              modern_vs_legacy_equal_cost_cpu_stdio: ratio(cpuPerCall.gatewaymoderneq_stdio!, cpuPerCall.gatewaylegacyeq_stdio!),
            }
          : {}),
        modern_vs_legacy_equal_cost_http_rounds: equalRounds.http.map((x) => round(x, 3)),
        modern_vs_legacy_equal_cost_stdio_rounds: equalRounds.stdio.map((x) => round(x, 3)),
        modern_vs_legacy_http_rounds: eraRounds.http.map((x) => round(x, 3)),
        modern_vs_legacy_stdio_rounds: eraRounds.stdio.map((x) => round(x, 3)),
        ...(authRounds.length > 0
          ? { jwt_vs_gateway_http: round(median(authRounds), 3), jwt_vs_gateway_http_rounds: authRounds.map((x) => round(x, 3)) }
          : {}),
      },
      // modern_vs_legacy: on the gateway's own CPU per call (modern_vs_legacy_cpu_*), the upstream servers' cost apart.
      equal_cost_served: served,
      targets: {
        gateway_vs_proxy: TARGET,
        modern_vs_legacy: 1.05,
        modern_vs_legacy_equal_cost: 1.05,
        ...(authRounds.length > 0 ? { jwt_vs_gateway_http: 1.1 } : {}),
      },
    }),
  );
} finally {
  closing = true;
  await Promise.allSettled(variants.map((v) => v.close()));
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  equalCost?.close();
}
