import type { Bridge, ServerStatus } from '@mcp-bridge/core';
import type { CommandContext, LogFields } from './context.js';
import { describeSource, type Loaded } from './load.js';
import { splitStderr } from './open-bridge.js';

/** Lines of a failed server's stderr the serve log shows (a desktop user sees nothing else). */
const STDERR_LINES = 10;
/** How often the log repeats which servers are still starting. */
const STILL_STARTING_EVERY_MS = 10_000;

/**
 * Logs how the servers start, as they start: which are still starting (their tools join the
 * catalog when they come up; calls to them wait), then each server as it comes up (tools, time) or
 * fails (error and the tail of its stderr), then the catalog once none is starting. Returns a stop
 * function for shutdown.
 */
export function logStartup(ctx: CommandContext, bridge: Bridge, loaded: Loaded, log: Log, alert: Log): () => void {
  const c = ctx.err;
  const began = Date.now();
  /** Servers logged as failed: one that comes up later is logged again. */
  const down = new Set<string>();
  const report = (s: ServerStatus, ms?: number, error?: string): void => {
    if (logServer(ctx, bridge, loaded, s, log, alert, ms, error)) down.delete(s.name);
    else down.add(s.name);
  };
  for (const s of bridge.status()) if (s.state !== 'starting' && s.state !== 'pending') report(s);
  const starting = (): string[] =>
    bridge
      .status()
      .filter((s) => s.state === 'starting' || s.state === 'pending')
      .map((s) => s.name);
  const first = starting();
  if (first.length === 0) logCatalog(bridge, log);
  else
    log(
      `starting: ${first.join(', ')} ${c.dim('(their tools join the catalog as they come up, announced with list_changed; calls to them wait)')}`,
    );
  let timer: ReturnType<typeof setInterval> | undefined;
  const stopTimer = (): void => {
    if (timer) clearInterval(timer);
    timer = undefined;
  };
  if (first.length > 0) {
    timer = setInterval(() => {
      const left = starting();
      if (left.length > 0) log(c.yellow(`still starting after ${Math.round((Date.now() - began) / 1000)} s: ${left.join(', ')}`));
    }, STILL_STARTING_EVERY_MS);
    timer.unref();
  }
  const offStarted = bridge.on('server:started', ({ server, durationMs, error }) => {
    const s = bridge.status().find((x) => x.name === server);
    if (s) report(s, durationMs, error);
    if (first.length > 0 && starting().length === 0) {
      stopTimer();
      logCatalog(bridge, log);
    }
  });
  // A server that was down and came up (retried in the background, or on use) says so.
  const offChanged = bridge.on('catalog:changed', ({ server }) => {
    const s = down.has(server) ? bridge.status().find((x) => x.name === server) : undefined;
    if (s && (s.state === 'ok' || s.state === 'degraded')) report(s);
  });
  return () => {
    stopTimer();
    offStarted();
    offChanged();
  };
}

/** Logs one server's state; true when it is up. */
/** A log line; `alert` lines are printed even with --quiet (a server that does not start). */
type Log = (text: string, fields?: LogFields) => void;

function logServer(
  ctx: CommandContext,
  bridge: Bridge,
  loaded: Loaded,
  s: ServerStatus,
  log: Log,
  alert: Log,
  ms?: number,
  listError?: string,
): boolean {
  const c = ctx.err;
  const n = bridge.tools().filter((t) => t.server === s.name).length;
  const where = c.dim(describeSource(loaded.sources[s.name]));
  const time = ms === undefined ? '' : c.dim(` in ${Math.round(ms)} ms`);
  if (s.state === 'ok' || s.state === 'degraded') {
    log(`${c.green('✔')} ${s.name}: ${n} tool${n === 1 ? '' : 's'}${time} ${where}`);
    return true;
  }
  const raw =
    s.upstreams.find((u) => u.lastError)?.lastError ?? listError ?? s.issues?.map((i) => `${i.path}: ${i.message}`).join('; ') ?? s.state;
  const { message, stderr } = splitStderr(raw);
  const retry = s.state === 'invalid' ? '' : c.dim(' (the other servers are served; it is retried in the background and on use)');
  alert(`${c.red('✖')} ${s.name}: ${s.state}: ${message.split('\n')[0]}${time} ${where}${retry}`, { server: s.name });
  if (stderr) {
    const tail = stderr.trimEnd().split('\n').slice(-STDERR_LINES);
    alert(`    ${c.dim(`stderr of ${s.name} (last ${tail.length} line${tail.length === 1 ? '' : 's'}):`)}`, { server: s.name });
    for (const l of tail) alert(`    ${c.dim('│')} ${l}`, { server: s.name });
  }
  return false;
}

function logCatalog(bridge: Bridge, log: (t: string) => void): void {
  const tools = bridge.tools();
  const renamed = tools.filter((t) => t.name !== t.upstreamName);
  const servers = bridge.servers().length;
  log(
    `catalog: ${tools.length} tool${tools.length === 1 ? '' : 's'} from ${servers} server${servers === 1 ? '' : 's'}${renamed.length ? `; renamed to avoid collisions: ${renamed.map((t) => `${t.server}/${t.upstreamName} → ${t.name}`).join(', ')}` : ''}`,
  );
}
