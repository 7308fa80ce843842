import type { Bridge, Plugin } from '@mcp-bridge/core';
import type { ConfigFileReport, DiscoveryIssue } from '@mcp-bridge/discovery';
import { printJson, type CommandContext } from '../context.js';
import { CliError, EXIT, type ExitCode } from '../exit-codes.js';
import { line, messageOf, progress } from '../io.js';
import { describeSource, loadServers, type Loaded, type ServerSource } from '../load.js';
import { openBridge, splitStderr } from '../open-bridge.js';
import { eraOf, kindAndProtocol, warningsOf } from './list.js';
import { buildPlugins, type PluginReport } from '../plugins.js';
import { doctorTracing, type DoctorTracing } from '../telemetry.js';

/** Options of `doctor`. */
export interface DoctorOptions {
  timeout: number;
  /** Lines of a failed server's stderr to show (human output). */
  stderrLines: number;
}

/** One server in `doctor --json`. */
export interface DoctorServer {
  name: string;
  /**
   * `ok`: connected and listed; `starting`: not up within `--timeout` (neither up nor failed);
   * `failed`: did not start; `invalid`: bad entry; `skipped`: disabled or filtered out.
   */
  state: 'ok' | 'starting' | 'failed' | 'invalid' | 'skipped';
  kind: string | null;
  /** The era its connection speaks: `legacy` (2025, sessions) or `modern` (2026-07-28, stateless); absent when not connected. */
  era?: 'legacy' | 'modern';
  /** The protocol version in use (negotiated per upstream: `protocol` in the entry); absent when not connected. */
  protocolVersion?: string;
  source: ServerSource | null;
  /** Connect + initialize time of the first attempt (ms), when it was tried. */
  ms: number | null;
  tools: number;
  error?: string;
  /** Tail of a failed stdio server's stderr. */
  stderr?: string;
  reason?: string;
  /** List entries the server sent that were repaired or dropped, one line each. */
  warnings?: string[];
}

/** `doctor --json` output. */
export interface DoctorJson {
  ok: boolean;
  examples: boolean;
  files: ConfigFileReport[];
  issues: DiscoveryIssue[];
  plugins: (PluginReport | { key: string; status: 'failed'; error: string })[];
  /** Where the tracing plugin's spans go (endpoint, protocol), or why tracing is off. */
  tracing: DoctorTracing;
  servers: DoctorServer[];
}

/**
 * `mcp-bridge doctor`: which config files were found, missing or invalid; which servers start and
 * how long each took; what failed and why (with the stderr tail of a failed stdio server); and
 * whether the plugins load with their options. Exit 0 when everything is fine, 1 otherwise.
 */
export async function doctorCommand(ctx: CommandContext, options: DoctorOptions): Promise<ExitCode> {
  const spin = progress(ctx, 'reading configs');
  let bridge: Bridge | undefined;
  try {
    const loaded = await loadServers(ctx.io, ctx.options, true);
    const report: DoctorJson = {
      ok: true,
      examples: loaded.usingExamples,
      files: loaded.discovery?.files ?? [],
      issues: loaded.discovery?.issues ?? [],
      plugins: [],
      tracing: doctorTracing([], ctx.io.env),
      servers: [],
    };
    let plugins: Plugin[] = [];
    try {
      const built = await buildPlugins(
        loaded.settings.plugins,
        loaded.settings.file,
        loaded.settings.pluginDefaults ? { defaultOptions: loaded.settings.pluginDefaults } : {},
      );
      plugins = built.plugins;
      report.plugins.push(...built.reports);
      report.tracing = doctorTracing(built.reports, ctx.io.env);
    } catch (error) {
      report.plugins.push({ key: 'plugins', status: 'failed', error: messageOf(error) });
    }
    spin.text('starting servers');
    let timings;
    let warnings;
    try {
      // No connect timeout of its own: a server slower than --timeout is reported as still starting.
      ({ bridge, timings, warnings } = await openBridge(loaded, {
        plugins,
        startTimeout: options.timeout,
        progress: spin,
        signal: ctx.signal,
        onError: () => undefined,
      }));
    } catch (error) {
      if (ctx.signal.aborted) throw error;
      // A plugin that rejects its options fails the start: report it, then check the servers without plugins.
      report.plugins.push({ key: 'start', status: 'failed', error: messageOf(error) });
      ({ bridge, timings, warnings } = await openBridge(loaded, {
        startTimeout: options.timeout,
        progress: spin,
        signal: ctx.signal,
        onError: () => undefined,
      }));
    }
    report.servers.push(...serverReports(bridge, loaded, timings, warnings, options.timeout));
    report.servers.push(...skippedServers(loaded, report.issues));
    report.ok = reportOk(report);
    spin.stop();
    if (ctx.options.json) printJson(ctx, report);
    else printHuman(ctx, report, options);
    if (ctx.options.config && !report.files.some((f) => f.kind === 'explicit' && f.status === 'loaded') && !ctx.options.json) {
      throw new CliError(`config file ${ctx.options.config} could not be loaded (see above)`, EXIT.USAGE);
    }
    return report.ok ? EXIT.OK : EXIT.FAILURE;
  } finally {
    spin.stop();
    await bridge?.close();
  }
}

/** The servers discovery skipped (disabled, or invalid with the issue that says why). */
function skippedServers(loaded: Loaded, issues: DoctorJson['issues']): DoctorServer[] {
  const servers: DoctorServer[] = [];
  for (const skipped of loaded.usingExamples ? [] : (loaded.discovery?.skipped ?? [])) {
    const issue = issues.find((i) => i.server === skipped.name);
    servers.push({
      name: skipped.name,
      state: skipped.reason === 'invalid' ? 'invalid' : 'skipped',
      kind: null,
      source: skipped.source,
      ms: null,
      tools: 0,
      reason: skipped.reason,
      ...(skipped.reason === 'invalid' && issue ? { error: `${issue.field ? `${issue.field}: ` : ''}${issue.message}` } : {}),
    });
  }
  return servers;
}

/** Whether everything is fine: every server up (or skipped), every file, plugin and tracing setup loaded, no config issue. */
function reportOk(report: DoctorJson): boolean {
  return (
    report.servers.every((s) => s.state === 'ok' || s.state === 'skipped') &&
    report.files.every((f) => f.status !== 'invalid') &&
    report.plugins.every((p) => p.status !== 'failed') &&
    report.tracing.error === undefined &&
    report.issues.length === 0
  );
}

function printHuman(ctx: CommandContext, report: DoctorJson, options: DoctorOptions): void {
  const c = ctx.out;
  const out = ctx.io.stdout;
  const mark = { ok: c.green('✔'), bad: c.red('✖'), off: c.dim('·'), warn: c.yellow('!') };
  line(out, c.bold('Config files'));
  if (report.examples && report.files.length === 0) line(out, `  ${mark.off} none read (--examples)`);
  for (const f of report.files) {
    const icon = f.status === 'loaded' ? mark.ok : f.status === 'invalid' ? mark.bad : mark.off;
    const detail = f.status === 'loaded' ? `${f.servers.length} server${f.servers.length === 1 ? '' : 's'}` : f.status;
    const text = `  ${icon} ${f.file} ${c.dim(`(${f.kind})`)} ${f.status === 'loaded' ? detail : c.dim(detail)}`;
    line(out, f.status === 'missing' || f.status === 'disabled' ? c.dim(text) : text);
    if (f.error) line(out, `      ${c.red(f.error)}`);
  }
  if (report.examples) line(out, `  ${mark.warn} no server configured anywhere: using the bundled example servers`);
  if (report.issues.length > 0) {
    line(out);
    line(out, c.bold('Problems'));
    for (const i of report.issues) {
      line(
        out,
        `  ${mark.bad} ${i.file}${i.line ? `:${i.line}` : ''}${i.server ? ` server "${i.server}"` : ''}${i.field ? ` field ${i.field}` : ''}: ${i.message}`,
      );
    }
  }
  line(out);
  line(out, c.bold('Plugins'));
  if (report.plugins.length === 0) line(out, `  ${mark.off} none`);
  for (const p of report.plugins) {
    if (p.status === 'loaded') line(out, `  ${mark.ok} ${p.key} ${c.dim(`(${p.package}, ${p.from})`)}`);
    else if (p.status === 'not-installed') line(out, c.dim(`  ${mark.off} ${p.key} not installed (${p.package})`));
    else line(out, `  ${mark.bad} ${p.key}: ${p.error ?? 'failed'}`);
  }
  const t = report.tracing;
  line(
    out,
    t.error ? `  ${mark.bad} ${t.description}` : t.enabled ? `  ${mark.ok} ${t.description}` : c.dim(`  ${mark.off} ${t.description}`),
  );
  line(out);
  line(out, c.bold('Servers'));
  for (const s of report.servers) {
    const icon = s.state === 'ok' ? mark.ok : s.state === 'skipped' ? mark.off : s.state === 'starting' ? mark.warn : mark.bad;
    const time = s.ms === null ? '' : c.dim(` ${s.ms} ms`);
    const what =
      s.state === 'ok'
        ? `${s.tools} tool${s.tools === 1 ? '' : 's'}`
        : s.state === 'skipped'
          ? c.dim(`skipped (${s.reason ?? ''})`)
          : c.red(s.state);
    line(
      out,
      `  ${icon} ${c.bold(s.name)} ${what}${time} ${c.dim(`${s.kind === null ? '' : kindAndProtocol(s)} ${describeSource(s.source ?? undefined)}`.trim())}`,
    );
    if (s.error) for (const l of s.error.split('\n')) line(out, `      ${c.red(l)}`);
    for (const w of s.warnings ?? []) line(out, `      ${c.yellow(`⚠ ${w}`)}`);
    if (s.stderr) {
      const tail = s.stderr.trimEnd().split('\n').slice(-options.stderrLines);
      line(out, `      ${c.dim(`stderr (last ${tail.length} line${tail.length === 1 ? '' : 's'}):`)}`);
      for (const l of tail) line(out, `      ${c.dim('│')} ${l}`);
    }
  }
  const failed = report.servers.filter((s) => s.state === 'failed' || s.state === 'invalid').length;
  const starting = report.servers.filter((s) => s.state === 'starting').length;
  const started = report.servers.filter((s) => s.state === 'ok').length;
  line(out);
  const problems = [
    failed > 0 ? `${failed} of ${report.servers.length} servers failed` : '',
    starting > 0 ? `${starting} still starting after ${options.timeout} ms` : '',
    report.files.some((f) => f.status === 'invalid') ? 'invalid config files' : '',
    report.issues.length > 0 ? `${report.issues.length} config problem${report.issues.length === 1 ? '' : 's'}` : '',
    report.plugins.some((p) => p.status === 'failed') ? 'plugins failed' : '',
    report.tracing.error ? 'bad tracing settings' : '',
  ].filter(Boolean);
  line(
    out,
    report.ok
      ? c.green(`All good: ${started} server${started === 1 ? '' : 's'} started.`)
      : c.red(`${problems.join('; ')}; ${started} started.`),
  );
}

/** One report row per server the bridge knows: its state, time, tools, and error with the stderr tail. */
function serverReports(
  bridge: Bridge,
  loaded: Awaited<ReturnType<typeof loadServers>>,
  timings: Awaited<ReturnType<typeof openBridge>>['timings'],
  warnings: Awaited<ReturnType<typeof openBridge>>['warnings'],
  timeout: number,
): DoctorServer[] {
  const tools = bridge.tools();
  const out: DoctorServer[] = [];
  for (const s of bridge.status()) {
    const timing = timings.get(s.name);
    const failedUp = s.upstreams.find((u) => u.lastError);
    const split = failedUp?.lastError ? splitStderr(failedUp.lastError) : undefined;
    const state: DoctorServer['state'] =
      s.state === 'invalid'
        ? 'invalid'
        : s.state === 'starting'
          ? 'starting'
          : s.state === 'ok' || s.state === 'degraded'
            ? 'ok'
            : 'failed';
    const stillStarting = state === 'starting' ? `still starting after ${timeout} ms (--timeout): neither up nor failed` : undefined;
    const error = stillStarting ?? timing?.error ?? split?.message ?? s.issues?.map((i) => `${i.path}: ${i.message}`).join('; ');
    const stderr = timing?.stderr ?? split?.stderr;
    out.push({
      name: s.name,
      state,
      kind: s.upstreams[0]?.kind ?? null,
      ...eraOf(s),
      source: loaded.sources[s.name] ?? null,
      ms: timing ? Math.round(timing.ms) : null,
      tools: tools.filter((t) => t.server === s.name).length,
      ...(state !== 'ok' && error ? { error } : {}),
      ...(state !== 'ok' && stderr ? { stderr } : {}),
      ...warningsOf(warnings, s.name),
    });
  }
  return out;
}
