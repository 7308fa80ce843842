import { UpstreamUnavailableError, type Upstream } from '@mcp-bridge/core';
import type { Connection } from '@mcp-bridge/transports';

/** The plugin name errors carry. */
export const PLUGIN = '@mcp-bridge/pool';

/** stderr quoted in the error of a call cut by a dying process. */
const STDERR_IN_ERROR_CHARS = 1_000;

/** One connection of an upstream (an SDK client; for stdio, a process) and its bookkeeping. */
export interface Session {
  readonly id: number;
  state: 'connecting' | 'ready' | 'draining' | 'closed';
  conn: Connection | undefined;
  opening: Promise<Session> | undefined;
  inFlight: number;
  readyAt: number;
  lastUsed: number;
  /** Lifetime and stability timers. */
  timers: NodeJS.Timeout[];
  idleTimer: NodeJS.Timeout | undefined;
}

/** Swallows a rejection someone else handles (a background open whose failure the group records). */
export const noop = (): void => undefined;

let nextSessionId = 1;

/** A new session, connecting; ids are unique across the process so events and snapshots can be matched. */
export function newSession(): Session {
  return {
    id: nextSessionId++,
    state: 'connecting',
    conn: undefined,
    opening: undefined,
    inFlight: 0,
    readyAt: 0,
    lastUsed: 0,
    timers: [],
    idleTimer: undefined,
  };
}

/** `pid` as an optional field: absent (not `undefined`) for sessions without a process. */
export function pidOf(s: Session): { pid?: number } {
  return s.conn?.pid === undefined ? {} : { pid: s.conn.pid };
}

/** The error of a call that picked an upstream whose server was removed meanwhile; provably not sent. */
export function removedError(up: Upstream): UpstreamUnavailableError {
  return new UpstreamUnavailableError(`server "${up.server}" was removed`, {
    plugin: PLUGIN,
    data: { server: up.server, upstream: up.id, sent: false },
  });
}

/** Why a session's connection ended, with which process and the last of its stderr. */
export function deathError(label: string, up: Upstream, s: Session, when = '', cause?: unknown): UpstreamUnavailableError {
  const lost = s.conn?.endReason?.();
  const what = lost ? `: ${lost}` : s.conn?.pid !== undefined ? `: process ${s.conn.pid} exited` : ' closed its connection';
  const tail = s.conn?.stderrTail?.().trim();
  return new UpstreamUnavailableError(`${label}${what}${when}${tail ? `; stderr: ${tail.slice(-STDERR_IN_ERROR_CHARS)}` : ''}`, {
    plugin: PLUGIN,
    cause,
    data: { server: up.server, upstream: up.id, ...pidOf(s) },
  });
}

/** An unref'd timer: the pool's housekeeping never keeps the process alive. */
export function later(ms: number, fn: () => void): NodeJS.Timeout {
  const t = setTimeout(fn, Math.min(Math.max(1, ms), 2 ** 31 - 1));
  t.unref();
  return t;
}
