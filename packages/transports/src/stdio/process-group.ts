import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** Whether children can be put in their own process group and signalled as a group. */
export const SUPPORTS_PROCESS_GROUPS = process.platform !== 'win32';

/**
 * Sends `signal` to every process of the group led by `pgid` (POSIX), or to the child alone
 * (Windows, where there are no process groups). Returns false when there was nobody to signal.
 */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(SUPPORTS_PROCESS_GROUPS ? -pgid : pgid, signal);
    return true;
  } catch {
    // ESRCH: already gone. EPERM: a member changed user (setuid); nothing more we can do.
    return false;
  }
}

/**
 * Parses `/proc/<pid>/stat` into state and process group. The command name sits in parentheses
 * and may itself contain spaces or parentheses, so fields are read after the last `)`.
 */
function readStat(pid: string): { state: string; pgrp: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', pgrp: Number(fields[2]) };
  } catch {
    return undefined; // exited while we were looking
  }
}

/** Whether process `pid` still runs (a zombie has ended); Linux reads /proc, elsewhere `kill(pid, 0)`. */
export function isProcessRunning(pid: number): boolean {
  if (process.platform === 'linux') {
    const stat = readStat(String(pid));
    return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X';
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Polls until process `pid` has ended or `ms` passed; true when it has. */
export async function waitForProcessExit(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (isProcessRunning(pid)) {
    const left = deadline - Date.now();
    if (left <= 0) return false;
    await sleep(Math.min(10, left));
  }
  return true;
}

/** Ids of the processes in group `pgid` that are still running (zombies excluded); Linux only. */
export function liveGroupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (entry.charCodeAt(0) < 48 || entry.charCodeAt(0) > 57) continue;
    const stat = readStat(entry);
    if (stat && stat.pgrp === pgid && stat.state !== 'Z' && stat.state !== 'X') members.push(Number(entry));
  }
  return members;
}

/**
 * Whether any process of group `pgid` still runs.
 *
 * `kill(-pgid, 0)` alone is not enough: an orphaned grandchild that died is a zombie until init
 * reaps it, and some container inits (PID 1 of many sandboxes) never do, so the group would look
 * alive forever. On Linux the group is therefore also checked in /proc, ignoring zombies.
 */
export function isGroupAlive(pgid: number): boolean {
  if (!SUPPORTS_PROCESS_GROUPS) return false;
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  if (process.platform !== 'linux') return true;
  try {
    return liveGroupMembers(pgid).length > 0;
  } catch {
    return true; // no /proc: trust kill()
  }
}

/** Polls `isGroupAlive` until the group is gone or `ms` passed; true when it is gone. */
export async function waitForGroupExit(pgid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (!isGroupAlive(pgid)) return true;
    const left = deadline - Date.now();
    if (left <= 0) return false;
    await sleep(Math.min(25, left));
  }
}

/**
 * Ends whatever is left of a process group after its leader exited (a wrapper's grandchildren,
 * a server's helpers): SIGTERM, then SIGKILL after `graceMs`. Bounded: gives up waiting a second
 * after SIGKILL, since a process stuck in the kernel cannot be helped from here.
 */
export async function reapGroup(pgid: number, graceMs: number): Promise<void> {
  if (!SUPPORTS_PROCESS_GROUPS || !isGroupAlive(pgid)) return;
  signalGroup(pgid, 'SIGTERM');
  if (await waitForGroupExit(pgid, graceMs)) return;
  signalGroup(pgid, 'SIGKILL');
  await waitForGroupExit(pgid, 1000);
}
