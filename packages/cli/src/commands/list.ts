import type { ServerStatus } from '@mcp-bridge/core';
import { redactConfig } from '@mcp-bridge/discovery';
import { printJson, type CommandContext } from '../context.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { columns, line, progress, visible } from '../io.js';
import { configProblems } from '../config-report.js';
import { describeSource, loadServers, type ServerSource } from '../load.js';
import { formatListWarning, openBridge, type ListWarning } from '../open-bridge.js';

/** Options of `list`. */
export interface ListOptions {
  timeout: number;
}

/** One server in `list --json`. */
export interface ListedServer {
  name: string;
  /** `ok`, `degraded`, `starting` (not up within `--timeout`), `down` (did not start), `invalid` (bad entry), `skipped` (disabled or filtered out). */
  state: ServerStatus['state'] | 'skipped';
  kind: string | null;
  /** The era its connection speaks: `legacy` (2025, sessions) or `modern` (2026-07-28, stateless); absent when not connected. */
  era?: 'legacy' | 'modern';
  /** The protocol version in use (negotiated per upstream: `protocol` in the entry); absent when not connected. */
  protocolVersion?: string;
  source: ServerSource | null;
  tools: number;
  config: Record<string, unknown> | null;
  error?: string;
  reason?: string;
  /** List entries the server sent that were repaired or dropped, one line each. */
  warnings?: string[];
}

/** One tool in `list --json`. */
export interface ListedTool {
  name: string;
  server: string;
  upstreamName: string;
  title?: string;
  description?: string;
}

/** `list --json` output. */
export interface ListJson {
  examples: boolean;
  servers: ListedServer[];
  tools: ListedTool[];
}

/** `mcp-bridge list`: every server with its source and state, then the merged tool list. */
export async function listCommand(ctx: CommandContext, options: ListOptions): Promise<ExitCode> {
  const spin = progress(ctx, 'reading configs');
  let bridge;
  try {
    const loaded = await loadServers(ctx.io, ctx.options);
    for (const problem of configProblems(loaded)) ctx.log(ctx.err.yellow(problem));
    // No connect timeout of its own: a server slower than --timeout is reported `starting`, not `ok` or `down`.
    const opened = await openBridge(loaded, {
      startTimeout: options.timeout,
      progress: spin,
      signal: ctx.signal,
      onError: () => undefined,
    });
    bridge = opened.bridge;
    const status = bridge.status();
    const tools = bridge.tools();
    const servers: ListedServer[] = status.map((s) => {
      const error = s.upstreams.find((u) => u.lastError)?.lastError ?? s.issues?.map((i) => `${i.path}: ${i.message}`).join('; ');
      const config = loaded.servers[s.name];
      return {
        name: s.name,
        state: s.state,
        kind: s.upstreams[0]?.kind ?? null,
        ...eraOf(s),
        source: loaded.sources[s.name] ?? invalidSource(loaded, s.name),
        tools: tools.filter((t) => t.server === s.name).length,
        config: config && !loaded.usingExamples ? redactConfig(config) : null,
        ...(error && s.state !== 'ok' ? { error: error.split('\n')[0]! } : {}),
        ...warningsOf(opened.warnings, s.name),
      };
    });
    for (const skipped of loaded.discovery && !loaded.usingExamples ? loaded.discovery.skipped : []) {
      if (servers.some((s) => s.name === skipped.name)) continue;
      servers.push({
        name: skipped.name,
        state: 'skipped',
        kind: null,
        source: skipped.source,
        tools: 0,
        config: null,
        reason: skipped.reason,
      });
    }
    const listed: ListedTool[] = tools.map((t) => ({
      name: t.name,
      server: t.server,
      upstreamName: t.upstreamName,
      ...(t.tool.title ? { title: t.tool.title } : {}),
      ...(t.tool.description ? { description: t.tool.description } : {}),
    }));
    spin.stop();
    if (ctx.options.json) printJson(ctx, { examples: loaded.usingExamples, servers, tools: listed } satisfies ListJson);
    else printHuman(ctx, loaded.usingExamples, servers, listed);
    return servers.some((s) => s.state === 'down' || s.state === 'invalid' || s.state === 'starting') ? EXIT.FAILURE : EXIT.OK;
  } finally {
    spin.stop();
    await bridge?.close();
  }
}

/** `{ era, protocolVersion }` of a server's first connected upstream (`list` and `doctor`). */
export function eraOf(s: ServerStatus): { era?: 'legacy' | 'modern'; protocolVersion?: string } {
  const up = s.upstreams.find((u) => u.era !== undefined);
  return up ? { era: up.era!, ...(up.protocolVersion === undefined ? {} : { protocolVersion: up.protocolVersion }) } : {};
}

/** The transport kind with the protocol version in use: `stdio 2026-07-28` (human output). */
export function kindAndProtocol(s: { kind: string | null; protocolVersion?: string }): string {
  return [s.kind ?? '-', s.protocolVersion].filter(Boolean).join(' ');
}

/** `{ warnings }` of one server when it has any (`list` and `doctor`). */
export function warningsOf(warnings: readonly ListWarning[], server: string): { warnings?: string[] } {
  const mine = warnings.filter((w) => w.server === server).map(formatListWarning);
  return mine.length ? { warnings: mine } : {};
}

function invalidSource(loaded: Awaited<ReturnType<typeof loadServers>>, name: string): ServerSource | null {
  return loaded.discovery?.skipped.find((s) => s.name === name)?.source ?? null;
}

function printHuman(ctx: CommandContext, examples: boolean, servers: ListedServer[], tools: ListedTool[]): void {
  const c = ctx.out;
  const out = ctx.io.stdout;
  if (examples) line(out, c.dim('No MCP config found: showing the bundled example servers (see `mcp-bridge doctor`).'));
  line(out, c.bold(`Servers (${servers.length})`));
  const stateColor = (s: ListedServer['state']): string =>
    s === 'ok' ? c.green(s) : s === 'degraded' || s === 'starting' ? c.yellow(s) : s === 'skipped' ? c.dim(s) : c.red(s);
  const rows = servers.map((s) => [
    `  ${s.name}`,
    stateColor(s.state),
    kindAndProtocol(s),
    s.state === 'skipped' ? c.dim(s.reason ?? '') : `${s.tools} tool${s.tools === 1 ? '' : 's'}`,
    c.dim(describeSource(s.source ?? undefined)),
  ]);
  for (const row of columns(rows, visible)) line(out, row);
  for (const s of servers) if (s.error) line(out, `  ${c.red('✖')} ${s.name}: ${s.error}`);
  for (const s of servers)
    if (s.state === 'starting') line(out, `  ${c.yellow('!')} ${s.name}: still starting after --timeout; its tools are not listed yet`);
  for (const s of servers) for (const w of s.warnings ?? []) line(out, `  ${c.yellow('⚠')} ${w}`);
  line(out);
  line(out, c.bold(`Tools (${tools.length})`));
  const toolRows = tools.map((t) => [
    `  ${t.name}`,
    c.dim(t.name === t.upstreamName ? t.server : `${t.server}/${t.upstreamName}`),
    oneLine(t.description ?? t.title ?? ''),
  ]);
  for (const row of columns(toolRows, visible)) line(out, row);
}

function oneLine(text: string, max = 80): string {
  const first = text.split('\n')[0]!;
  return first.length > max ? `${first.slice(0, max - 1)}…` : first;
}
