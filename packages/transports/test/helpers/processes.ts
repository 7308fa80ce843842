import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

function stat(pid: number | string): { state: string; ppid: number; pgrp: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', ppid: Number(fields[1]), pgrp: Number(fields[2]) };
  } catch {
    return undefined;
  }
}

/**
 * Whether `pid` is a running process. A zombie counts as dead: this sandbox's PID 1 never reaps
 * orphans, so a killed grandchild can stay in /proc as a zombie forever.
 */
export function isRunning(pid: number): boolean {
  const s = stat(pid);
  return s !== undefined && s.state !== 'Z' && s.state !== 'X';
}

/** Running (non-zombie) members of process group `pgid`. */
export function runningGroupMembers(pgid: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      const s = stat(entry);
      return s !== undefined && s.pgrp === pgid && s.state !== 'Z' && s.state !== 'X';
    })
    .map(Number);
}

/** The kernel's own answer: does any process (zombies included) still carry group id `pgid`? */
export function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** Process group of `pid`, from /proc. */
export function processGroupOf(pid: number): number | undefined {
  return stat(pid)?.pgrp;
}

/** Polls `predicate` until true or `ms` passed. */
export async function waitFor(predicate: () => boolean, ms = 5_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (predicate()) return true;
    await sleep(20);
  }
  return predicate();
}

/** Kills leftovers a failed test may leave, so one failure does not leak into the next test. */
export function killQuietly(pid: number | undefined, group = true): void {
  if (pid === undefined) return;
  try {
    process.kill(group ? -pid : pid, 'SIGKILL');
  } catch {
    // gone
  }
}

/** Running (non-zombie) descendants of `pid`, from the ppid links in /proc (they cross a sandbox's PID namespace and session). */
export function runningDescendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const s = stat(entry);
    if (s === undefined || s.state === 'Z' || s.state === 'X') continue;
    children.set(s.ppid, [...(children.get(s.ppid) ?? []), Number(entry)]);
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}
