import { signalGroup } from './process-group.js';
import { reaperForget, reaperWatch } from './reaper.js';

const live = new Set<number>();

/**
 * Last resort when the host exits without closing its connections (an uncaught error,
 * `process.exit()`): the children lead their own process groups, so a terminal's Ctrl+C and the
 * host's death do not reach them; only stdin EOF would, and not every server honours it.
 * An 'exit' handler cannot wait, so it only sends SIGTERM; the reaper (see reaper.ts) follows up
 * with SIGKILL, and covers the deaths no handler sees (SIGKILL of the host).
 */
function onExit(): void {
  for (const pgid of live) signalGroup(pgid, 'SIGTERM');
}

/** Registers a running child group; the process 'exit' hook and the reaper exist only while some are registered. */
export function trackGroup(pgid: number): void {
  if (live.size === 0) process.on('exit', onExit);
  live.add(pgid);
  reaperWatch(pgid);
}

/** Forgets a group once it has ended. */
export function untrackGroup(pgid: number): void {
  if (!live.delete(pgid)) return;
  reaperForget(pgid, live.size === 0);
  if (live.size === 0) process.off('exit', onExit);
}

/**
 * Sends `signal` to every child group still running (a host that must be gone within a deadline
 * SIGKILLs what its orderly shutdown has not ended yet). Returns how many groups were signalled.
 */
export function signalLiveGroups(signal: NodeJS.Signals): number {
  let sent = 0;
  for (const pgid of live) if (signalGroup(pgid, signal)) sent++;
  return sent;
}
