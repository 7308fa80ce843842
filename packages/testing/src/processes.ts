import { readdirSync, readFileSync } from 'node:fs';

/**
 * Tools for tests that must prove no process is leaked (Linux: they read /proc; elsewhere they
 * find nothing). A zombie counts as gone: it has exited, and a sandbox whose PID 1 never reaps
 * orphans can keep one in /proc forever.
 */

/** State and parent of a process from /proc (the command name may hold spaces and parens: split after the last one). */
function stat(pid: string): { state: string; ppid: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', ppid: Number(fields[1]) };
  } catch {
    return undefined; // it went away while we looked
  }
}

const alive = (s: { state: string } | undefined): boolean => s !== undefined && s.state !== 'Z' && s.state !== 'X';

function pids(): string[] {
  try {
    return readdirSync('/proc').filter((entry) => /^\d+$/.test(entry));
  } catch {
    return [];
  }
}

/**
 * Pids of live processes whose command line contains `marker`: give each server a test starts a
 * unique marker argument (`--marker=<test>-<pid>-<random>`), then check nothing carries it after close.
 */
export function processesWith(marker: string): number[] {
  return pids()
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker) && alive(stat(pid));
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** Live child processes of `parent` (default: this process). */
export function childProcessesOf(parent: number = process.pid): number[] {
  return pids()
    .filter((pid) => {
      const s = stat(pid);
      return s?.ppid === parent && alive(s);
    })
    .map(Number);
}

/** Polls `check` every 20 ms until it holds or `timeoutMs` passed; resolves with whether it held. */
export async function eventually(check: () => boolean, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return check();
}
