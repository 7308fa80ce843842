import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { BridgeStateError, upstreamOf, type CallContext, type Pool, type PoolHost, type Upstream } from '@mcp-bridge/core';
import type { Connection } from '@mcp-bridge/transports';
import type { PoolEvents } from './events.js';
import { callWithSlot } from './group-calls.js';
import { UpstreamGroup, type GroupContext } from './group.js';
import type { ResolvedPoolOptions } from './options.js';
import { noop, PLUGIN, removedError } from './session.js';
import type { PoolSnapshot } from './snapshot.js';

/** A pool with a snapshot of its state. */
export interface SessionPool extends Pool {
  /** Sessions, calls and restarts per upstream id. */
  snapshot(): PoolSnapshot;
}

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
  return new SupervisedSessionPool(host, options, events);
}

/**
 * The pool: one {@link UpstreamGroup} per upstream, created on first use. Each group supervises its
 * own sessions; this class only finds groups, admits calls through their bulkheads and lets go of
 * groups when a server is removed or the pool closes.
 */
class SupervisedSessionPool implements SessionPool {
  private readonly groups = new Map<Upstream, UpstreamGroup>();
  /** Upstreams of removed servers: a call that picked one before the removal must not reopen it. */
  private readonly released = new WeakSet<Upstream>();
  private readonly closing = new AbortController();
  private closed = false;
  private readonly context: GroupContext;

  constructor(
    host: PoolHost,
    private readonly options: ResolvedPoolOptions,
    private readonly events: PoolEvents,
  ) {
    this.context = { host, events, random: options.random, signal: this.closing.signal, closed: () => this.closed };
  }

  private groupOf(up: Upstream): UpstreamGroup {
    let g = this.groups.get(up);
    if (g) return g;
    if (this.closed) throw new BridgeStateError('the bridge is closed', { plugin: PLUGIN });
    if (this.released.has(up)) throw removedError(up);
    // A caller's session (core's per-caller sessions) shares the bulkhead of its upstream: maxConcurrent is per real upstream.
    const real = upstreamOf(up);
    g = new UpstreamGroup(up, this.options.settingsFor(up), this.context, real === up ? undefined : this.groupOf(real).bulkhead);
    this.groups.set(up, g);
    return g;
  }

  run<T>(up: Upstream, ctx: CallContext, fn: (client: Client, ctx: CallContext) => Promise<T>): Promise<T> {
    let g: UpstreamGroup;
    let permit: Promise<void> | undefined;
    try {
      g = this.groupOf(up);
      permit = g.bulkhead.acquire(ctx);
    } catch (error) {
      this.overloaded(up, ctx);
      return Promise.reject(error);
    }
    return permit ? permit.then(() => callWithSlot(g, ctx, fn)) : callWithSlot(g, ctx, fn);
  }

  /** Reports a call the bulkhead refused (or that found no group at all: then nothing is reported). */
  private overloaded(up: Upstream, ctx: CallContext): void {
    const b = this.groups.get(up)?.bulkhead;
    if (!b || !this.events.hasListeners('pool:overload')) return;
    this.events.emit('pool:overload', {
      server: up.server,
      upstream: up,
      method: ctx.method,
      running: b.running,
      pending: b.pending,
      maxConcurrent: b.maxConcurrent,
      maxPending: b.maxPending,
    });
  }

  async warm(up: Upstream): Promise<void> {
    const g = this.groupOf(up);
    const wanted = Math.max(g.settings.minSessions, 1);
    while (g.live() < wanted && g.canOpen()) g.open('warm').catch(noop);
    if (g.sessions.some((s) => s.state === 'ready')) return;
    if (!g.sessions.some((s) => s.state === 'connecting')) throw g.unavailable();
    await g.firstReady();
  }

  connection(up: Upstream): Connection | undefined {
    const g = this.groups.get(up);
    return g?.sessions.find((s) => s.state === 'ready')?.conn ?? g?.sessions.find((s) => s.state === 'draining')?.conn;
  }

  async release(up: Upstream): Promise<void> {
    this.released.add(up);
    const g = this.groups.get(up);
    if (!g) return;
    this.groups.delete(up);
    g.detached = true;
    await Promise.allSettled(g.shutdown(removedError(up), 'released'));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    const all = [...this.groups.values()];
    // Exit events first, while the bridge still delivers them.
    const closes = all.flatMap((g) => g.shutdown(new BridgeStateError('the bridge is closing', { plugin: PLUGIN }), 'closed'));
    this.closed = true;
    this.closing.abort(new BridgeStateError('the bridge is closing', { plugin: PLUGIN }));
    for (const g of all) g.detached = true;
    this.groups.clear();
    await Promise.allSettled(closes);
  }

  snapshot(): PoolSnapshot {
    const out: PoolSnapshot = {};
    const now = Date.now();
    for (const g of this.groups.values()) out[g.up.id] = g.snapshot(now);
    return out;
  }
}
