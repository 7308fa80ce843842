import { fileSnapshotStore } from '../catalog-snapshot-files.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Bridge, Plugin } from '@mcp-bridge/core';
import { applyChange, watchConfigs } from '@mcp-bridge/discovery';
import {
  defaultAllowedHosts,
  gatewayClientCapabilities,
  isLoopbackHost,
  serveHttp,
  serveStdio,
  type HttpGatewayOptions,
} from '@mcp-bridge/server';
import { printJson, type CommandContext, type LogFields } from '../context.js';
import { CliError, EXIT, type ExitCode } from '../exit-codes.js';
import { messageOf, progress } from '../io.js';
import { configProblems } from '../config-report.js';
import { discoverOptions, loadServers, type Loaded } from '../load.js';
import { formatListWarning, openBridge } from '../open-bridge.js';
import { runDemo } from '../demo.js';
import { buildPlugins } from '../plugins.js';
import { requestLog } from '../request-log.js';
import { describeTracing, startTelemetry, trackGateway, tracingLoaded, tracingPlan, type Telemetry } from '../telemetry.js';
import { logStartup } from '../serve-log.js';
import { withoutRecursive } from '../recursion.js';
import { watchServeStop, type ServeStop } from '../serve-stop.js';
import { CLI_VERSION } from '../version.js';
import { authOption, type OAuthFlags } from '../oauth-flags.js';
import type { GatewayFlagKey } from '../gateway-flags.js';
import type { GatewayConfig } from '@mcp-bridge/server';
import { gatewaySettings } from '../gateway-settings.js';
import { DEFAULT_HTTP_PORT } from './defaults.js';

export { DEFAULT_HTTP_PORT };

/** Options of `serve`. */
export interface ServeOptions {
  stdio?: boolean;
  http?: string;
  host: string;
  path: string;
  token?: string;
  allowedHost: string[];
  allowedOrigin: string[];
  /** Serve a non-loopback address without a token (refused otherwise). */
  insecureNoAuth?: boolean;
  /** On stop, how long HTTP calls in progress may finish (the gateway's `drainMs`). */
  drainMs?: number;
  /** `--oauth-issuer`, `--oauth-audience`, `--oauth-scope`: the gateway as an OAuth resource server. */
  oauth?: OAuthFlags | undefined;
  /** The limits and deadlines given as flags (`--request-timeout`, `--max-sessions` ...): over the config's `gateway` section. */
  gateway?: Partial<Record<GatewayFlagKey, number>>;
  plugins?: string[] | false;
  watch: boolean;
  /** Keep each server's lists between runs and serve them while it starts (`--no-catalog-snapshot`: off). */
  catalogSnapshot?: boolean;
  /** How long a list waits for servers still starting (core's `startGraceMs`). */
  startGraceMs?: number;
  quiet: boolean;
  timeout: number;
  /** Serve the bundled examples over HTTP and walk a client through them (see `runDemo`). */
  demo?: boolean;
}

/** `serve`'s options once the config is read: the gateway settings of the file and the flags, merged. */
type ServeRun = ServeOptions & { gatewayConfig: GatewayConfig };

/** Plugin events worth a log line when someone emits them (names declared by the plugin packages). */
const PLUGIN_EVENTS = [
  'retry:attempt',
  'retry:giveup',
  'breaker:open',
  'breaker:half-open',
  'breaker:close',
  'cache:hit',
  'cache:invalidate',
  'validation:rejected',
  'pool:restart',
  'pool:crash-loop',
  'pool:overload',
  'loadbalancer:panic',
  'health:eject',
];

/**
 * `mcp-bridge serve`: one MCP server in front of every configured server (or the bundled examples),
 * over stdio (`--stdio`, the default when stdin is not a terminal) or Streamable HTTP (`--http PORT`,
 * the default in a terminal, on port 7800). Logs go to stderr only. Closes cleanly on SIGINT,
 * SIGTERM and, over stdio, when stdin ends; every upstream process is ended before it exits.
 */
export async function serveCommand(ctx: CommandContext, options: ServeOptions): Promise<ExitCode> {
  if (options.stdio && options.http !== undefined) throw new CliError('--stdio and --http cannot be used together', EXIT.USAGE);
  const port = options.http === undefined ? undefined : parsePort(options.http);
  if (options.demo && options.stdio) throw new CliError('--demo serves over HTTP; it cannot be used with --stdio', EXIT.USAGE);
  const mode = options.stdio ? 'stdio' : port !== undefined || options.demo ? 'http' : ctx.io.stdin.isTTY ? 'http' : 'stdio';
  // Watched from the start: a stop (or, over stdio, the end of stdin) while upstreams start ends the run too.
  const stop = watchServeStop(ctx.signal, ctx.stoppedBy, mode === 'stdio' ? ctx.io.stdin : undefined, ctx.log);
  try {
    return await runServe(ctx, options, mode, port, stop);
  } finally {
    stop.dispose();
  }
}

/**
 * A gateway beyond loopback needs auth (`--token`, `--oauth-issuer` or the config's `gateway.auth`),
 * or an explicit `--insecure-no-auth`, which is then warned about on every start.
 */
function checkExposure(ctx: CommandContext, options: ServeOptions, mode: 'stdio' | 'http', authInConfig: boolean): void {
  const authenticated = options.token !== undefined || options.oauth !== undefined || authInConfig;
  if (mode !== 'http' || isLoopbackHost(options.host) || authenticated) return;
  if (!options.insecureNoAuth)
    throw new CliError(
      `--host ${options.host} serves beyond this machine: give --token (or set MCP_BRIDGE_TOKEN), --oauth-issuer or the config's gateway.auth so that only your clients get in, or --insecure-no-auth to serve anyone who can reach it`,
      EXIT.USAGE,
    );
  // Said on every start, -q or not: this is the one line an operator must not miss.
  ctx.log(
    ctx.err.yellow(
      `warning: --insecure-no-auth: anyone who can reach ${options.host} can use every configured server, with its credentials`,
    ),
    { level: 'warn' },
  );
}

async function runServe(
  ctx: CommandContext,
  options: ServeOptions,
  mode: 'stdio' | 'http',
  port: number | undefined,
  stop: ServeStop,
): Promise<ExitCode> {
  let closing = false;
  // Status lines stop once shutdown begins: upstreams going away then is expected, not news.
  const log = (text: string, fields?: LogFields): void => {
    if (!options.quiet && !closing) ctx.log(text, fields);
  };
  // What --quiet still reports: a server that does not start or connect is an error, not a status line.
  const alert = (text: string, fields?: LogFields): void => {
    if (!closing) ctx.log(text, { level: 'error', ...fields });
  };
  const c = ctx.err;

  const spin = mode === 'http' ? progress(ctx, 'reading configs') : { text: () => undefined, stop: () => undefined };
  const loaded = await loadConfig(ctx, options, log);
  // A bad `gateway` section fails here, before any server starts.
  const gateway = gatewaySettings(loaded, options.gateway);
  try {
    checkExposure(ctx, options, mode, gateway.auth !== undefined);
  } catch (error) {
    spin.stop();
    throw error;
  }

  const { plugins, telemetry } = await loadPlugins(ctx, options, loaded, log);

  let bridge: Bridge | undefined;
  let watcher: { close(): Promise<void> | void } | undefined;
  let server: { close(): Promise<void> } | undefined;
  let stopLog: (() => void) | undefined;
  const abort = (): void => void bridge?.close();
  try {
    spin.text(`starting ${Object.keys(loaded.servers).length} servers`);
    // Started by the gateway itself, in the background mode: stdio answers `initialize` at once, HTTP
    // binds its port first; servers join the catalog as they come up.
    ({ bridge } = await openBridge(loaded, {
      plugins,
      signal: stop.signal,
      onTransportError: transportErrorLog(log, c),
      // Upstreams may ask for sampling, elicitation and roots: the gateway routes them to the client whose call caused them.
      clientCapabilities: gatewayClientCapabilities(),
      // Each server's own time to start; no overall wait: the gateway serves while they start.
      connectTimeout: options.timeout,
      startMode: 'background',
      deferStart: true,
      ...(options.startGraceMs !== undefined ? { startGraceMs: options.startGraceMs } : {}),
      ...(options.catalogSnapshot !== false ? { catalogSnapshot: fileSnapshotStore() } : {}),
      onError: (error) => ctx.log(c.red(messageOf(error).split('\n')[0]), { level: 'error' }),
    }));
    stop.signal.addEventListener('abort', abort, { once: true });
    // Servers start in the background from here on (their progress is logged): the spinner would
    // only scramble the lines that follow, the URL on stdout among them.
    spin.stop();
    observe(ctx, bridge, log, alert);
    // Entries a server listed that had to be repaired or dropped (never the whole server).
    bridge.on('catalog:warning', (warning) => log(c.yellow(formatListWarning(warning)), { level: 'warn' }));

    const started = await startServer(ctx, bridge, { ...options, gatewayConfig: gateway }, mode, port, stop, abort, log);
    if (!started) return EXIT.OK;
    const { stdioClosed, url } = started;
    server = started.server;
    stopLog = logStartup(ctx, bridge, loaded, log, alert);
    if (options.demo && url !== undefined) {
      // The tour lists the catalog first: let the bundled servers come up.
      await allStarted(bridge, stop.signal);
      await runDemo(url, bridge, (text) => ctx.log(text), c, stop.signal);
    }
    if (stop.signal.aborted) return EXIT.OK;

    if (options.watch && !loaded.usingExamples) watcher = await watchServers(ctx, bridge, loaded, log);

    const why = await stopReason(stop, stdioClosed);
    log(`stopping (${why})`);
    closing = true;
    return EXIT.OK;
  } finally {
    closing = true;
    stopLog?.();
    spin.stop();
    await watcher?.close();
    await server?.close().catch((error: unknown) => ctx.log(`closing the server failed: ${messageOf(error)}`));
    await bridge?.close();
    // After the bridge: the spans of its last calls and of closing go out too.
    await telemetry?.shutdown();
  }
}

/** Resolves when no server is starting any more (or on abort). */
function allStarted(bridge: Bridge, signal: AbortSignal): Promise<void> {
  const starting = (): boolean => bridge.status().some((s) => s.state === 'starting');
  if (!starting() || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      off();
      signal.removeEventListener('abort', done);
      resolve();
    };
    const off = bridge.on('server:started', () => {
      if (!starting()) done();
    });
    signal.addEventListener('abort', done, { once: true });
  });
}

function serveMetrics(bridge: Bridge, req: IncomingMessage, res: ServerResponse): void {
  const handler = metricsHandler(bridge);
  if (handler) return handler(req, res);
  res
    .writeHead(404, { 'content-type': 'application/json' })
    .end(JSON.stringify({ error: 'not found: /metrics (the metrics plugin is not loaded)' }));
}

/**
 * Logs what upstream transports report (an answer over `maxMessageBytes`, a server that closed its
 * stdout ...). Stray stdout lines of a server that logs to stdout are logged once per server, not per line.
 */
function transportErrorLog(log: (t: string, fields?: LogFields) => void, c: CommandContext['err']): (server: string, error: Error) => void {
  const noisy = new Set<string>();
  return (server, error) => {
    if (/skipped a stdout line that is not JSON-RPC/.test(error.message)) {
      if (noisy.has(server)) return;
      noisy.add(server);
      log(c.yellow(`${error.message.split('\n')[0]} (further such lines of "${server}" are not logged)`), { level: 'warn', server });
      return;
    }
    log(c.yellow(error.message.split('\n')[0]), { level: 'warn', server });
  };
}

/** `bridge.metrics.handler` when the metrics plugin is loaded (read loosely: the plugin is optional). */
function metricsHandler(bridge: Bridge): ((req: IncomingMessage, res: ServerResponse) => void) | undefined {
  const handler = (bridge as unknown as { metrics?: { handler?: unknown } }).metrics?.handler;
  return typeof handler === 'function' ? (handler as (req: IncomingMessage, res: ServerResponse) => void) : undefined;
}

function parsePort(raw: string): number {
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new CliError(`--http needs a port number from 0 to 65535 (0 picks a free one), got "${raw}"`, EXIT.USAGE);
  }
  return port;
}

type Log = (text: string, fields?: LogFields) => void;

/** Binds the HTTP port (before any upstream starts: a port in use fails at once), then starts the bridge. */
async function startHttp(
  ctx: CommandContext,
  bridge: Bridge,
  options: ServeRun,
  port: number,
  serverInfo: { name: string; version: string },
  onError: (error: unknown) => void,
  log: Log,
): Promise<{ url: string; close(): Promise<void>; sessionCount(): number }> {
  const c = ctx.err;
  let s;
  try {
    s = await serveHttp(bridge, {
      port,
      host: options.host,
      path: options.path,
      serverInfo,
      onError,
      ...(options.token ? { token: options.token } : {}),
      // --allowed-host adds to the names a gateway on this address accepts anyway (loopback, the address itself).
      ...(options.allowedHost.length ? { allowedHosts: [...defaultAllowedHosts(options.host), ...options.allowedHost] } : {}),
      ...(options.allowedOrigin.length ? { allowedOrigins: options.allowedOrigin } : {}),
      // The config's `gateway` section with the flags over it; --drain-ms over both.
      ...options.gatewayConfig,
      // --oauth-* over the config's `gateway.auth`, field by field.
      ...(options.oauth ? { auth: authOption(options.oauth, options.gatewayConfig.auth) as HttpGatewayOptions['auth'] } : {}),
      ...(options.drainMs !== undefined ? { drainMs: options.drainMs } : {}),
      // The metrics plugin, when loaded, is scraped at /metrics (behind the same Host/Origin checks and token).
      // Looked up per request: the plugin exposes its handler when the bridge starts, after the port is bound.
      routes: { '/metrics': (req, res) => serveMetrics(bridge, req, res) },
    });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'EADDRINUSE')
      throw new CliError(
        `cannot listen on ${options.host}:${port}: the port is already in use (pick another with --http PORT, or 0 for a free one)`,
        EXIT.UNAVAILABLE,
      );
    if (code === 'EACCES')
      throw new CliError(
        `cannot listen on ${options.host}:${port}: permission denied (ports below 1024 need privileges)`,
        EXIT.UNAVAILABLE,
      );
    if (code === 'EADDRNOTAVAIL')
      throw new CliError(`cannot listen on ${options.host}:${port}: no such address on this machine (--host)`, EXIT.UNAVAILABLE);
    throw error;
  }
  // The URL is this command's result: the one line on stdout (a JSON object with --json).
  if (ctx.options.json) printJson(ctx, { url: s.url, port: s.port, transport: 'streamable-http' });
  else ctx.io.stdout.write(`${s.url}\n`);
  log(
    `serving over Streamable HTTP at ${c.bold(s.url)}${options.oauth ? ` (OAuth bearer tokens of ${options.oauth.issuer})` : options.token ? ' (bearer token required)' : ''}${metricsHandler(bridge) ? `; metrics at ${new URL('/metrics', s.url).href}` : ''}; Ctrl-C to stop`,
  );
  return s;
}

function observe(ctx: CommandContext, bridge: Bridge, log: Log, alert: Log): void {
  const c = ctx.err;
  bridge.on('upstream:health', ({ upstream, state, previous, reason }) =>
    log(`${upstream.id}: ${previous} → ${state}${reason ? ` (${reason})` : ''}`),
  );
  bridge.on('catalog:changed', ({ server, kinds }) => log(c.dim(`catalog changed: ${server} (${kinds.join(', ')})`)));
  bridge.on('connect:error', ({ upstream, error }) =>
    alert(c.yellow(`${upstream.id}: connect failed: ${messageOf(error).split('\n')[0]}`), { level: 'warn' }),
  );
  // Events that plugins declare: log them when those plugins are loaded, without a compile-time dependency.
  const on = bridge.on.bind(bridge) as (event: string, listener: (payload: Record<string, unknown>) => void) => () => void;
  for (const event of PLUGIN_EVENTS) on(event, (payload) => log(c.cyan(`${event} ${summarize(payload)}`)));
}

function summarize(payload: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(payload)) {
    if (key === 'ctx' && value && typeof value === 'object') {
      const call = value as { server?: string; method?: string; params?: { name?: unknown } };
      parts.push(`${call.server ?? ''}${call.method === 'tools/call' ? `/${String(call.params?.name)}` : ` ${call.method ?? ''}`}`);
    } else if (typeof value === 'string') parts.push(`${key}=${value.split('\n')[0]}`);
    else if (typeof value === 'number' || typeof value === 'boolean') parts.push(`${key}=${value}`);
    else if (value instanceof Error) parts.push(`${key}=${value.message.split('\n')[0]}`);
    else if (key === 'upstream' && value && typeof value === 'object') parts.push(`upstream=${String((value as { id?: unknown }).id)}`);
  }
  return parts.join(' ');
}

/** Loads the configured plugins (and the request log), and starts tracing when its plugin is loaded. */
async function loadPlugins(
  ctx: CommandContext,
  options: ServeOptions,
  loaded: Loaded,
  log: Log,
): Promise<{ plugins: Plugin[]; telemetry: Telemetry | undefined }> {
  const c = ctx.err;
  const plugins: Plugin[] = [];
  let telemetry: Telemetry | undefined;
  if (options.plugins !== false) {
    const built = await buildPlugins(loaded.settings.plugins, loaded.settings.file, {
      ...(options.plugins ? { only: options.plugins } : {}),
      ...(loaded.settings.pluginDefaults ? { defaultOptions: loaded.settings.pluginDefaults } : {}),
    });
    plugins.push(...built.plugins);
    const on = built.reports.filter((r) => r.status === 'loaded').map((r) => r.key);
    const off = built.reports.filter((r) => r.status !== 'loaded').map((r) => `${r.key} (${r.status})`);
    log(
      `plugins: ${on.join(', ') || 'none'}${off.length ? c.dim(`; skipped ${off.join(', ')}`) : ''}${loaded.settings.file && loaded.settings.plugins !== undefined ? c.dim(` from ${loaded.settings.file}`) : ''}`,
    );
    // The SDK must be registered before the bridge starts: the tracing plugin looks for it then.
    const plan = tracingLoaded(built.reports) ? tracingPlan(ctx.io.env) : undefined;
    if (plan?.enabled) telemetry = await startTelemetry(plan, { log: ctx.log, serviceVersion: CLI_VERSION });
    if (plan) log(`tracing: ${describeTracing(plan)}`);
  }
  if (!options.quiet) plugins.unshift(requestLog({ write: (line, record) => log(line, { ...record }), color: c }));
  return { plugins, telemetry };
}

/** What `startServer` opened: the server to close, and for stdio its end, for HTTP its URL. */
interface Served {
  server: { close(): Promise<void> };
  stdioClosed?: Promise<void>;
  url?: string;
}

/**
 * Serves the bridge over stdio or HTTP. Undefined when a stop came while the plugins were starting:
 * the bridge was closed; nothing to serve.
 */
async function startServer(
  ctx: CommandContext,
  bridge: Bridge,
  options: ServeRun,
  mode: 'stdio' | 'http',
  port: number | undefined,
  stop: ServeStop,
  abort: () => void,
  log: Log,
): Promise<Served | undefined> {
  const c = ctx.err;
  const serverInfo = { name: 'mcp-bridge', version: CLI_VERSION };
  const onError = (error: unknown): void => ctx.log(c.red(messageOf(error).split('\n')[0]), { level: 'error' });
  try {
    if (mode === 'stdio') {
      const { requestTimeout } = options.gatewayConfig;
      const s = await serveStdio(bridge, {
        stdin: stop.input ?? ctx.io.stdin,
        stdout: ctx.io.stdout,
        serverInfo,
        onError,
        ...(requestTimeout !== undefined ? { requestTimeout } : {}),
      });
      trackGateway(bridge, 'pipe', () => 1);
      log('serving over stdio');
      return { server: s, stdioClosed: s.closed };
    } else {
      const s = await startHttp(ctx, bridge, options, port ?? DEFAULT_HTTP_PORT, serverInfo, onError, log);
      trackGateway(bridge, 'tcp', () => s.sessionCount());
      return { server: s, url: s.url };
    }
  } catch (error) {
    // Stopped while the plugins were starting: the bridge was closed; nothing to serve.
    if (stop.signal.aborted) return undefined;
    throw error;
  } finally {
    // From here on a stop closes the server first, then the bridge (below).
    stop.signal.removeEventListener('abort', abort);
  }
}

/** Watches the config files; on a change only what changed is reconnected. */
function watchServers(ctx: CommandContext, b: Bridge, loaded: Loaded, log: Log): Promise<{ close(): Promise<void> | void }> {
  const c = ctx.err;
  return watchConfigs(
    discoverOptions(ctx.io, ctx.options),
    async (changed) => {
      const change = withoutRecursive(changed, ctx.io.env, ctx.io.cwd);
      const what = [...change.added.map((n) => `+${n}`), ...change.removed.map((n) => `-${n}`), ...change.changed.map((n) => `~${n}`)];
      if (what.length > 0) log(`config changed: ${what.join(' ')}`);
      for (const issue of change.result.issues)
        log(
          c.yellow(
            `${issue.file}${issue.line ? `:${issue.line}` : ''}: ${issue.server ? `server "${issue.server}": ` : ''}${issue.field ? `${issue.field}: ` : ''}${issue.message}`,
          ),
        );
      // Only what changed is reconnected; the other servers keep their sessions.
      await applyChange(b, change).catch((error: unknown) => log(c.red(`applying the config change failed: ${messageOf(error)}`)));
    },
    {
      ...(loaded.discovery ? { initial: loaded.discovery } : {}),
      onError: (error) => log(c.red(`config watch: ${messageOf(error)}`)),
      persistent: false,
    },
  );
}

/** Waits for a stop (a signal, or over stdio the end of stdin) and says which it was. */
function stopReason(stop: ServeStop, stdioClosed: Promise<void> | undefined): Promise<string> {
  const stopped = new Promise<string>((resolve) => {
    if (stop.signal.aborted) resolve(stop.reason() ?? 'signal');
    stop.signal.addEventListener('abort', () => resolve(stop.reason() ?? 'signal'), { once: true });
  });
  return Promise.race([stopped, ...(stdioClosed ? [stdioClosed.then(() => 'stdin closed')] : [])]);
}

/** Reads the configs (or picks the bundled examples) and reports what was wrong in them. */
async function loadConfig(ctx: CommandContext, options: ServeOptions, log: Log): Promise<Loaded> {
  const c = ctx.err;
  const loaded = await loadServers(ctx.io, options.demo ? { ...ctx.options, demo: true } : ctx.options);
  if (loaded.usingExamples) {
    const why = ctx.options.examples ? '--examples' : 'no MCP config found';
    log(`${why}: serving the bundled example servers (${Object.keys(loaded.servers).join(', ')})`);
  }
  // Even with --quiet: a desktop user only sees this log, and a server that vanished must say why.
  for (const problem of configProblems(loaded)) ctx.log(c.yellow(problem));
  return loaded;
}
