import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

/** The tiny plain-node stdio server, with a marker in its command line so /proc can find it. */
export function tinyServer(marker: string, ...extra: string[]) {
  return { command: process.execPath, args: [fileURLToPath(new URL('./fixtures/tiny-server.mjs', import.meta.url)), `--marker=${marker}`, ...extra] };
}

/** The same server behind an npx-style wrapper process (the server is a grandchild of the host). */
export function wrappedServer(marker: string, ...extra: string[]) {
  return { command: process.execPath, args: [fileURLToPath(new URL('./fixtures/wrapper.mjs', import.meta.url)), `--marker=${marker}`, ...extra] };
}

/** A marker unique to this test run. */
export const uniqueMarker = (name: string): string => `pool-test-${name}-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;

/**
 * Pids of live processes whose command line contains `marker` (read from /proc). Zombies are
 * ignored: this sandbox's PID 1 does not reap orphans, so a dead grandchild may stay a zombie.
 */
export function processesWith(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (cmdline.includes(marker) && !/\) [ZX] /.test(stat)) pids.push(Number(entry));
    } catch {
      // went away while we looked
    }
  }
  return pids;
}

/** Live (non-zombie) child processes of this process, from /proc. */
export function childrenOfThisProcess(): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === process.pid && fields[0] !== 'Z' && fields[0] !== 'X') out.push(Number(entry));
    } catch {
      // gone
    }
  }
  return out;
}

/** Polls until `predicate` holds or `ms` passed; returns its last value. */
export async function waitFor(predicate: () => boolean, ms = 5_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (predicate()) return true;
    await sleep(20);
  }
  return predicate();
}

/** SIGKILLs leftovers of a failed test so they do not leak into the next one. */
export function killAll(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

/** The text of a tool result's first content block. */
export const text = (result: unknown): string => ((result as { content: { text: string }[] }).content[0]!.text);
