import { createHash } from 'node:crypto';
import { TimeoutError, type CallContext, type Next } from '@mcp-bridge/core';
import { canonicalParams } from './canonical.js';
import { deepFreeze, isAvailabilityError, isEntry, jsonRpcCode, negativeError, negativePayload, type Entry } from './entry.js';
import type { L2 } from './l2.js';
import { Lru, type EvictionReason } from './lru.js';
import type { ResolvedCacheOptions } from './options.js';
import type { Rule, Rules } from './rules.js';
import type { StatsBook } from './stats.js';

/** What an invalidation covers; an absent field matches everything. */
export interface Scope {
  server?: string | undefined;
  method?: string | undefined;
  /** Upstream tool name (`tools/call`) or upstream URI (`resources/read`). */
  sub?: string | undefined;
}

/** How the cache answered a call (also in `ctx.state.cache`). */
export type CacheOutcome = 'l1' | 'l2' | 'stale' | 'miss' | 'coalesced';

/** Hooks the plugin gives the engine (events, only built when someone listens). */
export interface ResultCacheHooks {
  hit?(ctx: CallContext, level: 'l1' | 'l2', negative: boolean): void;
  stale?(ctx: CallContext, reason: 'revalidate' | 'error', error: unknown): void;
  miss?(ctx: CallContext, coalesced: boolean): void;
  evict?(server: string, method: string, reason: EvictionReason): void;
}

/**
 * Sends a background refresh as a call of its own through the bridge's whole pipeline (the plugin
 * wires it to `bridge.request` with `origin: 'revalidate'`, by which the cache phase knows it).
 * `params` are in upstream form, without `_meta`.
 */
export type RefreshCall = (server: string, method: string, params: Record<string, unknown>, caller: string | undefined, signal: AbortSignal) => Promise<unknown>;

/** An entry in the in-process LRU, with what invalidation and stats need (no lookups on a hit). */
interface Held {
  entry: Entry;
  rule: Rule;
  sub: string | undefined;
}

/** A caller waiting on a flight without a timer of its own yet: its deadline is the flight's latest. */
interface Waiter {
  deadline: number;
  /** Starts the caller's own timer (a later caller moved the flight's deadline past this one's). */
  arm(): void;
}

/** One upstream call (or L2 read) shared by every identical miss that arrives while it runs. */
interface Flight {
  promise: Promise<unknown>;
  key: string;
  server: string;
  method: string;
  sub: string | undefined;
  /** The latest deadline among the callers waiting: the shared call runs until then (`ctx.deadline` of the fill). */
  deadline: number;
  /** The context the shared call runs with (the first caller's): its deadline is moved when a later caller joins. */
  ctx: CallContext;
  /** Callers whose deadline is the flight's and so have no timer; armed when a later caller extends it. */
  untimed: Set<Waiter>;
  /** Aborts the shared call; only made when the first caller had a signal. */
  controller: AbortController | undefined;
  /** Callers with a signal still waiting. */
  active: number;
  /** A caller without a signal waits: the call runs to the end whatever the others do. */
  pinned: boolean;
}

/** An invalidation: when (for entries from other instances, by their as-of time) and its sequence (for this instance's calls). */
interface Mark {
  at: number;
  seq: number;
}

const SHARED = 's';
const ANONYMOUS = 'a';
const ANY = '*';
const MAX_MARKS = 10_000;

/**
 * The cache engine: the `cache`-phase middleware body, the two levels, single-flight, stale
 * serving, invalidation. The plugin wires it to the bridge.
 */
export class ResultCache {
  readonly #options: ResolvedCacheOptions;
  readonly #rules: Rules;
  readonly #stats: StatsBook;
  readonly #l1: Lru<Held> | undefined;
  readonly #l2: L2 | undefined;
  readonly #flights = new Map<string, Flight>();
  readonly #marks = new Map<string, Mark>();
  /** The latest of the marks pruned away, covering every server, method and sub (see {@link #pruneMarks}). */
  readonly #floor: Mark = { at: -Infinity, seq: 0 };
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #keepMs: number;
  /** Background refreshes under way, by key; each has its own signal (aborted by `clear()`). */
  readonly #refreshing = new Map<string, AbortController>();
  #seq = 0;
  hooks: ResultCacheHooks = {};
  /** How stale-while-revalidate refreshes are sent; without it, stale entries are served but never refreshed in the background. */
  refresh: RefreshCall | undefined;
  evictions = 0;
  invalidations = 0;

  constructor(options: ResolvedCacheOptions, rules: Rules, stats: StatsBook, l2: L2 | undefined, keepMs: number) {
    this.#options = options;
    this.#rules = rules;
    this.#stats = stats;
    this.#l2 = l2;
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#keepMs = keepMs;
    if (options.l1 !== false) {
      this.#l1 = new Lru<Held>(options.l1.maxEntries ?? 10_000, options.l1.maxBytes ?? 64 * 1024 * 1024, (_key, held, reason) => {
        if (reason === 'replaced') return;
        if (reason === 'entries' || reason === 'bytes' || reason === 'expired') this.evictions++;
        this.hooks.evict?.(held.rule.server, held.rule.method, reason);
      });
    }
  }

  /** Entries and estimated bytes in the LRU. */
  memory(): { entries: number; bytes: number } {
    return { entries: this.#l1?.size ?? 0, bytes: this.#l1?.bytes ?? 0 };
  }

  // ---------------------------------------------------------------- the middleware

  /** The `cache` phase: answer from L1, else share one fill (L2, then upstream) among identical misses. */
  handle(ctx: CallContext, next: Next): Promise<unknown> {
    const rule = this.#rules.of(ctx);
    // Already cancelled: nothing to share; let the pipeline reject it as it would without a cache.
    if (rule === null || ctx.signal?.aborted === true) return next();
    let partition: string;
    if (rule.scope === SHARED_SCOPE) partition = SHARED;
    else if (ctx.caller !== undefined) partition = `p${JSON.stringify(ctx.caller)}`;
    else if (this.#options.anonymous === 'cache') partition = ANONYMOUS;
    else return next();
    const params = canonicalParams(ctx.params, this.#options.maxKeyLength);
    if (params === undefined) return next();
    const key = `${ctx.server}\u0000${ctx.method}\u0000${partition}\u0000${params}`;
    // This cache's own refresh (sent with origin `revalidate`) for a key it is refreshing.
    if (ctx.origin === 'revalidate') {
      const refreshing = this.#refreshing.get(key);
      if (refreshing !== undefined) return this.#refill(ctx, next, key, rule, refreshing.signal);
    }

    let stale: Entry | undefined;
    const held = this.#l1?.get(key);
    if (held !== undefined) {
      const entry = held.entry;
      const now = this.#now();
      if (now < entry.f) return this.#hit(ctx, rule, entry, 'l1');
      if (now < entry.s) {
        this.#serveStale(ctx, rule, 'revalidate', undefined);
        this.#revalidate(ctx, key);
        return entry.x ? Promise.reject(negativeError(entry)) : Promise.resolve(entry.v);
      }
      if (now < entry.e) stale = entry;
      else this.#l1!.delete(key, 'expired');
    }

    const flight = this.#flights.get(key);
    if (flight !== undefined && flight.controller?.signal.aborted !== true) {
      rule.serverStats.coalesced++;
      if (rule.toolStats !== undefined) rule.toolStats.coalesced++;
      (ctx.state as { cache?: CacheOutcome }).cache = 'coalesced';
      this.hooks.miss?.(ctx, true);
      return this.#join(flight, ctx.signal, ctx.deadline);
    }
    const signal = ctx.signal;
    const started = this.#start(ctx, next, key, rule, subOf(ctx), stale, false);
    return this.#join(started, signal, ctx.deadline);
  }

  #hit(ctx: CallContext, rule: Rule, entry: Entry, level: 'l1' | 'l2'): Promise<unknown> {
    const server = rule.serverStats;
    const tool = rule.toolStats;
    (ctx.state as { cache?: CacheOutcome }).cache = level;
    if (entry.x !== undefined) {
      server.negativeHits++;
      if (tool !== undefined) tool.negativeHits++;
      this.hooks.hit?.(ctx, level, true);
      return Promise.reject(negativeError(entry));
    }
    server.hits++;
    server[level]++;
    if (tool !== undefined) {
      tool.hits++;
      tool[level]++;
    }
    this.hooks.hit?.(ctx, level, false);
    return Promise.resolve(entry.v);
  }

  #serveStale(ctx: CallContext, rule: Rule, reason: 'revalidate' | 'error', error: unknown): void {
    const field = reason === 'revalidate' ? 'staleWhileRevalidate' : 'staleIfError';
    rule.serverStats[field]++;
    if (rule.toolStats !== undefined) rule.toolStats[field]++;
    (ctx.state as { cache?: CacheOutcome }).cache = 'stale';
    this.hooks.stale?.(ctx, reason, error);
  }

  /**
   * One background refresh per key: skipped when a call for the key is already in flight or being
   * refreshed. The refresh is a call of its own (`refresh`, through the whole pipeline), never
   * `next()` of the call that got the stale answer: that call has settled, and the middleware
   * outside the cache (logs, metrics, traces, policy) is done with it. Its own signal lets
   * `clear()` (on close) cancel it.
   */
  #revalidate(ctx: CallContext, key: string): void {
    if (this.refresh === undefined || this.#flights.has(key) || this.#refreshing.has(key)) return;
    const controller = new AbortController();
    this.#refreshing.set(key, controller);
    const { _meta: _perRequest, ...params } = ctx.params;
    let sent: Promise<unknown>;
    try {
      sent = this.refresh(ctx.server, ctx.method, params, ctx.caller, controller.signal);
    } catch (error) {
      sent = Promise.reject(error);
    }
    // A failed refresh leaves the stale entry as it is: the next call after its window goes upstream.
    void sent.then(
      () => this.#refreshDone(key, controller),
      () => this.#refreshDone(key, controller),
    );
  }

  #refreshDone(key: string, controller: AbortController): void {
    if (this.#refreshing.get(key) === controller) this.#refreshing.delete(key);
  }

  /** The refresh call arriving in the `cache` phase: fetch and store, without looking up what it replaces. */
  #refill(ctx: CallContext, next: Next, key: string, rule: Rule, signal: AbortSignal): Promise<unknown> {
    // A caller's miss got there first: its answer is the refresh.
    const current = this.#flights.get(key);
    if (current !== undefined && current.controller?.signal.aborted !== true) return this.#join(current, signal, ctx.deadline);
    const flight = this.#start(ctx, next, key, rule, subOf(ctx), undefined, true);
    // Callers that join it must not cancel it by leaving; only the refresh's own signal does.
    flight.pinned = true;
    signal.addEventListener('abort', () => this.#cancel(flight, signal.reason), { once: true });
    return flight.promise;
  }

  // ---------------------------------------------------------------- single-flight

  #start(ctx: CallContext, next: Next, key: string, rule: Rule, sub: string | undefined, stale: Entry | undefined, revalidating: boolean): Flight {
    const flight: Flight = {
      promise: undefined as unknown as Promise<unknown>,
      key,
      server: rule.server,
      method: rule.method,
      sub,
      deadline: ctx.deadline,
      ctx,
      untimed: new Set(),
      controller: undefined,
      active: 0,
      pinned: false,
    };
    if (ctx.signal !== undefined) {
      // The shared call is cancelled only when every caller waiting on it has cancelled.
      flight.controller = new AbortController();
      ctx.signal = flight.controller.signal;
    }
    this.#flights.set(key, flight);
    // Every caller waiting gets the same object: frozen, like an L1 hit, whether or not it was cached
    // (l1 off, too big, isError, not stored), so one caller cannot change what another sees.
    flight.promise = this.#fill(ctx, next, key, rule, sub, stale, revalidating, flight).then((value) => {
      deepFreeze(value);
      return value;
    });
    // Every waiter handles the outcome; a refresh nobody waits for must not be an unhandled rejection.
    flight.promise.catch(() => undefined);
    return flight;
  }

  /**
   * Waits on a flight for one caller, who may leave early: its signal, or its deadline when a
   * caller with a later one moved the flight's past it. A later deadline than the flight's extends
   * the shared call's (an attempt already sent keeps the time it was sent with).
   */
  #join(flight: Flight, signal: AbortSignal | undefined, deadline: number): Promise<unknown> {
    if (signal?.aborted === true) return Promise.reject(signal.reason);
    if (deadline > flight.deadline) this.#extend(flight, deadline);
    if (signal === undefined) flight.pinned = true;
    else flight.active++;
    return new Promise((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      let waiter: Waiter | undefined;
      const leave = (): void => {
        clearTimeout(timer);
        if (waiter !== undefined) flight.untimed.delete(waiter);
        if (signal === undefined) return;
        signal.removeEventListener('abort', onAbort);
        flight.active--;
      };
      const onAbort = (): void => {
        leave();
        reject(signal!.reason);
        if (flight.active === 0 && !flight.pinned) this.#cancel(flight, signal!.reason);
      };
      const arm = (): void => {
        timer = setTimeout(
          () => {
            leave();
            reject(new TimeoutError(`a shared ${flight.method} call to server "${flight.server}" did not answer within this call's deadline`, { plugin: PLUGIN, data: { server: flight.server, method: flight.method } }));
          },
          Math.max(0, deadline - Date.now()),
        );
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      if (deadline < flight.deadline) arm();
      else {
        // The shared call runs to this caller's deadline: it times out on its own, unless a later caller extends it.
        waiter = { deadline, arm };
        flight.untimed.add(waiter);
      }
      flight.promise.then(
        (value) => {
          leave();
          resolve(value);
        },
        (error: unknown) => {
          leave();
          reject(error);
        },
      );
    });
  }

  /** Moves the shared call's deadline to `deadline`; callers whose deadline is now earlier get their own timer. */
  #extend(flight: Flight, deadline: number): void {
    flight.deadline = deadline;
    flight.ctx.deadline = deadline;
    for (const waiter of flight.untimed) {
      if (waiter.deadline < deadline) {
        flight.untimed.delete(waiter);
        waiter.arm();
      }
    }
  }

  /** Cancels a shared call nobody waits for any more; a caller arriving next starts a call of its own instead of joining it. */
  #cancel(flight: Flight, reason: unknown): void {
    if (flight.controller === undefined) return;
    flight.controller.abort(reason);
    if (this.#flights.get(flight.key) === flight) this.#flights.delete(flight.key);
  }

  /** L2, then the upstream; stores what it gets; serves stale on availability errors. */
  async #fill(
    ctx: CallContext,
    next: Next,
    key: string,
    rule: Rule,
    sub: string | undefined,
    stale: Entry | undefined,
    revalidating: boolean,
    flight: Flight,
  ): Promise<unknown> {
    let l2Key: string | undefined;
    let refreshAfter = false;
    try {
      if (this.#l2 !== undefined) {
        l2Key = this.#l2Key(key, rule);
        const raw = await this.#l2.get(l2Key);
        const entry = isEntry(raw) && raw.k === key && raw.t > this.#markAt(rule.server, rule.method, sub) ? raw : undefined;
        if (entry !== undefined) {
          const now = this.#now();
          if (now < entry.f) {
            this.#hold(key, entry, rule, sub);
            return revalidating ? entry.v : await this.#hit(ctx, rule, entry, 'l2');
          }
          if (!revalidating && now < entry.s) {
            // Another instance's entry, stale but within its window: answer now, refresh once behind.
            this.#hold(key, entry, rule, sub);
            this.#serveStale(ctx, rule, 'revalidate', undefined);
            refreshAfter = true;
            if (entry.x !== undefined) throw negativeError(entry);
            return entry.v;
          }
          if (!revalidating && now < entry.e && (stale === undefined || entry.t > stale.t)) stale = entry;
        }
      }
      if (!revalidating) {
        rule.serverStats.misses++;
        if (rule.toolStats !== undefined) rule.toolStats.misses++;
        (ctx.state as { cache?: CacheOutcome }).cache = 'miss';
        this.hooks.miss?.(ctx, false);
      }
      const seq = this.#seq;
      const asOf = this.#now();
      let value: unknown;
      try {
        value = await next();
      } catch (error) {
        if (stale !== undefined && isAvailabilityError(error, ctx.signal) && this.#now() < stale.e) {
          this.#serveStale(ctx, rule, 'error', error);
          if (stale.x !== undefined) throw negativeError(stale);
          return stale.v;
        }
        const code = jsonRpcCode(error);
        if (code !== undefined && this.#options.negativeTtl > 0 && this.#options.negativeCodes.includes(code)) {
          this.#store(key, l2Key, rule, sub, undefined, negativePayload(error as Error, code), asOf, seq, this.#options.negativeTtl);
        }
        rule.serverStats.errors++;
        if (rule.toolStats !== undefined) rule.toolStats.errors++;
        throw error;
      }
      // An isError tool result is the tool failing: never replayed to the next caller.
      if (rule.method === 'tools/call' && (value as { isError?: unknown } | null)?.isError === true) return value;
      this.#store(key, l2Key, rule, sub, value, undefined, asOf, seq, rule.ttl);
      return value;
    } finally {
      if (this.#flights.get(key) === flight) this.#flights.delete(key);
      if (refreshAfter) this.#revalidate(ctx, key);
    }
  }

  // ---------------------------------------------------------------- the two levels

  #l2Key(key: string, rule: Rule): string {
    // Readable prefix for people looking at Redis; the hash covers partition and params (a caller id never appears in clear).
    const hash = createHash('sha256').update(key).digest('base64url');
    return `${this.#options.namespace}:v1:${rule.server}:${rule.method}${rule.tool === undefined ? '' : `:${rule.tool}`}:${hash}`;
  }

  /** Puts an entry (from L2, or just made) into the LRU. */
  #hold(key: string, entry: Entry, rule: Rule, sub: string | undefined, bytes?: number): void {
    if (this.#l1 === undefined) return;
    deepFreeze(entry.v);
    let size = bytes;
    if (size === undefined) {
      try {
        size = key.length + JSON.stringify(entry.v ?? null).length;
      } catch {
        return;
      }
    }
    this.#l1.set(key, { entry, rule, sub }, size);
  }

  #store(
    key: string,
    l2Key: string | undefined,
    rule: Rule,
    sub: string | undefined,
    value: unknown,
    negative: Entry['x'],
    asOf: number,
    seq: number,
    ttl: number,
  ): void {
    // Invalidated while the call ran: the answer may predate the change.
    if (this.#markSeq(rule.server, rule.method, sub) > seq) return;
    let size: number;
    try {
      size = key.length + JSON.stringify(negative ?? value ?? null).length;
    } catch {
      return;
    }
    if (size > this.#options.maxEntryBytes) return;
    const jittered = Math.max(1, Math.round(ttl * (1 - this.#options.jitter * this.#random())));
    const fresh = asOf + jittered;
    const negativeEntry = negative !== undefined;
    const entry: Entry = {
      v: negativeEntry ? null : value,
      t: asOf,
      f: fresh,
      s: negativeEntry ? fresh : fresh + rule.staleWhileRevalidate,
      e: negativeEntry ? fresh : fresh + rule.staleIfError,
      k: key,
      ...(negativeEntry ? { x: negative } : {}),
    };
    this.#hold(key, entry, rule, sub, size);
    rule.serverStats.stores++;
    if (rule.toolStats !== undefined) rule.toolStats.stores++;
    if (this.#l2 !== undefined && l2Key !== undefined) {
      const keepMs = Math.max(entry.s, entry.e) - this.#now();
      if (keepMs > 0) this.#l2.set(l2Key, entry, keepMs);
    }
  }

  // ---------------------------------------------------------------- invalidation

  /**
   * Drops what `scope` covers: L1 entries at once, calls in flight are no longer joined (and will
   * not store), and L2 entries written before now are ignored by this instance from now on.
   * Returns how many L1 entries were dropped.
   */
  invalidate(scope: Scope): number {
    const mark: Mark = { at: this.#now(), seq: ++this.#seq };
    const mk = markKey(scope.server ?? ANY, scope.method ?? ANY, scope.sub ?? ANY);
    // Delete first: Map.set on an existing key keeps its old place, and pruning drops the oldest places first.
    this.#marks.delete(mk);
    this.#marks.set(mk, mark);
    if (this.#marks.size > MAX_MARKS) this.#pruneMarks(mark.at);
    const matches = (server: string, method: string, sub: string | undefined): boolean =>
      (scope.server === undefined || scope.server === server) &&
      (scope.method === undefined || scope.method === method) &&
      (scope.sub === undefined || scope.sub === sub);
    for (const [key, flight] of this.#flights) if (matches(flight.server, flight.method, flight.sub)) this.#flights.delete(key);
    const removed = this.#l1?.deleteWhere((held) => matches(held.rule.server, held.rule.method, held.sub)) ?? 0;
    this.invalidations += removed;
    return removed;
  }

  /** Drops L1 entries `drop` selects (used when a tool stops being cacheable). */
  dropWhere(drop: (server: string, method: string, sub: string | undefined) => boolean): number {
    const removed = this.#l1?.deleteWhere((held) => drop(held.rule.server, held.rule.method, held.sub)) ?? 0;
    this.invalidations += removed;
    return removed;
  }

  #marksFor(server: string, method: string, sub: string | undefined): (Mark | undefined)[] {
    return [
      this.#marks.get(markKey(ANY, ANY, ANY)),
      this.#marks.get(markKey(server, ANY, ANY)),
      this.#marks.get(markKey(ANY, method, ANY)),
      this.#marks.get(markKey(server, method, ANY)),
      sub === undefined ? undefined : this.#marks.get(markKey(server, method, sub)),
      sub === undefined ? undefined : this.#marks.get(markKey(ANY, method, sub)),
    ];
  }

  /**
   * Time of the latest invalidation covering these calls (-Infinity when none): L2 entries as of
   * then or before are ignored (one from the same millisecond may predate it).
   */
  #markAt(server: string, method: string, sub: string | undefined): number {
    let at = this.#floor.at;
    if (this.#marks.size === 0) return at;
    for (const m of this.#marksFor(server, method, sub)) if (m !== undefined && m.at >= at) at = m.at;
    return at;
  }

  #markSeq(server: string, method: string, sub: string | undefined): number {
    let seq = this.#floor.seq;
    if (this.#marks.size === 0) return seq;
    for (const m of this.#marksFor(server, method, sub)) if (m !== undefined && m.seq > seq) seq = m.seq;
    return seq;
  }

  /**
   * Keeps the marks bounded. A dropped mark is folded into {@link #floor}, which covers every call:
   * a call in flight since before it still does not store, and L2 entries as of then or before are
   * still ignored. Marks older than the longest an entry can live cost nothing there; dropping
   * newer ones (a flood of resources/updated) costs extra misses until the floor ages out, never a
   * stale answer.
   */
  #pruneMarks(now: number): void {
    for (const [key, mark] of this.#marks) if (mark.at < now - this.#keepMs) this.#drop(key, mark);
    // Still too many: keep the newest half (invalidate() moves a key to the end on every mark).
    if (this.#marks.size > MAX_MARKS) {
      let drop = this.#marks.size - MAX_MARKS / 2;
      for (const [key, mark] of this.#marks) {
        if (drop-- <= 0) break;
        this.#drop(key, mark);
      }
    }
  }

  #drop(key: string, mark: Mark): void {
    this.#marks.delete(key);
    if (mark.at > this.#floor.at) this.#floor.at = mark.at;
    if (mark.seq > this.#floor.seq) this.#floor.seq = mark.seq;
  }

  /** Forget everything held in memory (not L2), and cancel the background refreshes. */
  clear(): void {
    this.#l1?.clear();
    this.#flights.clear();
    for (const controller of this.#refreshing.values()) controller.abort(new Error('[mcp-bridge] [@mcp-bridge/cache] the cache closed'));
    this.#refreshing.clear();
  }

  get stats(): StatsBook {
    return this.#stats;
  }
}

const SHARED_SCOPE = 'shared';
const PLUGIN = '@mcp-bridge/cache';

function markKey(server: string, method: string, sub: string): string {
  return `${server}\u0000${method}\u0000${sub}`;
}

/** What a call's entries are invalidated by, besides server and method: the tool, or the resource URI. */
function subOf(ctx: CallContext): string | undefined {
  if (ctx.method === 'tools/call' || ctx.method === 'resources/read') {
    const v = ctx.method === 'tools/call' ? ctx.params.name : ctx.params.uri;
    return typeof v === 'string' ? v : undefined;
  }
  return undefined;
}
