/**
 * Exit codes of the `mcp-bridge` command. Scripts can rely on them; they never change meaning
 * within a major version.
 */
export const EXIT = {
  /** Success. */
  OK: 0,
  /** The work ran and failed: a tool returned `isError`, or (`list`, `doctor`) a server did not start. */
  FAILURE: 1,
  /** Usage or configuration error: unknown option, bad `--args` JSON, unknown tool, invalid config file or plugin options. */
  USAGE: 2,
  /** The call could not be made: the server is down, timed out, or answered with a protocol error. */
  UNAVAILABLE: 3,
  /** Interrupted by SIGINT (128 + 2, the shell convention). */
  INTERRUPTED: 130,
} as const;

/** One of the {@link EXIT} codes. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the CLI reports in one line (no stack) and exits with its code. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: ExitCode = EXIT.USAGE,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}
