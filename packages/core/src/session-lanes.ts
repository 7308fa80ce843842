import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { waitForCall } from './call-wait.js';
import { isStateless, LaneUpstream, upstreamOf } from './lane-upstream.js';
import { OverloadedError, TimeoutError } from './errors.js';
import type { CallContext, CallLink, Pool, SessionsMode, Upstream } from './types.js';

// Per-caller upstream sessions (docs/sessions.md): the layer between the terminal and the Pool
// service. Each upstream keeps "lanes": its own (the base lane, which the catalog uses too) and,
// for callers, more lanes opened lazily. The pool sees a lane as an upstream of its own, so core's
// default pool and the pool plugin both work unchanged; health, breaker and metrics keep seeing
// the real upstream (ctx.upstream), and the connect events name it too (see upstreams.ts).

export { isStateless, upstreamOf } from './lane-upstream.js';

/** Default `maxSessionsPerUpstream`. */
export const DEFAULT_MAX_SESSIONS = 32;
/** Default `sessionIdleMs`. */
export const DEFAULT_SESSION_IDLE_MS = 60_000;
/**
 * A session released by one caller is not lent to another caller for this long while a session
 * past its quiet period is free, or while fewer than two resting sessions are free and there is
 * room for a new one: a request its upstream sends just after the call returned then finds no
 * holder (and is refused) instead of reaching the next caller. Back-to-back callers (many short
 * client sessions) so take turns on two upstream sessions, each resting while the other works.
 */
export const QUIET_MS = 1_000;
/**
 * A new session of a server that asks for roots (one of its sessions did) waits this long, at most,
 * for the upstream's `roots/list` before its first call is sent: such a server (server-filesystem)
 * asks right after `initialize`, and a call sent before it adopted the caller's roots would be
 * judged against the server's configured folders.
 */
export const ROOTS_WAIT_MS = 2_000;
/**
 * After answering that `roots/list`, the first call waits this much longer: a server adopts roots
 * asynchronously after the answer (server-filesystem resolves each folder on disk first), and
 * nothing in the protocol says when it is done. Paid once per new session, next to a process start.
 */
export const ROOTS_SETTLE_MS = 250;

/** What a gateway may know about one upstream connection (an SDK client). */
export interface UpstreamSessionView {
  /** The server's `sessions` mode. */
  readonly mode: SessionsMode;
  /** The link of the call that holds the session now (`undefined`: it is free, or shared). */
  readonly holder: CallLink | undefined;
  /** The roots fingerprint the session is bound to (`undefined`: it never answered `roots/list`). */
  readonly rootsKey: string | undefined;
  /** The session answered `roots/list` with roots of fingerprint `key`: from now on it is lent only to callers with those roots. */
  bindRoots(key: string): void;
}

interface Lane {
  /** What the pool is given: the real upstream for the base lane, a LaneUpstream otherwise. */
  readonly up: Upstream;
  readonly base: boolean;
  /** `per-client` / `per-principal`: the only caller it serves. */
  readonly owner: string | undefined;
  /** The caller whose calls are in flight on it. */
  holder: string | undefined;
  holderLink: CallLink | undefined;
  lastHolder: string | undefined;
  inFlight: number;
  releasedAt: number;
  rootsKey: string | undefined;
  /** `per-principal`: the owner's latest OAuth token (its calls' `CallLink.subjectToken`), for token exchange at connect. */
  subjectToken: (() => string | undefined) | undefined;
  /** Calls waiting for the first `roots/list` of this session (see {@link ROOTS_WAIT_MS}). */
  readonly rootsWaiters: Set<() => void>;
  idleTimer: NodeJS.Timeout | undefined;
  closed: boolean;
}

interface LaneSet {
  readonly real: Upstream;
  readonly lanes: Lane[];
  /** Calls waiting for a lane (the cap was reached): woken when one is freed. */
  readonly waiters: Set<() => void>;
  next: number;
  /** One of the server's sessions asked for roots: new sessions wait for their own ask before the first call. */
  asksRoots: boolean;
}

function newLane(up: Upstream, base: boolean, owner?: string): Lane {
  return {
    up,
    base,
    owner,
    holder: undefined,
    holderLink: undefined,
    lastHolder: undefined,
    inFlight: 0,
    releasedAt: 0,
    rootsKey: undefined,
    subjectToken: undefined,
    rootsWaiters: new Set(),
    idleTimer: undefined,
    closed: false,
  };
}

/** The server's `sessions` mode. */
export function sessionsMode(up: Upstream): SessionsMode {
  // An upstream called with the caller's own credentials (`auth`) gets a session per principal.
  return up.config.sessions ?? ((up.config as { auth?: unknown }).auth !== undefined ? 'per-principal' : 'auto');
}

/**
 * The lanes of every upstream. `run` stands where the terminal called `pool.run`: a call of a
 * caller (a linked call whose link names its client) of a server not `shared` runs on a lane its
 * caller holds; anything else (the catalog, probes, shared servers) on the base lane, as before.
 */
export class SessionLanes {
  readonly #pool: () => Pool;
  readonly #sets = new Map<Upstream, LaneSet>();
  readonly #byUp = new WeakMap<Upstream, { set: LaneSet; lane: Lane }>();
  readonly #byClient = new WeakMap<Client, { set: LaneSet; lane: Lane }>();

  constructor(pool: () => Pool) {
    this.#pool = pool;
  }

  /** The real upstream behind what the pool was given (itself for a real one). */
  realOf(up: Upstream): Upstream {
    return upstreamOf(up);
  }

  /** Whether `up` is a caller lane (not an upstream of the config). */
  isLane(up: Upstream): boolean {
    return up instanceof LaneUpstream;
  }

  /** A new SDK client for `up` (a real upstream or a lane): what it asks belongs to that lane. */
  clientCreated(up: Upstream, client: Client): void {
    const found = this.#byUp.get(up) ?? (up instanceof LaneUpstream ? undefined : this.#baseOf(up));
    if (found) this.#byClient.set(client, found);
  }

  /**
   * Who a `per-principal` lane acts for, for the transport's per-caller credentials (an upstream's
   * `auth`): its owner, and the owner's latest token. Undefined for the base lane (the gateway itself).
   */
  principalOf(up: Upstream): { id: string; subjectToken(): string | undefined } | undefined {
    const found = this.#byUp.get(up);
    if (found === undefined || found.lane.owner === undefined || sessionsMode(found.set.real) !== 'per-principal') return undefined;
    const { lane } = found;
    return { id: found.lane.owner, subjectToken: () => lane.subjectToken?.() };
  }

  /** What is known of the session behind an upstream client. */
  view(client: Client): UpstreamSessionView | undefined {
    const found = this.#byClient.get(client);
    if (!found) return undefined;
    const { lane, set } = found;
    return {
      mode: sessionsMode(set.real),
      holder: lane.holderLink,
      rootsKey: lane.rootsKey,
      bindRoots: (key) => {
        lane.rootsKey = key;
        set.asksRoots = true;
        for (const wake of lane.rootsWaiters) wake();
        lane.rootsWaiters.clear();
      },
    };
  }

  /** Runs one attempt on a lane of `up` its caller holds (see the class). */
  run<T>(up: Upstream, ctx: CallContext, fn: (client: Client, ctx: CallContext) => Promise<T>): Promise<T> {
    const link = ctx.link;
    const client = link?.client;
    const mode = sessionsMode(up);
    // A stateless upstream gets lanes only for per-principal credentials (`auth`), never for session state.
    const stateless = mode !== 'per-principal' && isStateless(up);
    if (client === undefined || mode === 'shared' || stateless || ctx.origin !== 'caller') return this.#pool().run(up, ctx, fn);
    const key = mode === 'per-principal' ? (ctx.caller ?? client) : client;
    const roots = link!.rootsKey?.() ?? '[]';
    const set = this.#setOf(up);
    const lane = this.#choose(set, mode, key, roots);
    if (lane) return this.#runOn(set, lane, key, ctx, fn);
    return this.#waitAndRun(set, mode, key, roots, ctx, fn);
  }

  /** A server was removed: its caller lanes go (the base lane is the pool's own upstream, released by the caller). */
  async release(up: Upstream): Promise<void> {
    const set = this.#sets.get(up);
    if (!set) return;
    this.#sets.delete(up);
    await Promise.allSettled(set.lanes.filter((l) => !l.base).map((l) => this.#close(set, l)));
  }

  /** The bridge closes: stop the idle timers (the pool closes the connections); calls waiting for a session try again, and fail on the closed pool. */
  close(): void {
    for (const set of this.#sets.values()) {
      for (const lane of set.lanes) clearTimeout(lane.idleTimer);
      this.#wake(set);
    }
    this.#sets.clear();
  }

  #setOf(up: Upstream): LaneSet {
    return this.#sets.get(up) ?? this.#baseOf(up).set;
  }

  #baseOf(up: Upstream): { set: LaneSet; lane: Lane } {
    const existing = this.#byUp.get(up);
    if (existing) return existing;
    const lane = newLane(up, true);
    const set: LaneSet = { real: up, lanes: [lane], waiters: new Set(), next: 1, asksRoots: false };
    this.#sets.set(up, set);
    const found = { set, lane };
    this.#byUp.set(up, found);
    return found;
  }

  /**
   * The lane for a call of `key` with roots `roots`, or `undefined` when every lane is taken and
   * there is no room. `auto`: one the caller holds already, else a free one it held last, else a free
   * one past its quiet period, else a new one, else a free one in its quiet period, else a free one
   * bound to other roots is replaced. `per-client`/`per-principal`: the caller's own, else a new one.
   */
  #choose(set: LaneSet, mode: SessionsMode, key: string, roots: string): Lane | undefined {
    const room = set.lanes.length < maxSessions(set.real);
    if (mode !== 'auto') {
      const own = set.lanes.find((l) => l.owner === key && (l.rootsKey === undefined || l.rootsKey === roots));
      if (own) return own;
      if (room) return this.#open(set, key);
      // At the cap: a free session of another caller makes room (it reopens when that caller returns).
      const idle = set.lanes.find((l) => !l.base && l.holder === undefined);
      if (!idle) return undefined;
      void this.#close(set, idle);
      return this.#open(set, key);
    }
    const now = Date.now();
    let ownFree: Lane | undefined;
    let fresh: Lane | undefined;
    let quiet: Lane | undefined;
    let quietFree = 0;
    let foreign: Lane | undefined;
    for (const lane of set.lanes) {
      const compatible = lane.rootsKey === undefined || lane.rootsKey === roots;
      if (lane.holder === key && compatible) return lane;
      if (lane.holder !== undefined) continue;
      if (!compatible) foreign ??= lane.base ? undefined : lane;
      else if (lane.lastHolder === key) ownFree ??= lane;
      else if (lane.lastHolder === undefined || now - lane.releasedAt >= QUIET_MS) fresh ??= lane;
      else {
        quietFree++;
        // The one released longest ago: back-to-back callers take turns on two sessions.
        if (!quiet || lane.releasedAt < quiet.releasedAt) quiet = lane;
      }
    }
    const free = ownFree ?? fresh;
    if (free) return free;
    // One spare session at most is opened to let a just-released one rest (see QUIET_MS).
    if (room && (quietFree < 2 || !quiet)) return this.#open(set, undefined);
    if (quiet) return quiet;
    if (room) return this.#open(set, undefined);
    if (!foreign) return undefined;
    void this.#close(set, foreign);
    return this.#open(set, undefined);
  }

  #open(set: LaneSet, owner: string | undefined): Lane {
    const lane = newLane(new LaneUpstream(set.real, `${set.real.id}~${set.next++}`), false, owner);
    set.lanes.push(lane);
    this.#byUp.set(lane.up, { set, lane });
    return lane;
  }

  #runOn<T>(set: LaneSet, lane: Lane, key: string, ctx: CallContext, fn: (client: Client, ctx: CallContext) => Promise<T>): Promise<T> {
    lane.inFlight++;
    lane.holder = key;
    lane.holderLink = ctx.link;
    // The owner's newest token source (a caller's link reads its latest token), before any connect.
    const link = ctx.link;
    if (lane.owner !== undefined && link?.subjectToken !== undefined) lane.subjectToken = () => link.subjectToken?.();
    clearTimeout(lane.idleTimer);
    lane.idleTimer = undefined;
    // A server that asks for roots: the first call on a new session waits for that session's ask.
    const send = set.asksRoots && lane.rootsKey === undefined ? afterRoots(lane, fn) : fn;
    let pending: Promise<T>;
    try {
      pending = this.#pool().run(lane.up, ctx, send);
    } catch (error) {
      pending = Promise.reject(error);
    }
    const done = (): void => this.#released(set, lane, key);
    return pending.then(
      (result) => {
        done();
        return result;
      },
      (error: unknown) => {
        done();
        throw error;
      },
    );
  }

  #released(set: LaneSet, lane: Lane, key: string): void {
    if (--lane.inFlight > 0) return;
    lane.holder = undefined;
    lane.holderLink = undefined;
    lane.lastHolder = key;
    lane.releasedAt = Date.now();
    if (!lane.base && !lane.closed) {
      const idleMs = set.real.config.sessionIdleMs ?? DEFAULT_SESSION_IDLE_MS;
      lane.idleTimer = setTimeout(() => {
        if (lane.inFlight === 0) void this.#close(set, lane);
      }, idleMs);
      lane.idleTimer.unref();
    }
    this.#wake(set);
  }

  #wake(set: LaneSet): void {
    const waiters = [...set.waiters];
    set.waiters.clear();
    for (const wake of waiters) wake();
  }

  async #close(set: LaneSet, lane: Lane): Promise<void> {
    if (lane.closed) return;
    lane.closed = true;
    clearTimeout(lane.idleTimer);
    const i = set.lanes.indexOf(lane);
    if (i >= 0) set.lanes.splice(i, 1);
    this.#wake(set);
    await this.#pool().release(lane.up);
  }

  /** Every lane is held and there is no room: wait, within the call's deadline, for one to be freed. */
  async #waitAndRun<T>(
    set: LaneSet,
    mode: SessionsMode,
    key: string,
    roots: string,
    ctx: CallContext,
    fn: (client: Client, ctx: CallContext) => Promise<T>,
  ): Promise<T> {
    for (;;) {
      let wake!: () => void;
      const freed = new Promise<void>((resolve) => (wake = resolve));
      set.waiters.add(wake);
      try {
        await waitForCall(freed, ctx, `a session of server "${set.real.server}"`);
      } catch (error) {
        set.waiters.delete(wake);
        if (!(error instanceof TimeoutError)) throw error;
        const limit = maxSessions(set.real);
        throw new OverloadedError(
          `server "${set.real.server}" has ${limit} upstream sessions (maxSessionsPerUpstream), all held by other callers; none was freed within the call's time limit`,
          { cause: error, data: { server: set.real.server, upstream: set.real.id, maxSessionsPerUpstream: limit, sent: false } },
        );
      }
      const lane = this.#choose(set, mode, key, roots);
      if (lane) return this.#runOn(set, lane, key, ctx, fn);
    }
  }
}

function maxSessions(up: Upstream): number {
  return up.config.maxSessionsPerUpstream ?? DEFAULT_MAX_SESSIONS;
}

/** `fn`, once the lane's upstream asked for roots (or {@link ROOTS_WAIT_MS} passed, or the call was cancelled). */
function afterRoots<T>(lane: Lane, fn: (client: Client, ctx: CallContext) => Promise<T>): (client: Client, ctx: CallContext) => Promise<T> {
  return async (client, ctx) => {
    if (lane.rootsKey === undefined) {
      let wake!: () => void;
      const bound = new Promise<void>((resolve) => (wake = resolve));
      lane.rootsWaiters.add(wake);
      const timer = setTimeout(wake, ROOTS_WAIT_MS);
      const signal = ctx.signal;
      signal?.addEventListener('abort', wake, { once: true });
      try {
        await bound;
        if (lane.rootsKey !== undefined && !signal?.aborted) await new Promise((resolve) => setTimeout(resolve, ROOTS_SETTLE_MS));
      } finally {
        clearTimeout(timer);
        lane.rootsWaiters.delete(wake);
        signal?.removeEventListener('abort', wake);
      }
    }
    return fn(client, ctx);
  };
}
