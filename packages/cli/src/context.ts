import type { createColors } from 'picocolors';
import { colorsFor, type CliIo } from './io.js';
import type { GlobalOptions } from './load.js';

/** What a command runs with: streams, parsed global options, colours per stream, and shutdown hooks. */
export interface CommandContext {
  io: CliIo;
  options: GlobalOptions;
  /** Colours for stdout. */
  out: ReturnType<typeof createColors>;
  /** Colours for stderr. */
  err: ReturnType<typeof createColors>;
  /** Aborted on SIGINT/SIGTERM: commands close what they opened and return. */
  signal: AbortSignal;
  /** Which signal aborted `signal`, if any. */
  stoppedBy(): NodeJS.Signals | undefined;
  /** Writes a log line to stderr (never stdout: it may carry the protocol or a result). */
  log(text: string): void;
}

/** Builds the context of one command run. */
export function commandContext(io: CliIo, options: GlobalOptions, signal: AbortSignal, stoppedBy: () => NodeJS.Signals | undefined): CommandContext {
  const err = colorsFor(io.stderr, io.env, options.color);
  return {
    io,
    options,
    out: colorsFor(io.stdout, io.env, options.color),
    err,
    signal,
    stoppedBy,
    log: (text) => void io.stderr.write(`${err.dim('[mcp-bridge]')} ${text}\n`),
  };
}

/** Writes one JSON document on stdout: the only thing a `--json` run prints there. */
export function printJson(ctx: CommandContext, value: unknown): void {
  ctx.io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
