import { BridgeStateError, UpstreamUnavailableError, type PoolHost, type Upstream, type UpstreamStatus } from '@mcp-bridge/core';
import type { Connection } from '@mcp-bridge/transports';
import { restartDelay } from './backoff.js';
import { Bulkhead } from './bulkhead.js';
import type { ExitReason, PoolEvents, SpawnReason } from './events.js';
import type { UpstreamSettings } from './options.js';
import { deathError, later, newSession, noop, pidOf, PLUGIN, removedError, type Session } from './session.js';
import type { PoolUpstreamSnapshot } from './snapshot.js';

/** What every group shares with its pool. */
export interface GroupContext {
  readonly host: PoolHost;
  readonly events: PoolEvents;
  readonly random: () => number;
  /** Aborted when the pool closes: cancels connects in progress. */
  readonly signal: AbortSignal;
  /** True once the pool is closed. */
  closed(): boolean;
}

/**
 * The sessions of one upstream and their supervision: opening (lazily, on demand or to keep
 * `minSessions`), idle and lifetime timers, restarts with jittered backoff after failures and
 * crashes, crash-loop detection, and the status reported to the host. The call side lives in
 * `group-calls.ts`.
 */
export class UpstreamGroup {
  readonly label: string;
  readonly bulkhead: Bulkhead;
  readonly sessions: Session[] = [];
  /** Sessions the supervisor keeps open: `minSessions`, or one more after a crash until it is back. */
  keep: number;
  failures = 0;
  retryAt = 0;
  lastError: Error | undefined = undefined;
  restarts = 0;
  crashLoop = false;
  restartTimer: NodeJS.Timeout | undefined = undefined;
  /** The status last reported to the host, so `ready` (which may re-list the catalog) is sent once per transition. */
  reported: UpstreamStatus | undefined = undefined;
  /** Set when the pool let go of this group (server removed, or pool closed): nothing may reopen or report it. */
  detached = false;

  /** False for a caller's session of an upstream (core's per-caller sessions): the bulkhead is that upstream's. */
  readonly ownsBulkhead: boolean;

  constructor(
    readonly up: Upstream,
    readonly settings: UpstreamSettings,
    readonly ctx: GroupContext,
    bulkhead?: Bulkhead,
  ) {
    this.label = up.id === up.server ? `server "${up.server}"` : `server "${up.server}" (${up.id})`;
    this.ownsBulkhead = bulkhead === undefined;
    this.bulkhead = bulkhead ?? new Bulkhead(settings.maxConcurrent, settings.maxPending, this.label);
    this.keep = settings.minSessions;
  }

  /** The pool closed or dropped this group: a late event must change nothing. */
  get gone(): boolean {
    return this.ctx.closed() || this.detached;
  }

  // ------------------------------------------------------------ status

  /** Sessions connecting or ready (draining ones are on their way out). */
  live(): number {
    let n = 0;
    for (const s of this.sessions) if (s.state === 'connecting' || s.state === 'ready') n++;
    return n;
  }

  /** Tells the host about a change; `ready` only on the transition (it may re-list the catalog). */
  report(status: UpstreamStatus, error?: Error): void {
    if (status === this.reported && status !== 'failed') return;
    if (this.gone) return;
    this.reported = status;
    this.ctx.host.statusChanged(this.up, status, error);
  }

  /** The host's view after a session went away: ready while any session serves, else connecting, else `otherwise`. */
  settle(otherwise: UpstreamStatus, error?: Error): void {
    if (this.sessions.some((s) => s.state === 'ready' || s.state === 'draining')) return;
    if (this.sessions.some((s) => s.state === 'connecting')) return this.report('connecting');
    this.report(otherwise, error);
  }

  /** Why no session can be started now (backing off, or in a crash loop). */
  unavailable(): UpstreamUnavailableError {
    const wait = Math.max(0, this.retryAt - Date.now());
    const n = this.failures;
    const why = this.crashLoop
      ? `is in a crash loop (${n} failed starts in a row)`
      : `is restarting after ${n} failure${n === 1 ? '' : 's'}`;
    return new UpstreamUnavailableError(
      `${this.label} ${why}: ${this.lastError?.message ?? 'connection failed'}; next start in ${wait} ms`,
      {
        plugin: PLUGIN,
        cause: this.lastError,
        data: { server: this.up.server, upstream: this.up.id, failures: n, retryInMs: wait, sent: false },
      },
    );
  }

  /** True when one more session may be started now. */
  canOpen(): boolean {
    return !this.ctx.closed() && this.live() < this.settings.maxSessions && Date.now() >= this.retryAt;
  }

  // ------------------------------------------------------------ failures and supervision

  /** A failed start, or a session that died young: back off, maybe declare a crash loop. */
  failed(error: Error): void {
    this.failures++;
    this.lastError = error;
    const delay = restartDelay(this.failures, this.settings.restart, this.ctx.random);
    this.retryAt = Date.now() + delay;
    if (this.failures >= this.settings.restart.crashLoopThreshold && !this.crashLoop) {
      this.crashLoop = true;
      // A lazy upstream is no longer restarted in the background; the next call tries after the delay.
      if (this.settings.minSessions === 0) this.keep = 0;
      this.ctx.events.emit('pool:crash-loop', {
        server: this.up.server,
        upstream: this.up,
        failures: this.failures,
        delayMs: delay,
        error,
      });
    }
  }

  /** Keeps `keep` sessions open, waiting out the backoff first. */
  supervise(): void {
    if (this.gone || this.restartTimer) return;
    if (this.live() >= this.keep) return;
    const delay = Math.max(0, this.retryAt - Date.now());
    this.ctx.events.emit('pool:restart', { server: this.up.server, upstream: this.up, failures: this.failures, delayMs: delay });
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.gone) return;
      while (this.live() < this.keep && this.live() < this.settings.maxSessions) {
        this.restarts++;
        this.open('restart').catch(noop);
      }
    }, delay);
    this.restartTimer.unref();
  }

  // ------------------------------------------------------------ sessions

  /** Opens one more session; resolves once it takes calls. */
  open(reason: SpawnReason): Promise<Session> {
    const session = newSession();
    this.sessions.push(session);
    if (this.reported !== 'ready') this.report('connecting');
    const started = performance.now();
    session.opening = this.ctx.host.connect(this.up, this.ctx.signal).then(
      (conn) => this.opened(session, conn, reason, started),
      (error: Error) => {
        session.opening = undefined;
        const wasClosed = session.state === 'closed';
        this.remove(session);
        if (!wasClosed && !this.gone) {
          this.failed(error);
          this.settle('failed', error);
          this.supervise();
        }
        throw error;
      },
    );
    return session.opening;
  }

  private opened(session: Session, conn: Connection, reason: SpawnReason, started: number): Session {
    session.opening = undefined;
    // Closed, or its upstream removed, while connecting: nothing may keep this connection.
    if (session.state === 'closed' || this.gone) {
      void conn.close();
      throw this.ctx.closed() ? new BridgeStateError('the bridge closed while connecting', { plugin: PLUGIN }) : removedError(this.up);
    }
    session.conn = conn;
    session.state = 'ready';
    session.readyAt = session.lastUsed = Date.now();
    this.armTimers(session);
    if (this.keep > this.settings.minSessions) this.keep = this.settings.minSessions;
    this.report('ready');
    void conn.closed.then(() => this.died(session));
    if (this.ctx.events.hasListeners('pool:spawn')) {
      this.ctx.events.emit('pool:spawn', {
        server: this.up.server,
        upstream: this.up,
        session: session.id,
        ...pidOf(session),
        reason,
        durationMs: performance.now() - started,
      });
    }
    return session;
  }

  private armTimers(s: Session): void {
    const { idleTimeoutMs, maxLifetimeMs, restart } = this.settings;
    if (idleTimeoutMs > 0) s.idleTimer = later(idleTimeoutMs, () => this.idleCheck(s));
    // Up to 10% earlier, so sessions opened together are not all recycled in the same instant.
    if (maxLifetimeMs > 0) s.timers.push(later(maxLifetimeMs * (1 - 0.1 * this.ctx.random()), () => this.drain(s)));
    // A session that lives `minUptimeMs` ends the failure streak (and a crash loop).
    if (this.failures > 0) {
      s.timers.push(
        later(restart.minUptimeMs, () => {
          if (s.state !== 'ready' && s.state !== 'draining') return;
          this.failures = 0;
          this.crashLoop = false;
          this.lastError = undefined;
        }),
      );
    }
  }

  private idleCheck(s: Session): void {
    if (s.state !== 'ready') return;
    const idle = this.settings.idleTimeoutMs;
    const idleFor = Date.now() - s.lastUsed;
    const readyCount = this.sessions.filter((x) => x.state === 'ready').length;
    if (s.inFlight === 0 && idleFor >= idle && readyCount > this.settings.minSessions) {
      void this.closeSession(s, 'idle');
      return;
    }
    s.idleTimer = later(s.inFlight > 0 || idleFor >= idle ? idle : idle - idleFor, () => this.idleCheck(s));
  }

  /** Past its lifetime: no new calls; closed once its calls end; replaced when sessions are needed. */
  private drain(s: Session): void {
    if (s.state !== 'ready') return;
    s.state = 'draining';
    const needed = Math.max(this.settings.minSessions, s.inFlight > 0 ? 1 : 0);
    if (this.live() < needed && Date.now() >= this.retryAt) this.open('replace').catch(noop);
    if (s.inFlight === 0) void this.closeSession(s, 'lifetime');
  }

  private remove(s: Session): void {
    for (const t of s.timers) clearTimeout(t);
    s.timers.length = 0;
    clearTimeout(s.idleTimer);
    const i = this.sessions.indexOf(s);
    if (i >= 0) this.sessions.splice(i, 1);
  }

  /** Closes a session on the pool's decision; resolves once it is gone (stdio: process group ended). */
  closeSession(s: Session, reason: ExitReason, error?: Error): Promise<void> {
    if (s.state === 'closed') return Promise.resolve();
    const wasServing = s.state === 'ready' || s.state === 'draining';
    s.state = 'closed';
    this.remove(s);
    if (wasServing) this.exited(s, reason, error);
    if (reason === 'idle' || reason === 'lifetime') this.settle('idle');
    const conn = s.conn;
    if (conn) return conn.close();
    // Still connecting: the connect closes what it opened when it lands (state is closed).
    return (s.opening ?? Promise.resolve()).then(noop, noop);
  }

  /** A call on `s` ended: a draining session closes with its last call. */
  finished(s: Session): void {
    s.inFlight--;
    s.lastUsed = Date.now();
    if (s.state === 'draining' && s.inFlight === 0) void this.closeSession(s, 'lifetime');
  }

  private exited(s: Session, reason: ExitReason, error?: Error): void {
    if (!this.ctx.events.hasListeners('pool:exit')) return;
    this.ctx.events.emit('pool:exit', {
      server: this.up.server,
      upstream: this.up,
      session: s.id,
      ...pidOf(s),
      reason,
      uptimeMs: Date.now() - s.readyAt,
      ...(error ? { error } : {}),
    });
  }

  /** The connection ended on its own: the process died, or the server dropped the session. */
  private died(s: Session): void {
    if (s.state === 'closed') return;
    s.state = 'closed';
    this.remove(s);
    if (this.gone) return;
    const uptime = Date.now() - s.readyAt;
    const error = deathError(this.label, this.up, s);
    this.exited(s, 'crash', error);
    if (uptime < this.settings.restart.minUptimeMs) this.failed(error);
    else {
      // It ran fine for a while: restart at once, as a fresh streak.
      this.failures = 0;
      this.crashLoop = false;
      this.retryAt = 0;
      this.lastError = error;
    }
    this.settle('failed', error);
    if (!this.crashLoop || this.settings.minSessions > 0) this.keep = Math.max(this.keep, this.settings.minSessions, 1);
    this.supervise();
  }

  /** Resolves with the first session that becomes ready; rejects when every connect failed. */
  firstReady(): Promise<Session> {
    const opening = this.sessions.filter((s) => s.state === 'connecting' && s.opening !== undefined).map((s) => s.opening!);
    // A session marked connecting whose connect has not begun yet (a listener of connect:before
    // called back into the pool): nothing to wait for, so say so rather than wait forever.
    if (opening.length === 0) {
      return Promise.reject(
        new UpstreamUnavailableError(`${this.label} has no connect in progress to wait for`, {
          data: { server: this.up.server, upstream: this.up.id, sent: false },
        }),
      );
    }
    return new Promise<Session>((resolve, reject) => {
      let left = opening.length;
      for (const p of opening) {
        p.then(resolve, (error: unknown) => {
          if (--left === 0) reject(error);
        });
      }
    });
  }

  // ------------------------------------------------------------ letting go

  /** Stops supervision, fails waiting calls with `error` and closes every session with `reason`. */
  shutdown(error: Error, reason: ExitReason): Promise<void>[] {
    clearTimeout(this.restartTimer);
    // A caller's session closing (idle) must not fail the calls waiting for its upstream's slots.
    if (this.ownsBulkhead) this.bulkhead.rejectAll(error);
    return [...this.sessions].map((s) => this.closeSession(s, reason));
  }

  /** This group's part of `bridge.pool()`. */
  snapshot(now: number): PoolUpstreamSnapshot {
    return {
      server: this.up.server,
      upstream: this.up.id,
      kind: this.up.kind,
      sessions: this.sessions
        .filter((s) => s.state !== 'closed')
        .map((s) => ({
          id: s.id,
          state: s.state as 'connecting' | 'ready' | 'draining',
          ...pidOf(s),
          inFlight: s.inFlight,
          ageMs: s.readyAt ? now - s.readyAt : 0,
          idleMs: s.lastUsed ? now - s.lastUsed : 0,
        })),
      running: this.bulkhead.running,
      pending: this.bulkhead.pending,
      maxConcurrent: this.bulkhead.maxConcurrent,
      maxPending: this.bulkhead.maxPending,
      restarts: this.restarts,
      failures: this.failures,
      crashLoop: this.crashLoop,
      nextStartInMs: Math.max(0, this.retryAt - now),
      ...(this.lastError ? { lastError: this.lastError.message } : {}),
    };
  }
}
