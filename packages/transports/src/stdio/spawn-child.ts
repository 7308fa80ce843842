import type { ChildProcess } from 'node:child_process';
import spawn from 'cross-spawn';
import { childEnvironment } from './child-env.js';
import { SUPPORTS_PROCESS_GROUPS } from './process-group.js';

/** What identifies a stdio child: two entries with the same fields start the same process. */
export interface StdioCommand {
  command: string;
  args?: string[] | undefined;
  env?: Record<string, string> | undefined;
  cwd?: string | undefined;
}

/**
 * Spawns a stdio server the one way mcp-bridge does (the transport and the early spawn of
 * prespawn.ts share it, so an adopted child is the child the transport would have started).
 * Throws synchronously when node refuses the options.
 */
export function spawnStdioChild({ command, args = [], env, cwd }: StdioCommand): ChildProcess {
  return spawn(command, args, {
    env: childEnvironment(env),
    ...(cwd === undefined ? {} : { cwd }),
    // stderr piped, never inherited: the host's own stderr may be a protocol channel, and an unread pipe would block the child.
    stdio: ['pipe', 'pipe', 'pipe'],
    // Own process group (setsid), so shutdown can signal the child and everything it started.
    detached: SUPPORTS_PROCESS_GROUPS,
    shell: false,
    windowsHide: true,
  });
}

/** A stable key for {@link StdioCommand}: env keys sorted, absent fields and empty ones alike. */
export function commandKey({ command, args = [], env = {}, cwd }: StdioCommand): string {
  const sortedEnv = Object.keys(env)
    .sort()
    .map((k) => [k, env[k]]);
  return JSON.stringify([command, args, sortedEnv, cwd ?? null]);
}
