import { EventEmitter } from 'node:events';
import { createColors } from 'picocolors';
import yoctoSpinner from 'yocto-spinner';

/** Where the CLI reads and writes; `run()` takes one so tests and embedders can capture output. */
export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: Record<string, string | undefined>;
  cwd: string;
}

/** The process's own streams, environment and working directory. */
export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, cwd: process.cwd() };
}

/** Colors for one stream: on only for a TTY that is not `TERM=dumb`, off with NO_COLOR or `--no-color`, forced with FORCE_COLOR. */
export function colorsFor(stream: { isTTY?: boolean }, env: CliIo['env'], allowed: boolean): ReturnType<typeof createColors> {
  const forced = env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0';
  const enabled = allowed && !('NO_COLOR' in env && env.NO_COLOR !== '') && (forced || (stream.isTTY === true && env.TERM !== 'dumb'));
  return createColors(enabled);
}

/** A progress line on stderr: a spinner on a TTY, nothing at all otherwise (logs and pipes stay clean). */
export interface Progress {
  text(text: string): void;
  stop(): void;
}

const NO_PROGRESS: Progress = { text: () => undefined, stop: () => undefined };

/**
 * Whether a spinner may be drawn on `io.stderr`: a terminal that takes escape codes (not `TERM=dumb`),
 * not CI, colours not turned off (`NO_COLOR`, `--no-color`: a spinner is nothing but escape codes).
 * yocto-spinner reads `process.env` itself and, where it would not animate, prints a line per update:
 * so both environments must agree.
 */
export function spinnerAllowed(io: CliIo, colors = true): boolean {
  const off = (env: CliIo['env']): boolean => 'CI' in env || env.TERM === 'dumb' || (env.NO_COLOR !== undefined && env.NO_COLOR !== '');
  return colors && io.stderr.isTTY === true && !off(io.env) && !off(process.env);
}

/**
 * Starts a spinner on `ctx.io.stderr` when `ctx.spinner` allows one (see {@link spinnerAllowed});
 * otherwise returns a no-op. Commands stop it before they write to stdout: the spinner only
 * clears its line for what is written through `io.stderr`.
 */
export function progress(ctx: { io: CliIo; spinner: boolean }, text: string): Progress {
  if (!ctx.spinner) return NO_PROGRESS;
  // handleSignals off: the spinner's own SIGINT handler calls process.exit, which would skip closing
  // the bridge and leave its server processes behind; run() handles the signals.
  const spinner = yoctoSpinner({ text, stream: ctx.io.stderr as NodeJS.WriteStream, handleSignals: false }).start();
  return {
    text: (t) => {
      spinner.text = t;
    },
    stop: () => {
      spinner.stop();
    },
  };
}

/** Writes one line. */
export function line(stream: NodeJS.WritableStream, text = ''): void {
  stream.write(`${text}\n`);
}

/** Formats rows as aligned columns (first row is the header when `header` is true). */
export function columns(rows: readonly (readonly string[])[], visibleLength: (s: string) => number = (s) => s.length): string[] {
  if (rows.length === 0) return [];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => visibleLength(r[c] ?? ''))));
  return rows.map((r) =>
    r
      .map((cell, c) => (c === r.length - 1 ? cell : cell + ' '.repeat(Math.max(0, widths[c]! - visibleLength(cell)))))
      .join('  ')
      .trimEnd(),
  );
}

/** Length of a string without ANSI color codes. */
export function visible(s: string): number {
  // eslint-disable-next-line no-control-regex -- strips the colour codes (ESC [ ... m) we wrote
  return s.replace(/\u001b\[[0-9;]*m/g, '').length;
}

/** An error's message (without the stack). */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A stream the CLI writes to: a writable stream, and for the spinner a terminal's size and cursor methods when it is one. */
type OutputStream = NodeJS.WritableStream &
  Partial<Pick<NodeJS.WriteStream, 'isTTY' | 'columns' | 'rows' | 'cursorTo' | 'moveCursor' | 'clearLine'>>;

/**
 * A stream that hides every secret a `discover()` interpolated (`${TOKEN}` ...) in the text written
 * through it (connect errors quote command lines and URLs, and a failed server's stderr may echo its
 * env), and hands everything else to the real stream: isTTY, size and cursor methods for the spinner.
 *
 * A plain object, not a Proxy: yocto-spinner hooks the stream it draws on by assigning its `write`.
 * Through a Proxy that assignment replaced the real stream's `write`, which the Proxy's `write` then
 * called: the two called each other until the stack overflowed in every terminal. Here a hook
 * replaces this object's own `write` only, and ours always ends at the real stream's.
 */
export class ScrubbedStream extends EventEmitter implements NodeJS.WritableStream {
  /**
   * @param target the real stream
   * @param scrub hides secrets in one chunk of text
   */
  constructor(
    readonly target: OutputStream,
    private readonly scrub: (text: string) => string,
  ) {
    super();
  }

  get writable(): boolean {
    return this.target.writable;
  }
  get isTTY(): boolean | undefined {
    return this.target.isTTY;
  }
  get columns(): number | undefined {
    return this.target.columns;
  }
  get rows(): number | undefined {
    return this.target.rows;
  }

  /** Writes `chunk` to the real stream, secrets hidden (strings only: Buffers pass as they are). */
  write(
    chunk: string | Uint8Array,
    encoding?: BufferEncoding | ((error?: Error | null) => void),
    callback?: (error?: Error | null) => void,
  ): boolean {
    const text = typeof chunk === 'string' ? this.scrub(chunk) : chunk;
    return (this.target.write as (c: string | Uint8Array, e?: unknown, cb?: unknown) => boolean)(text, encoding, callback);
  }

  end(...args: unknown[]): this {
    (this.target.end as (...a: unknown[]) => void)(...args);
    return this;
  }

  cursorTo(x: number, y?: number | (() => void), callback?: () => void): boolean {
    return this.target.cursorTo?.(x, y as number, callback) ?? true;
  }
  moveCursor(dx: number, dy: number, callback?: () => void): boolean {
    return this.target.moveCursor?.(dx, dy, callback) ?? true;
  }
  clearLine(dir: -1 | 0 | 1, callback?: () => void): boolean {
    return this.target.clearLine?.(dir, callback) ?? true;
  }
}

/**
 * Makes a reader that went away (`mcp-bridge list | head -1`) end the output quietly instead of
 * crashing on an unhandled EPIPE `error` event: what is still written is dropped, the command
 * finishes (closing its servers) and exits with its own code. Other stream errors are thrown as before.
 */
export function ignoreBrokenPipe(stream: NodeJS.EventEmitter): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
}
