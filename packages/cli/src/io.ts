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

/** Colors for one stream: on only for a TTY, off with NO_COLOR or `--no-color`, forced with FORCE_COLOR. */
export function colorsFor(stream: { isTTY?: boolean }, env: CliIo['env'], allowed: boolean): ReturnType<typeof createColors> {
  const forced = env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0';
  const enabled = allowed && !('NO_COLOR' in env && env.NO_COLOR !== '') && (forced || stream.isTTY === true);
  return createColors(enabled);
}

/** A progress line on stderr: a spinner on a TTY, nothing at all otherwise (logs and pipes stay clean). */
export interface Progress {
  text(text: string): void;
  stop(): void;
}

/** Starts a spinner on `io.stderr` when it is a TTY (and not in CI); otherwise returns a no-op. */
export function progress(io: CliIo, text: string): Progress {
  if (io.stderr.isTTY !== true || io.env.CI) return { text: () => undefined, stop: () => undefined };
  const spinner = yoctoSpinner({ text, stream: io.stderr as NodeJS.WriteStream }).start();
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
  // eslint-disable-next-line no-control-regex
  return s.replace(/\u001b\[[0-9;]*m/g, '').length;
}

/** An error's message (without the stack). */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The same streams, with every secret a `discover()` interpolated (`${TOKEN}` ...) hidden from what is
 * written: connect errors quote command lines and URLs, and a failed server's stderr may echo its env.
 * Everything else about the stream (isTTY, columns, cursor methods for the spinner) is the stream's own.
 */
export function scrubbedStream<S extends NodeJS.WritableStream>(stream: S, scrub: (text: string) => string): S {
  return new Proxy(stream, {
    get(target, prop, receiver) {
      if (prop === 'write') {
        return (chunk: unknown, ...rest: unknown[]) =>
          (target.write as (...a: unknown[]) => boolean).call(target, typeof chunk === 'string' ? scrub(chunk) : chunk, ...rest);
      }
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
