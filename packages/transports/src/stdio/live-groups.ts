import { signalGroup } from './process-group.js';

const live = new Set<number>();

/**
 * Last resort when the host exits without closing its connections (an uncaught error,
 * `process.exit()`): the children lead their own process groups, so a terminal's Ctrl+C and the
 * host's death do not reach them; only stdin EOF would, and not every server honours it.
 * An 'exit' handler cannot wait, so it only sends SIGTERM.
 */
function onExit(): void {
  for (const pgid of live) signalGroup(pgid, 'SIGTERM');
}

/** Registers a running child group; the process 'exit' hook exists only while some are registered. */
export function trackGroup(pgid: number): void {
  if (live.size === 0) process.on('exit', onExit);
  live.add(pgid);
}

/** Forgets a group once it has ended. */
export function untrackGroup(pgid: number): void {
  if (!live.delete(pgid)) return;
  if (live.size === 0) process.off('exit', onExit);
}
