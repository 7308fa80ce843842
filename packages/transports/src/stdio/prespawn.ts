/**
 * Early spawn of stdio upstreams. A gateway spends its first ~200 ms loading its own code (the
 * SDK, zod, ajv, plugins) before a transport spawns anything, and each upstream then needs as long
 * again to boot. The CLI therefore spawns the stdio servers it read from the config right away,
 * with this module only (node builtins and cross-spawn), and `StdioTransport` adopts a matching
 * child instead of spawning its own: both boots overlap.
 *
 * A prespawned child is a normal upstream from its first instant: own process group, tracked by
 * live-groups (the 'exit' hook and the reaper end it if the host dies), stderr drained into a
 * bounded buffer. One that nobody claims within `claimWithinMs` (the server was filtered out,
 * started lazily, or the command failed) is ended. One that exits or fails before it is claimed
 * is dropped: the transport then spawns as it always did and reports that failure itself.
 *
 * @module
 */
import type { ChildProcess } from 'node:child_process';
import { trackGroup, untrackGroup } from './live-groups.js';
import { reapGroup } from './process-group.js';
import { commandKey, spawnStdioChild, type StdioCommand } from './spawn-child.js';

/** How long an early child waits for its transport by default before it is ended (ms). */
export const DEFAULT_CLAIM_WITHIN_MS = 5_000;
/** stderr an early child may write before it is claimed; older bytes are dropped (64 KiB). */
const MAX_EARLY_STDERR_BYTES = 64 * 1024;

/** A prespawned child handed to its transport. */
export interface AdoptedChild {
  child: ChildProcess;
  /** Whether its 'spawn' event has fired already (it will not fire again). */
  spawned: boolean;
  /** What it wrote to stderr before it was claimed, oldest first. */
  stderr: Buffer[];
}

interface Entry extends AdoptedChild {
  stderrBytes: number;
  timer: NodeJS.Timeout;
  /** Removes the registry's own listeners (the transport brings its own). */
  detach: () => void;
}

/**
 * Children waiting for their transport, by command key. Kept on `globalThis`: the CommonJS build
 * bundles this module into both `stdio.cjs` and `prespawn.cjs`, and the transport must see what the
 * other copy spawned.
 */
const REGISTRY = Symbol.for('@mcp-bridge/transports/prespawn');
const waiting = ((globalThis as Record<symbol, unknown>)[REGISTRY] ??= new Map<string, Entry[]>()) as Map<string, Entry[]>;

/**
 * Spawns each stdio command now, for a `StdioTransport` with the same command, args, env and cwd
 * to adopt (see {@link adoptPrespawned}). Never throws: a command that cannot be spawned is left to
 * the transport, which reports why. Returns how many children were started.
 *
 * @example
 * prespawnStdio([{ command: process.execPath, args: ['server.js'] }]);
 */
export function prespawnStdio(commands: Iterable<StdioCommand>, options: { claimWithinMs?: number } = {}): number {
  let started = 0;
  for (const command of commands) {
    let child: ChildProcess;
    try {
      child = spawnStdioChild(command);
    } catch {
      continue;
    }
    if (child.pid === undefined) {
      // Failed before the fork (ENOENT ...): the 'error' event follows; nothing runs.
      child.on('error', () => undefined);
      continue;
    }
    trackGroup(child.pid);
    hold(commandKey(command), child, options.claimWithinMs ?? DEFAULT_CLAIM_WITHIN_MS);
    started++;
  }
  return started;
}

function hold(key: string, child: ChildProcess, claimWithinMs: number): void {
  const pid = child.pid!;
  const entry: Entry = {
    child,
    spawned: false,
    stderr: [],
    stderrBytes: 0,
    timer: undefined as unknown as NodeJS.Timeout,
    detach: () => undefined,
  };
  const onSpawn = (): void => void (entry.spawned = true);
  const onStderr = (chunk: Buffer): void => {
    entry.stderr.push(chunk);
    entry.stderrBytes += chunk.length;
    while (entry.stderrBytes > MAX_EARLY_STDERR_BYTES && entry.stderr.length > 1) entry.stderrBytes -= entry.stderr.shift()!.length;
  };
  // Gone before anyone claimed it: forget it; a transport spawns afresh and reports the failure.
  const onGone = (): void => {
    drop(key, entry);
    void reapGroup(pid, 1000).finally(() => untrackGroup(pid));
  };
  const ignore = (): void => undefined;
  child.once('spawn', onSpawn);
  child.once('error', onGone);
  child.once('exit', onGone);
  child.stderr!.on('data', onStderr);
  for (const stream of [child.stdin!, child.stdout!, child.stderr!]) stream.on('error', ignore);
  entry.detach = () => {
    child.off('spawn', onSpawn);
    child.off('error', onGone);
    child.off('exit', onGone);
    child.stderr!.off('data', onStderr);
    for (const stream of [child.stdin!, child.stdout!, child.stderr!]) stream.off('error', ignore);
  };
  // Unclaimed: end it (SIGTERM, then SIGKILL); unref'd so that it never keeps the host alive.
  entry.timer = setTimeout(() => end(key, entry), claimWithinMs);
  entry.timer.unref();
  const list = waiting.get(key) ?? [];
  list.push(entry);
  waiting.set(key, list);
}

/** Ends an unclaimed child and its group: stdin EOF, SIGTERM, then SIGKILL after a second. */
function end(key: string, entry: Entry): void {
  drop(key, entry);
  const { child } = entry;
  // All of them: a sandboxed child has a 4th pipe (bwrap's --info-fd).
  for (const stream of child.stdio) stream?.destroy();
  void reapGroup(child.pid!, 1000).finally(() => untrackGroup(child.pid!));
}

function drop(key: string, entry: Entry): void {
  clearTimeout(entry.timer);
  entry.detach();
  const list = waiting.get(key)?.filter((e) => e !== entry) ?? [];
  if (list.length > 0) waiting.set(key, list);
  else waiting.delete(key);
}

/**
 * Hands over an early child started for exactly this command, if one is waiting, and stops holding
 * it: from here on the caller owns it (listeners, shutdown, `untrackGroup` once it ended).
 */
export function adoptPrespawned(command: StdioCommand): AdoptedChild | undefined {
  if (waiting.size === 0) return undefined;
  const key = commandKey(command);
  const entry = waiting.get(key)?.[0];
  if (!entry) return undefined;
  drop(key, entry);
  return { child: entry.child, spawned: entry.spawned, stderr: entry.stderr };
}

/** How many early children wait for a transport (for tests and diagnostics). */
export function prespawnedCount(): number {
  let n = 0;
  for (const list of waiting.values()) n += list.length;
  return n;
}

/** Ends every early child nobody claimed (a command that failed before starting its bridge). */
export function endPrespawned(): void {
  for (const [key, list] of [...waiting.entries()]) for (const entry of list) end(key, entry);
}
