import { stripVTControlCharacters } from 'node:util';
import type { createColors } from 'picocolors';
import { colorsFor, spinnerAllowed, type CliIo } from './io.js';
import type { GlobalOptions } from './load.js';

/** How log lines are written on stderr: `pretty` for people, `json` one object per line for log collectors. */
export type LogFormat = 'pretty' | 'json';
/** The values `--log-format` takes. */
export const LOG_FORMATS: readonly LogFormat[] = ['pretty', 'json'];

/** Structured fields of one log line: kept as fields with `--log-format json`, dropped (the text says it) when pretty. */
export interface LogFields {
  level?: 'info' | 'warn' | 'error';
  [field: string]: unknown;
}

/** What a command runs with: streams, parsed global options, colours per stream, and shutdown hooks. */
export interface CommandContext {
  io: CliIo;
  options: GlobalOptions;
  /** Format of the log lines on stderr (`--log-format`). */
  logFormat: LogFormat;
  /** Whether a spinner may be drawn on stderr (a terminal, not CI, colours on, pretty logs). */
  spinner: boolean;
  /** Colours for stdout. */
  out: ReturnType<typeof createColors>;
  /** Colours for stderr (none with `--log-format json`: escape codes would end up inside the JSON). */
  err: ReturnType<typeof createColors>;
  /** Aborted on SIGINT/SIGTERM: commands close what they opened and return. */
  signal: AbortSignal;
  /** Which signal aborted `signal`, if any. */
  stoppedBy: () => NodeJS.Signals | undefined;
  /** Writes a log line to stderr (never stdout: it may carry the protocol or a result). */
  log: (text: string, fields?: LogFields) => void;
}

/** Builds the context of one command run. */
export function commandContext(
  io: CliIo,
  options: GlobalOptions,
  signal: AbortSignal,
  stoppedBy: () => NodeJS.Signals | undefined,
  logFormat: LogFormat = 'pretty',
): CommandContext {
  const json = logFormat === 'json';
  const err = colorsFor(io.stderr, io.env, options.color && !json);
  return {
    io,
    options,
    logFormat,
    // A spinner between JSON lines would be noise for whoever reads them.
    spinner: !json && spinnerAllowed(io, options.color),
    out: colorsFor(io.stdout, io.env, options.color),
    err,
    signal,
    stoppedBy,
    log: json
      ? (text, fields) => void io.stderr.write(`${jsonLogLine(text, fields)}\n`)
      : (text) => void io.stderr.write(`${err.dim('[mcp-bridge]')} ${text}\n`),
  };
}

/** One log line as a JSON object: `time`, `level`, `msg` (without colour codes), then the fields. */
export function jsonLogLine(text: string, fields: LogFields = {}): string {
  const { level = 'info', ...rest } = fields;
  return JSON.stringify({ time: new Date().toISOString(), level, msg: stripVTControlCharacters(text), ...rest });
}

/** Writes one JSON document on stdout: the only thing a `--json` run prints there. */
export function printJson(ctx: CommandContext, value: unknown): void {
  ctx.io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
