import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import {
  BridgeStateError,
  UpstreamUnavailableError,
  waitForCall,
  type BridgeEvents,
  type CallContext,
  type Pool,
  type PoolHost,
  type Upstream,
  type UpstreamStatus,
} from '@mcp-bridge/core';
import { isUnknownSessionError, type Connection } from '@mcp-bridge/transports';
import { restartDelay } from './backoff.js';
import { Bulkhead } from './bulkhead.js';
import type { ExitReason, SpawnReason } from './events.js';
import type { ResolvedPoolOptions, UpstreamSettings } from './options.js';
import type { PoolSnapshot, PoolUpstreamSnapshot } from './snapshot.js';

const PLUGIN = '@mcp-bridge/pool';

/** stderr quoted in the error of a call cut by a dying process. */
const STDERR_IN_ERROR_CHARS = 1_000;

/** Where the pool reports what it does (the plugin passes `api.emit` / `api.hasListeners`). */
export interface PoolEvents {
  emit<E extends keyof BridgeEvents>(event: E, payload: BridgeEvents[E]): void;
  hasListeners(event: keyof BridgeEvents): boolean;
}

/** A pool with a snapshot of its state. */
export interface SessionPool extends Pool {
  /** Sessions, calls and restarts per upstream id. */
  snapshot(): PoolSnapshot;
}

interface Session {
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

interface Group {
  readonly up: Upstream;
  readonly settings: UpstreamSettings;
  readonly label: string;
  readonly bulkhead: Bulkhead;
  readonly sessions: Session[];
  /** Sessions the supervisor keeps open: `minSessions`, or one more after a crash until it is back. */
  keep: number;
  failures: number;
  retryAt: number;
  lastError: Error | undefined;
  restarts: number;
  crashLoop: boolean;
  restartTimer: NodeJS.Timeout | undefined;
  /** The status last reported to the host, so `ready` (which may re-list the catalog) is sent once per transition. */
  reported: UpstreamStatus | undefined;
}

const noop = (): void => undefined;

let nextSessionId = 1;

/**
 * Creates the session pool the `pool()` plugin provides as core's `pool` service. Exported for
 * hosts that assemble services themselves, and for tests.
 *
 * Per upstream: up to `maxSessions` connections (each an SDK client; for stdio, a process), calls
 * spread by least in-flight; sessions opened on demand, closed after `idleTimeoutMs`, drained and
 * replaced after `maxLifetimeMs`; crashed or failed sessions restarted with jittered exponential
 * backoff, and a crash loop reported as a failed upstream; a bulkhead of `maxConcurrent` running
 * and `maxPending` waiting calls.
 *
 * @example
 * ```ts
 * const pool = createSessionPool(host, resolvePoolOptions(poolOptionsSchema.parse({ maxSessions: 4 })), events);
 * const result = await pool.run(upstream, ctx, (client) => client.ping());
 * await pool.close();
 * ```
 */
export function createSessionPool(host: PoolHost, options: ResolvedPoolOptions, events: PoolEvents): SessionPool {
  const groups = new Map<Upstream, Group>();
  /** Upstreams of removed servers: a call that picked one before the removal must not reopen it. */
  const released = new WeakSet<Upstream>();
  const closing = new AbortController();
  let closed = false;
  const random = options.random;

  const groupOf = (up: Upstream): Group => {
    let g = groups.get(up);
    if (g) return g;
    if (closed) throw new BridgeStateError('the bridge is closed', { plugin: PLUGIN });
    if (released.has(up)) {
      throw removedError(up);
    }
    const settings = options.settingsFor(up);
    const label = up.id === up.server ? `server "${up.server}"` : `server "${up.server}" (${up.id})`;
    g = {
      up,
      settings,
      label,
      bulkhead: new Bulkhead(settings.maxConcurrent, settings.maxPending, label),
      sessions: [],
      keep: settings.minSessions,
      failures: 0,
      retryAt: 0,
      lastError: undefined,
      restarts: 0,
      crashLoop: false,
      restartTimer: undefined,
      reported: undefined,
    };
    groups.set(up, g);
    return g;
  };

  // ------------------------------------------------------------ status

  const live = (g: Group): number => {
    let n = 0;
    for (const s of g.sessions) if (s.state === 'connecting' || s.state === 'ready') n++;
    return n;
  };

  /** Tells the host about a change; `ready` only on the transition (it may re-list the catalog). */
  const report = (g: Group, status: UpstreamStatus, error?: Error): void => {
    if (status === g.reported && status !== 'failed') return;
    if (closed || !groups.has(g.up)) return;
    g.reported = status;
    host.statusChanged(g.up, status, error);
  };

  /** The host's view after a session went away: ready while any session serves, else connecting, else `otherwise`. */
  const settle = (g: Group, otherwise: UpstreamStatus, error?: Error): void => {
    if (g.sessions.some((s) => s.state === 'ready' || s.state === 'draining')) return;
    if (g.sessions.some((s) => s.state === 'connecting')) return report(g, 'connecting');
    report(g, otherwise, error);
  };

  const unavailable = (g: Group): UpstreamUnavailableError => {
    const wait = Math.max(0, g.retryAt - Date.now());
    const why = g.crashLoop ? `is in a crash loop (${g.failures} failed starts in a row)` : `is restarting after ${g.failures} failure${g.failures === 1 ? '' : 's'}`;
    return new UpstreamUnavailableError(`${g.label} ${why}: ${g.lastError?.message ?? 'connection failed'}; next start in ${wait} ms`, {
      plugin: PLUGIN,
      cause: g.lastError,
      data: { server: g.up.server, upstream: g.up.id, failures: g.failures, retryInMs: wait, sent: false },
    });
  };

  // ------------------------------------------------------------ failures and supervision

  /** A failed start, or a session that died young: back off, maybe declare a crash loop. */
  const failed = (g: Group, error: Error): void => {
    g.failures++;
    g.lastError = error;
    const delay = restartDelay(g.failures, g.settings.restart, random);
    g.retryAt = Date.now() + delay;
    if (g.failures >= g.settings.restart.crashLoopThreshold && !g.crashLoop) {
      g.crashLoop = true;
      // A lazy upstream is no longer restarted in the background; the next call tries after the delay.
      if (g.settings.minSessions === 0) g.keep = 0;
      events.emit('pool:crash-loop', { server: g.up.server, upstream: g.up, failures: g.failures, delayMs: delay, error });
    }
  };

  /** Keeps `g.keep` sessions open, waiting out the backoff first. */
  const supervise = (g: Group): void => {
    if (closed || g.restartTimer || !groups.has(g.up)) return;
    if (live(g) >= g.keep) return;
    const delay = Math.max(0, g.retryAt - Date.now());
    events.emit('pool:restart', { server: g.up.server, upstream: g.up, failures: g.failures, delayMs: delay });
    g.restartTimer = setTimeout(() => {
      g.restartTimer = undefined;
      if (closed || !groups.has(g.up)) return;
      while (live(g) < g.keep && live(g) < g.settings.maxSessions) {
        g.restarts++;
        open(g, 'restart').catch(noop);
      }
    }, delay);
    g.restartTimer.unref();
  };

  // ------------------------------------------------------------ sessions

  const open = (g: Group, reason: SpawnReason): Promise<Session> => {
    const session: Session = { id: nextSessionId++, state: 'connecting', conn: undefined, opening: undefined, inFlight: 0, readyAt: 0, lastUsed: 0, timers: [], idleTimer: undefined };
    g.sessions.push(session);
    if (g.reported !== 'ready') report(g, 'connecting');
    const started = performance.now();
    session.opening = host.connect(g.up, closing.signal).then(
      (conn) => {
        session.opening = undefined;
        // Closed, or its upstream removed, while connecting: nothing may keep this connection.
        if (session.state === 'closed' || closed || groups.get(g.up) !== g) {
          void conn.close();
          throw closed ? new BridgeStateError('the bridge closed while connecting', { plugin: PLUGIN }) : removedError(g.up);
        }
        session.conn = conn;
        session.state = 'ready';
        session.readyAt = session.lastUsed = Date.now();
        armTimers(g, session);
        if (g.keep > g.settings.minSessions) g.keep = g.settings.minSessions;
        report(g, 'ready');
        void conn.closed.then(() => died(g, session));
        if (events.hasListeners('pool:spawn')) {
          events.emit('pool:spawn', {
            server: g.up.server,
            upstream: g.up,
            session: session.id,
            ...(conn.pid === undefined ? {} : { pid: conn.pid }),
            reason,
            durationMs: performance.now() - started,
          });
        }
        return session;
      },
      (error: Error) => {
        session.opening = undefined;
        const wasClosed = session.state === 'closed';
        remove(g, session);
        if (!wasClosed && !closed && groups.has(g.up)) {
          failed(g, error);
          settle(g, 'failed', error);
          supervise(g);
        }
        throw error;
      },
    );
    return session.opening;
  };

  const armTimers = (g: Group, s: Session): void => {
    const { idleTimeoutMs, maxLifetimeMs, restart } = g.settings;
    if (idleTimeoutMs > 0) s.idleTimer = later(idleTimeoutMs, () => idleCheck(g, s));
    // Up to 10% earlier, so sessions opened together are not all recycled in the same instant.
    if (maxLifetimeMs > 0) s.timers.push(later(maxLifetimeMs * (1 - 0.1 * random()), () => drain(g, s)));
    // A session that lives `minUptimeMs` ends the failure streak (and a crash loop).
    if (g.failures > 0) {
      s.timers.push(
        later(restart.minUptimeMs, () => {
          if (s.state !== 'ready' && s.state !== 'draining') return;
          g.failures = 0;
          g.crashLoop = false;
          g.lastError = undefined;
        }),
      );
    }
  };

  const idleCheck = (g: Group, s: Session): void => {
    if (s.state !== 'ready') return;
    const idle = g.settings.idleTimeoutMs;
    const idleFor = Date.now() - s.lastUsed;
    const readyCount = g.sessions.filter((x) => x.state === 'ready').length;
    if (s.inFlight === 0 && idleFor >= idle && readyCount > g.settings.minSessions) {
      void closeSession(g, s, 'idle');
      return;
    }
    s.idleTimer = later(s.inFlight > 0 || idleFor >= idle ? idle : idle - idleFor, () => idleCheck(g, s));
  };

  /** Past its lifetime: no new calls; closed once its calls end; replaced when sessions are needed. */
  const drain = (g: Group, s: Session): void => {
    if (s.state !== 'ready') return;
    s.state = 'draining';
    const needed = Math.max(g.settings.minSessions, s.inFlight > 0 ? 1 : 0);
    if (live(g) < needed && Date.now() >= g.retryAt) open(g, 'replace').catch(noop);
    if (s.inFlight === 0) void closeSession(g, s, 'lifetime');
  };

  const remove = (g: Group, s: Session): void => {
    for (const t of s.timers) clearTimeout(t);
    s.timers.length = 0;
    clearTimeout(s.idleTimer);
    const i = g.sessions.indexOf(s);
    if (i >= 0) g.sessions.splice(i, 1);
  };

  /** Closes a session on the pool's decision; resolves once it is gone (stdio: process group ended). */
  const closeSession = (g: Group, s: Session, reason: ExitReason, error?: Error): Promise<void> => {
    if (s.state === 'closed') return Promise.resolve();
    const wasServing = s.state === 'ready' || s.state === 'draining';
    s.state = 'closed';
    remove(g, s);
    if (wasServing) exited(g, s, reason, error);
    if (reason === 'idle' || reason === 'lifetime') settle(g, 'idle');
    const conn = s.conn;
    if (conn) return conn.close();
    // Still connecting: the connect closes what it opened when it lands (state is closed).
    return (s.opening ?? Promise.resolve()).then(noop, noop);
  };

  const exited = (g: Group, s: Session, reason: ExitReason, error?: Error): void => {
    if (!events.hasListeners('pool:exit')) return;
    events.emit('pool:exit', {
      server: g.up.server,
      upstream: g.up,
      session: s.id,
      ...(s.conn?.pid === undefined ? {} : { pid: s.conn.pid }),
      reason,
      uptimeMs: Date.now() - s.readyAt,
      ...(error ? { error } : {}),
    });
  };

  /** The connection ended on its own: the process died, or the server dropped the session. */
  const died = (g: Group, s: Session): void => {
    if (s.state === 'closed') return;
    s.state = 'closed';
    remove(g, s);
    if (closed || !groups.has(g.up)) return;
    const uptime = Date.now() - s.readyAt;
    const error = deathError(g, s);
    exited(g, s, 'crash', error);
    if (uptime < g.settings.restart.minUptimeMs) failed(g, error);
    else {
      // It ran fine for a while: restart at once, as a fresh streak.
      g.failures = 0;
      g.crashLoop = false;
      g.retryAt = 0;
      g.lastError = error;
    }
    settle(g, 'failed', error);
    if (!g.crashLoop || g.settings.minSessions > 0) g.keep = Math.max(g.keep, g.settings.minSessions, 1);
    supervise(g);
  };

  const deathError = (g: Group, s: Session, when = '', cause?: unknown): UpstreamUnavailableError => {
    const lost = s.conn?.endReason?.();
    const what = lost ? `: ${lost}` : s.conn?.pid !== undefined ? `: process ${s.conn.pid} exited` : ' closed its connection';
    const tail = s.conn?.stderrTail?.().trim();
    return new UpstreamUnavailableError(`${g.label}${what}${when}${tail ? `; stderr: ${tail.slice(-STDERR_IN_ERROR_CHARS)}` : ''}`, {
      plugin: PLUGIN,
      cause,
      data: { server: g.up.server, upstream: g.up.id, ...(s.conn?.pid === undefined ? {} : { pid: s.conn.pid }) },
    });
  };

  // ------------------------------------------------------------ handing sessions to calls

  const canOpen = (g: Group): boolean => !closed && live(g) < g.settings.maxSessions && Date.now() >= g.retryAt;

  /** The least loaded ready session, or a promise of one; throws when none can be had now. */
  const sessionFor = (g: Group, ctx: CallContext): Session | Promise<Session> => {
    // A call admitted before its upstream was removed (or the pool closed) must not reopen it.
    if (closed) throw new BridgeStateError('the bridge is closed', { plugin: PLUGIN });
    if (groups.get(g.up) !== g) throw removedError(g.up);
    let best: Session | undefined;
    let connecting = false;
    for (const s of g.sessions) {
      if (s.state === 'ready') {
        if (!best || s.inFlight < best.inFlight) best = s;
      } else if (s.state === 'connecting') connecting = true;
    }
    if (best) {
      // Busy everywhere: open one more in the background; this call does not wait for it.
      if (best.inFlight >= g.settings.callsPerSession && !connecting && canOpen(g)) open(g, 'demand').catch(noop);
      return best;
    }
    if (connecting) return waitForCall(firstReady(g), ctx, g.label);
    if (!canOpen(g)) {
      if (Date.now() < g.retryAt) throw unavailable(g);
      throw new UpstreamUnavailableError(`${g.label} has no session available`, { plugin: PLUGIN, data: { server: g.up.server, upstream: g.up.id, sent: false } });
    }
    return waitForCall(open(g, 'demand'), ctx, g.label);
  };

  const run = <T>(g: Group, s: Session, ctx: CallContext, fn: (client: Client, ctx: CallContext) => Promise<T>, resent: boolean): Promise<T> => {
    s.inFlight++;
    let pending: Promise<T>;
    try {
      pending = fn(s.conn!.client, ctx);
    } catch (error) {
      pending = Promise.reject(error);
    }
    return pending.then(
      (result) => {
        finished(g, s);
        g.bulkhead.release();
        return result;
      },
      (error: unknown) => {
        finished(g, s);
        if (!resent && isUnknownSessionError(error) && !closed && groups.has(g.up)) {
          // The server answered 404/400 "unknown session": it never ran this request, so it is sent
          // again, once, on a new session (re-initialised); a second such answer fails the call.
          if (events.hasListeners('pool:reinit')) events.emit('pool:reinit', { server: g.up.server, upstream: g.up, method: ctx.method, error: error as Error });
          void closeSession(g, s, 'session-lost', error as Error);
          settle(g, 'connecting');
          return Promise.resolve()
            .then(() => sessionFor(g, ctx))
            .then(
              (next) => run(g, next, ctx, fn, true),
              (failure: unknown) => {
                g.bulkhead.release();
                throw failure;
              },
            );
        }
        g.bulkhead.release();
        throw explain(g, s, error);
      },
    );
  };

  const finished = (g: Group, s: Session): void => {
    s.inFlight--;
    s.lastUsed = Date.now();
    if (s.state === 'draining' && s.inFlight === 0) void closeSession(g, s, 'lifetime');
  };

  /** A call cut by the connection's end says which process died and what it last wrote to stderr. */
  const explain = (g: Group, s: Session, error: unknown): unknown => {
    if (isUnknownSessionError(error)) {
      // Refused again on a fresh session: still provably not run (`sent: false` lets a retry plugin resend it).
      return new UpstreamUnavailableError(`${g.label} did not know the session even after re-initialising: ${(error as Error).message}`, {
        plugin: PLUGIN,
        cause: error,
        data: { server: g.up.server, upstream: g.up.id, sent: false },
      });
    }
    if (!(error instanceof McpError) || error.code !== ErrorCode.ConnectionClosed) return error;
    return deathError(g, s, ' while the call was in flight', error);
  };

  /** Resolves with the first session of `g` that becomes ready; rejects when every connect failed. */
  const firstReady = (g: Group): Promise<Session> => {
    const opening = g.sessions.filter((s) => s.state === 'connecting' && s.opening).map((s) => s.opening!);
    // A session marked connecting whose connect has not begun yet (a listener of connect:before
    // called back into the pool): nothing to wait for, so say so rather than wait forever.
    if (opening.length === 0) {
      return Promise.reject(new UpstreamUnavailableError(`${g.label} has no connect in progress to wait for`, { data: { server: g.up.server, upstream: g.up.id, sent: false } }));
    }
    return new Promise<Session>((resolve, reject) => {
      let left = opening.length;
      for (const p of opening) {
        p.then(resolve, (error: unknown) => {
          if (--left === 0) reject(error);
        });
      }
    });
  };

  // ------------------------------------------------------------ the Pool interface

  return {
    run<T>(up: Upstream, ctx: CallContext, fn: (client: Client, ctx: CallContext) => Promise<T>): Promise<T> {
      let g: Group;
      let permit: Promise<void> | undefined;
      try {
        g = groupOf(up);
        permit = g.bulkhead.acquire(ctx);
      } catch (error) {
        const b = groups.get(up)?.bulkhead;
        if (b && events.hasListeners('pool:overload')) {
          events.emit('pool:overload', {
            server: up.server,
            upstream: up,
            method: ctx.method,
            running: b.running,
            pending: b.pending,
            maxConcurrent: b.maxConcurrent,
            maxPending: b.maxPending,
          });
        }
        return Promise.reject(error);
      }
      const withSlot = (): Promise<T> => {
        let s: Session | Promise<Session>;
        try {
          s = sessionFor(g, ctx);
        } catch (error) {
          g.bulkhead.release();
          return Promise.reject(error);
        }
        if (!(s instanceof Promise)) return run(g, s, ctx, fn, false);
        return s.then(
          (ready) => run(g, ready, ctx, fn, false),
          (error: unknown) => {
            g.bulkhead.release();
            throw error;
          },
        );
      };
      return permit ? permit.then(withSlot) : withSlot();
    },

    async warm(up) {
      const g = groupOf(up);
      const wanted = Math.max(g.settings.minSessions, 1);
      while (live(g) < wanted && canOpen(g)) open(g, 'warm').catch(noop);
      if (g.sessions.some((s) => s.state === 'ready')) return;
      if (!g.sessions.some((s) => s.state === 'connecting')) throw unavailable(g);
      await firstReady(g);
    },

    connection(up) {
      const g = groups.get(up);
      return g?.sessions.find((s) => s.state === 'ready')?.conn ?? g?.sessions.find((s) => s.state === 'draining')?.conn;
    },

    async release(up) {
      released.add(up);
      const g = groups.get(up);
      if (!g) return;
      groups.delete(up);
      clearTimeout(g.restartTimer);
      g.bulkhead.rejectAll(removedError(up));
      await Promise.allSettled([...g.sessions].map((s) => closeSession(g, s, 'released')));
    },

    async close() {
      if (closed) return;
      const all = [...groups.values()];
      // Exit events first, while the bridge still delivers them.
      const closes = all.flatMap((g) => {
        clearTimeout(g.restartTimer);
        g.bulkhead.rejectAll(new BridgeStateError('the bridge is closing', { plugin: PLUGIN }));
        return [...g.sessions].map((s) => closeSession(g, s, 'closed'));
      });
      closed = true;
      closing.abort(new BridgeStateError('the bridge is closing', { plugin: PLUGIN }));
      groups.clear();
      await Promise.allSettled(closes);
    },

    snapshot() {
      const out: PoolSnapshot = {};
      const now = Date.now();
      for (const g of groups.values()) {
        const entry: PoolUpstreamSnapshot = {
          server: g.up.server,
          upstream: g.up.id,
          kind: g.up.kind,
          sessions: g.sessions
            .filter((s) => s.state !== 'closed')
            .map((s) => ({
              id: s.id,
              state: s.state as 'connecting' | 'ready' | 'draining',
              ...(s.conn?.pid === undefined ? {} : { pid: s.conn.pid }),
              inFlight: s.inFlight,
              ageMs: s.readyAt ? now - s.readyAt : 0,
              idleMs: s.lastUsed ? now - s.lastUsed : 0,
            })),
          running: g.bulkhead.running,
          pending: g.bulkhead.pending,
          maxConcurrent: g.bulkhead.maxConcurrent,
          maxPending: g.bulkhead.maxPending,
          restarts: g.restarts,
          failures: g.failures,
          crashLoop: g.crashLoop,
          nextStartInMs: Math.max(0, g.retryAt - now),
          ...(g.lastError ? { lastError: g.lastError.message } : {}),
        };
        out[g.up.id] = entry;
      }
      return out;
    },
  };
}

function removedError(up: Upstream): UpstreamUnavailableError {
  return new UpstreamUnavailableError(`server "${up.server}" was removed`, { plugin: PLUGIN, data: { server: up.server, upstream: up.id, sent: false } });
}

/** An unref'd timer: the pool's housekeeping never keeps the process alive. */
function later(ms: number, fn: () => void): NodeJS.Timeout {
  const t = setTimeout(fn, Math.min(Math.max(1, ms), 2 ** 31 - 1));
  t.unref();
  return t;
}
