import { Command, CommanderError, Option } from 'commander';
import type { SourceKind } from '@mcp-bridge/discovery';
import { DEFAULT_HTTP_PORT } from './commands/defaults.js';
import type { ServeOptions } from './commands/serve.js';
import { commandContext, jsonLogLine, LOG_FORMATS, type CommandContext, type LogFormat } from './context.js';
import { loadSecretScrubber, scrubSecrets, SOURCE_KINDS } from './discovery-lazy.js';
import { CliError, EXIT, type ExitCode } from './exit-codes.js';
import { colorsFor, messageOf, processIo, ScrubbedStream, type CliIo } from './io.js';
import type { GlobalOptions } from './load.js';
import { gatewayFlagOptions, gatewayFlagValues } from './gateway-flags.js';
import { oauthOption, withOAuthFlags } from './oauth-flags.js';
import { KNOWN_PLUGINS } from './plugins.js';
import { CLI_VERSION } from './version.js';

/** Options of {@link run}. */
export interface RunOptions {
  /** Streams, environment and cwd (default: the process's). */
  io?: CliIo;
  /** Stop signal for long commands (`serve`); default: SIGINT and SIGTERM of the process. */
  signal?: AbortSignal;
}

const EXIT_CODES_HELP = `
Exit codes:
  0    ok
  1    failure: a tool returned isError, or a server did not start (list, doctor)
  2    usage or config error: bad option, bad --args JSON, unknown server or tool, invalid config or plugin options
  3    the call could not be made: server down, timeout, protocol error
  130  interrupted (SIGINT) before the command finished`;

const collect = (value: string, previous: string[]): string[] => [...previous, value];
const csv = (value: string): string[] =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
const camel = (kind: string): string => kind.replace(/-([a-z])/g, (_, ch: string) => ch.toUpperCase());

/**
 * Runs the `mcp-bridge` command line and resolves with its exit code (it never calls
 * `process.exit`). Output goes to `io.stdout` (results only) and `io.stderr` (logs, progress, errors).
 *
 * @example
 * import { run } from 'mcp-bridge';
 * process.exitCode = await run(['list', '--json']);
 */
export async function run(argv: readonly string[], options: RunOptions = {}): Promise<ExitCode> {
  const given = options.io ?? processIo();
  // Secrets interpolated into configs never reach the terminal or a log (stdout of `serve --stdio` is
  // the protocol and of `call` a tool's result: those are left as they are).
  const serving = argv.includes('serve') || argv.includes('call');
  const io: CliIo = {
    ...given,
    stderr: new ScrubbedStream(given.stderr, scrubSecrets),
    stdout: serving ? given.stdout : new ScrubbedStream(given.stdout, scrubSecrets),
  };
  let exitCode: ExitCode = EXIT.OK;
  const signals = stopSignals(options);
  const program = createProgram(io);
  const context = contextFor(io, signals.controller.signal, signals.stoppedBy);

  serveFlags(program.command('serve')).action(async (opts: Record<string, unknown>, cmd: Command) => {
    const ctx = context(cmd);
    // `--examples`: the example servers boot while the gateway's code loads (see early-spawn.ts).
    const early = ctx.options.examples === true && opts.demo !== true ? await import('./early-spawn.js') : undefined;
    early?.spawnExamplesEarly(opts.catalogSnapshot !== false);
    try {
      // Each command loads its code when it runs: `--version` and `--help` load almost nothing.
      const { serveCommand } = await import('./commands/serve.js');
      exitCode = await serveCommand(ctx, serveOptions(opts, io.env));
    } finally {
      early?.endUnclaimed();
    }
  });

  program
    .command('list')
    .description('list every server (source file, state) and the merged tools')
    .addOption(timeoutOption(15_000))
    .action(async (opts: Record<string, unknown>, cmd: Command) => {
      const { listCommand } = await import('./commands/list.js');
      exitCode = await listCommand(context(cmd), { timeout: opts.timeout as number });
    });

  pluginOptions(
    program
      .command('call')
      .description('call one tool: SERVER/TOOL (upstream name) or the exposed name from `list`')
      .argument('<tool>', 'SERVER/TOOL, or an exposed tool name')
      .option('-a, --args <json>', 'tool arguments as a JSON object', '{}')
      .addOption(timeoutOption(60_000)),
  ).action(async (tool: string, opts: Record<string, unknown>, cmd: Command) => {
    const { callCommand } = await import('./commands/call.js');
    exitCode = await callCommand(context(cmd), tool, { args: String(opts.args), timeout: opts.timeout as number, ...pluginChoice(opts) });
  });

  const pins = program
    .command('pins')
    .description('drift detection: the pinned tool definitions, what changed since (diff), and accepting a change (approve)')
    .addHelpText(
      'after',
      '\nReads the store named by the config\'s "plugins.pinning" options (default: the pin file in your state directory).',
    );
  for (const [action, help] of [
    ['list', 'every pinned server and every definition that changed since it was pinned'],
    ['diff', 'a unified diff of each changed definition (pinned against now); of one server or tool'],
    ['approve', 'accept the current definitions as the pins: of every drift, of one server, or of one tool'],
  ] as const) {
    pins
      .command(action)
      .description(help)
      .argument(action === 'list' ? '[server]' : '[server/tool]', 'one server, or one tool by SERVER/TOOL (upstream name)')
      .addOption(timeoutOption(15_000))
      .action(async (target: string | undefined, opts: Record<string, unknown>, cmd: Command) => {
        const { pinsCommand } = await import('./commands/pins.js');
        exitCode = await pinsCommand(context(cmd), action, target, { timeout: opts.timeout as number });
      });
  }

  program
    .command('doctor')
    .description('check configs, plugins and servers: what was found, what starts, how fast, what failed and why')
    .addOption(timeoutOption(15_000))
    .option('--stderr-lines <n>', "lines of a failed server's stderr to show", (v) => positiveInt(v, '--stderr-lines'), 20)
    .action(async (opts: Record<string, unknown>, cmd: Command) => {
      const { doctorCommand } = await import('./commands/doctor.js');
      exitCode = await doctorCommand(context(cmd), { timeout: opts.timeout as number, stderrLines: opts.stderrLines as number });
    });

  return parseAndReport(program, argv, io, signals, () => exitCode);
}

/** Runs the command `argv` names; an error becomes its exit code and one line on stderr. */
async function parseAndReport(
  program: Command,
  argv: readonly string[],
  io: CliIo,
  signals: StopSignals,
  exitCode: () => ExitCode,
): Promise<ExitCode> {
  const stop = signals.controller;
  try {
    await program.parseAsync([...argv], { from: 'user' });
    if (stop.signal.aborted && exitCode() === EXIT.OK && signals.stoppedBy() === 'SIGINT' && program.args[0] !== 'serve')
      return EXIT.INTERRUPTED;
    return exitCode();
  } catch (error) {
    // Ctrl-C during list/call/doctor: the bridge was closed under the command; that is not its error.
    if (stop.signal.aborted && signals.stoppedBy() === 'SIGINT') {
      io.stderr.write('interrupted\n');
      return EXIT.INTERRUPTED;
    }
    return report(io, error, program.opts().json === true, program.opts().logFormat === 'json');
  } finally {
    signals.dispose();
  }
}

/** How a run is stopped, and by which signal. */
interface StopSignals {
  readonly controller: AbortController;
  readonly stoppedBy: () => NodeJS.Signals | undefined;
  readonly dispose: () => void;
}

/** The stop signal of long commands: the caller's `signal`, or SIGINT/SIGTERM of the process (removed by `dispose`). */
function stopSignals(options: RunOptions): StopSignals {
  const stop = new AbortController();
  let stoppedBy: NodeJS.Signals | undefined;
  const onSignal = (sig: NodeJS.Signals): void => {
    // A second Ctrl-C while closing means "now": leave without waiting for the cleanups.
    if (stop.signal.aborted) process.exit(EXIT.INTERRUPTED);
    stoppedBy = sig;
    stop.abort(new Error(`received ${sig}`));
  };
  if (options.signal) options.signal.addEventListener('abort', () => stop.abort(options.signal!.reason), { once: true });
  else {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  return {
    controller: stop,
    stoppedBy: () => stoppedBy,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/** The program with its global options, help and output wired to `io` (commands are added by {@link run}). */
function createProgram(io: CliIo): Command {
  const program = new Command('mcp-bridge');
  program
    .description(
      'One MCP server in front of all your MCP servers.\nReads the configs you already have (.mcp.json, Claude Code, Claude Desktop, Cursor, VS Code).',
    )
    .version(CLI_VERSION, '-v, --version', 'print the version')
    .helpOption('-h, --help', 'show help for a command')
    .option('--json', 'machine-readable output on stdout (stable shapes, see the README)', false)
    .option('--no-color', 'no colours (also: NO_COLOR=1; colours are off when the stream is not a terminal)')
    .option(
      '-c, --config <file>',
      'read servers from this file only (mcpServers / servers JSON); also its "plugins", "naming", "requestLimits" and "gateway" keys',
    )
    .option('--root <dir>', 'stop the upward search for project config files at this directory')
    .option('--tag <tag>', 'only servers with this tag (repeatable)', collect, [] as string[])
    .addOption(
      new Option('--log-format <format>', 'log lines on stderr: pretty (for people) or json (one object per line, request log included)')
        .choices(LOG_FORMATS)
        .default('pretty'),
    )
    .addOption(new Option('--examples', 'serve the bundled example servers, ignoring every config'))
    .addOption(new Option('--no-examples', 'never fall back to the bundled example servers'));
  for (const kind of SOURCE_KINDS) {
    if (kind === 'explicit') continue;
    program.addOption(new Option(`--no-${kind}`, `do not read ${kind} config files`));
  }
  program
    // `serve --help` shows -c/--config, --json ... too: a person reading one command's help sees all it accepts.
    .configureHelp({ showGlobalOptions: true })
    // Before any command: from then on, secrets discover() reads are hidden from what is written.
    .hook('preAction', loadSecretScrubber)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => void io.stdout.write(s),
      writeErr: (s) => void io.stderr.write(s),
      outputError: (s, write) => write(colorsFor(io.stderr, io.env, true).red(s)),
    })
    .addHelpText(
      'after',
      `${EXIT_CODES_HELP}\n\nExamples:\n  $ mcp-bridge serve                       # bundled examples when nothing is configured\n  $ mcp-bridge serve --http 8080 --config ./.mcp.json\n  $ mcp-bridge list --json\n  $ mcp-bridge call notes/search_notes --args '{"query":"milk"}'\n  $ mcp-bridge pins diff github/create_issue\n  $ mcp-bridge doctor`,
    );
  return program;
}

/** Builds a command's context from the global options it was given. */
function contextFor(io: CliIo, signal: AbortSignal, stoppedBy: () => NodeJS.Signals | undefined): (cmd: Command) => CommandContext {
  return (cmd: Command): CommandContext => {
    const g = cmd.optsWithGlobals();
    const sources: Partial<Record<SourceKind, boolean>> = {};
    for (const kind of SOURCE_KINDS) if (kind !== 'explicit' && g[camel(kind)] === false) sources[kind] = false;
    const globals: GlobalOptions = {
      json: g.json === true,
      color: g.color !== false,
      tag: (g.tag as string[] | undefined) ?? [],
      sources,
      ...(g.config ? { config: String(g.config) } : {}),
      ...(g.root ? { root: String(g.root) } : {}),
      ...(typeof g.examples === 'boolean' ? { examples: g.examples } : {}),
    };
    return commandContext(io, globals, signal, stoppedBy, g.logFormat as LogFormat);
  };
}

/** `serve`'s description and flags: listening, auth, the gateway's limits and deadlines, plugins. */
function serveFlags(cmd: Command): Command {
  return pluginOptions(
    withGatewayFlags(
      withOAuthFlags(cmd)
        .description(
          `serve every configured server as one MCP server (stdio, or Streamable HTTP)\nwithout --stdio/--http: stdio when stdin is not a terminal, else HTTP on port ${DEFAULT_HTTP_PORT}`,
        )
        .option('--stdio', 'speak MCP on stdin/stdout (for desktop clients); logs go to stderr')
        .option('--http <port>', 'serve Streamable HTTP on this port (0 picks a free one)')
        .option('--host <host>', 'interface to listen on', '127.0.0.1')
        .option('--path <path>', 'HTTP path of the MCP endpoint', '/mcp')
        .option('--token <token>', 'require "Authorization: Bearer <token>" from clients (default: $MCP_BRIDGE_TOKEN)')
        .option('--allowed-host <host>', 'extra Host header value to accept (repeatable)', collect, [] as string[])
        .option('--allowed-origin <origin>', 'Origin to accept from browsers (repeatable)', collect, [] as string[])
        .option('--insecure-no-auth', 'allow a non-loopback --host without --token/--oauth-issuer (anyone who can reach it gets in)')
        .addOption(
          new Option(
            '--drain-ms <ms>',
            'on stop, how long calls in progress may finish (HTTP); then they are told they may have run',
          ).argParser((v) => nonNegativeInt(v, '--drain-ms')),
        )
        .option('--no-watch', 'do not reload when a config file changes')
        .addOption(
          new Option(
            '--start-grace-ms <ms>',
            'how long a list waits for servers still starting before answering without them (default 5000)',
          ).argParser((v) => nonNegativeInt(v, '--start-grace-ms')),
        )
        .option(
          '--no-catalog-snapshot',
          "do not keep servers' lists between runs (see docs/cold-start.md); the cache folder is $MCP_BRIDGE_CACHE_DIR or ~/.cache/mcp-bridge",
        )
        .option('-q, --quiet', 'no request log or status lines on stderr (errors only)', false)
        .option(
          '--demo',
          'serve the bundled examples over HTTP and walk a client through them, showing the plugins at work; then keep serving',
        )
        .addOption(timeoutOption(30_000)),
    ),
  );
}

/** The flags that set the HTTP gateway's limits and deadlines (see gateway-flags.ts). */
const withGatewayFlags = (cmd: Command): Command => {
  for (const option of gatewayFlagOptions()) cmd.addOption(option);
  return cmd;
};
/** `--timeout <ms>` with a command's default. */
const timeoutOption = (fallback: number): Option =>
  new Option('--timeout <ms>', 'time limit per server start and per call, in ms')
    .default(fallback)
    .argParser((v) => positiveInt(v, '--timeout'));
/** `--plugins <list>` and `--no-plugins`. */
const pluginOptions = (cmd: Command): Command =>
  cmd
    .addOption(
      new Option('--plugins <list>', `only these plugins, comma-separated (known: ${Object.keys(KNOWN_PLUGINS).join(', ')})`).argParser(
        csv,
      ),
    )
    .addOption(new Option('--no-plugins', 'no plugins at all'));

/** `serve`'s parsed options as {@link ServeOptions} (the token falls back to $MCP_BRIDGE_TOKEN). */
function serveOptions(opts: Record<string, unknown>, env: CliIo['env']): ServeOptions {
  return {
    ...(opts.stdio ? { stdio: true } : {}),
    ...(opts.http !== undefined ? { http: opts.http as string } : {}),
    host: String(opts.host),
    path: String(opts.path),
    ...(opts.token || env.MCP_BRIDGE_TOKEN ? { token: String((opts.token as string | undefined) ?? env.MCP_BRIDGE_TOKEN) } : {}),
    allowedHost: opts.allowedHost as string[],
    allowedOrigin: opts.allowedOrigin as string[],
    ...(opts.insecureNoAuth ? { insecureNoAuth: true } : {}),
    ...(opts.drainMs !== undefined ? { drainMs: opts.drainMs as number } : {}),
    ...oauthOption(opts),
    gateway: gatewayFlagValues(opts),
    ...pluginChoice(opts),
    watch: opts.watch !== false,
    ...(opts.catalogSnapshot === false ? { catalogSnapshot: false } : {}),
    ...(opts.startGraceMs !== undefined ? { startGraceMs: opts.startGraceMs as number } : {}),
    quiet: opts.quiet === true,
    timeout: opts.timeout as number,
    ...(opts.demo ? { demo: true } : {}),
  };
}

function pluginChoice(opts: Record<string, unknown>): { plugins?: string[] | false } {
  if (opts.plugins === false) return { plugins: false };
  if (Array.isArray(opts.plugins)) return { plugins: opts.plugins as string[] };
  return {};
}

function nonNegativeInt(value: string, flag: string): number {
  if (!/^\d+$/.test(value)) throw new CliError(`${flag} needs a whole number of ms (0 or more), got "${value}"`, EXIT.USAGE);
  return Number(value);
}

function positiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n <= 0) throw new CliError(`${flag} needs a positive integer, got "${value}"`, EXIT.USAGE);
  return n;
}

/** Turns a thrown error into its exit code, with one clear line on stderr (a JSON object with --json). */
function report(io: CliIo, error: unknown, json: boolean, jsonLogs: boolean): ExitCode {
  if (error instanceof CommanderError) {
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return EXIT.OK;
    // commander printed the message already.
    return EXIT.USAGE;
  }
  const code: ExitCode = error instanceof CliError ? error.exitCode : isConfigError(error) ? EXIT.USAGE : EXIT.FAILURE;
  const message = messageOf(error);
  if (json)
    io.stderr.write(
      `${JSON.stringify({ error: { message, exitCode: code, ...(error instanceof CliError && error.details ? error.details : {}) } })}\n`,
    );
  else if (jsonLogs) io.stderr.write(`${jsonLogLine(message, { level: 'error', exitCode: code })}\n`);
  else io.stderr.write(`${colorsFor(io.stderr, io.env, true).red('error:')} ${message}\n`);
  if (!(error instanceof CliError) && !isConfigError(error) && io.env.MCP_BRIDGE_DEBUG)
    io.stderr.write(`${(error as Error).stack ?? ''}\n`);
  return code;
}

/** Core's ConfigError and PluginError (bad naming options, plugin options rejected at start) are the user's config. */
function isConfigError(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && (code === 'CONFIG_INVALID' || code.startsWith('PLUGIN_'));
}
