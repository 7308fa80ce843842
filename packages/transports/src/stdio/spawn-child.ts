import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import spawn from 'cross-spawn';
import { childEnvironment } from './child-env.js';
import { SUPPORTS_PROCESS_GROUPS } from './process-group.js';
import { SandboxUnavailableError, sandboxedCommand } from './sandbox.js';
import type { SandboxConfig } from '../types.js';

/** What identifies a stdio child: two entries with the same fields start the same process. */
export interface StdioCommand {
  command: string;
  args?: string[] | undefined;
  env?: Record<string, string> | undefined;
  cwd?: string | undefined;
  /** Run inside a bubblewrap sandbox (see sandbox.ts); bwrap is then the direct child and group leader. */
  sandbox?: SandboxConfig | undefined;
}

/**
 * Spawns a stdio server the one way mcp-bridge does (the transport and the early spawn of
 * prespawn.ts share it, so an adopted child is the child the transport would have started).
 * Throws synchronously when node refuses the options, and with `SandboxUnavailableError` when a
 * sandbox was asked for and cannot be had (never falls back to running the server unsandboxed).
 */
export function spawnStdioChild({ command, args = [], env, cwd, sandbox }: StdioCommand): ChildProcess {
  const childEnv = childEnvironment(env);
  const line = sandbox === undefined ? { command, args } : sandboxedCommand({ command, args, cwd, env: childEnv, sandbox });
  return spawn(line.command, line.args, {
    env: childEnv,
    ...(cwd === undefined ? {} : { cwd }),
    // stderr piped, never inherited: the host's own stderr may be a protocol channel, and an unread pipe would block the child.
    // A sandbox gets a 4th pipe: bwrap's --info-fd, which names the pid of the sandbox's init (see sandboxInitPid).
    stdio: sandbox === undefined ? ['pipe', 'pipe', 'pipe'] : ['pipe', 'pipe', 'pipe', 'pipe'],
    // Own process group (setsid), so shutdown can signal the child and everything it started.
    detached: SUPPORTS_PROCESS_GROUPS,
    shell: false,
    windowsHide: true,
  });
}

/** A stable key for {@link StdioCommand}: env keys sorted, absent fields and empty ones alike. */
export function commandKey({ command, args = [], env = {}, cwd, sandbox }: StdioCommand): string {
  const sorted = (record: Record<string, unknown>): unknown[] =>
    Object.keys(record)
      .sort()
      .map((k) => [k, record[k]]);
  // The sandbox is part of the identity: an unsandboxed early child must never be adopted for a sandboxed entry.
  const box = sandbox === undefined ? null : sorted({ ...sandbox, env: sandbox.env === undefined ? null : sorted(sandbox.env) });
  return JSON.stringify([command, args, sorted(env), cwd ?? null, box]);
}

/** The error of a child that could not be started, saying why in words (`command not found`, `sandbox unavailable` ...). */
export function spawnError(label: string, { command, cwd }: StdioCommand, error: unknown): Error {
  if (error instanceof SandboxUnavailableError) {
    const hint = 'never run unsandboxed; remove "sandbox" from its config to run it without one';
    return new Error(`${label}: not started: sandbox unavailable: ${error.message} (${hint})`, { cause: error });
  }
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' && cwd !== undefined && !existsSync(cwd)) {
    return new Error(`${label}: working directory not found: ${cwd}`, { cause: error });
  }
  if (code === 'ENOENT') {
    return new Error(`${label}: command not found: '${command}' (spawn ENOENT; is it installed and on PATH?)`, { cause: error });
  }
  if (code === 'EACCES') {
    return new Error(`${label}: command '${command}' is not executable (spawn EACCES)`, { cause: error });
  }
  return new Error(`${label}: failed to start '${command}': ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}
