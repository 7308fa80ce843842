import { createHash } from 'node:crypto';
import type { CallContext, Next, SessionsMode } from '@mcp-bridge/core';
import { canonicalParams, subOf } from './canonical.js';
import type { RefreshCall, ResultCacheHooks } from './engine-types.js';
import { deepFreeze, isAvailabilityError, isEntry, jsonRpcCode, negativeError, negativePayload, type Entry } from './entry.js';
import { InvalidationMarks, type Scope } from './invalidation-marks.js';
import type { L2 } from './l2.js';
import { Lru } from './lru.js';
import { hintedTtl } from './cache-hints.js';
import { partitionOf } from './partition.js';
import type { ResolvedCacheOptions } from './options.js';
import type { Rule, Rules } from './rules.js';
import { Flights, type Flight } from './single-flight.js';
import type { StatsBook } from './stats.js';

export type { Scope } from './invalidation-marks.js';

/** How the cache answered a call (also in `ctx.state.cache`). */
export type CacheOutcome = 'l1' | 'l2' | 'stale' | 'miss' | 'coalesced';

export type { RefreshCall, ResultCacheHooks } from './engine-types.js';

/** An entry in the in-process LRU, with what invalidation and stats need (no lookups on a hit). */
interface Held {
  entry: Entry;
  rule: Rule;
  sub: string | undefined;
}

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
  readonly #flights = new Flights();
  readonly #marks: InvalidationMarks;
  readonly #now: () => number;
  readonly #random: () => number;
  /** Background refreshes under way, by key; each has its own signal (aborted by `clear()`). */
  readonly #refreshing = new Map<string, AbortController>();
  hooks: ResultCacheHooks = {};
  /** How stale-while-revalidate refreshes are sent; without it, stale entries are served but never refreshed in the background. */
  refresh: RefreshCall | undefined;
  /** A server's `sessions` mode (core's per-caller upstream sessions), which decides a call's partition. */
  sessionsOf: ((server: string) => SessionsMode | undefined) | undefined;
  /** Whether a server speaks 2026-07-28: its results carry cache hints (`ttlMs`, `cacheScope`) that bound what is kept. */
  modernOf: ((server: string) => boolean) | undefined;
  evictions = 0;
  invalidations = 0;

  constructor(options: ResolvedCacheOptions, rules: Rules, stats: StatsBook, l2: L2 | undefined, keepMs: number) {
    this.#options = options;
    this.#rules = rules;
    this.#stats = stats;
    this.#l2 = l2;
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#marks = new InvalidationMarks(keepMs);
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
    // A modern upstream's result may say `cacheScope: 'private'` (or nothing): keep every one per caller.
    const scope = this.modernOf?.(ctx.server) === true ? 'private' : rule.scope;
    const partition = partitionOf(ctx, scope, this.sessionsOf?.(ctx.server), this.#options.anonymous);
    if (partition === undefined) return next();
    const params = canonicalParams(ctx.params, this.#options.maxKeyLength);
    if (params === undefined) return next();
    const key = `${ctx.server}\u0000${ctx.method}\u0000${partition.key}\u0000${params}`;
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
      if (now < entry.s && !partition.sessionBound) {
        this.#serveStale(ctx, rule, 'revalidate', undefined);
        this.#revalidate(ctx, key);
        return entry.x ? Promise.reject(negativeError(entry)) : Promise.resolve(entry.v);
      }
      if (now < entry.e) stale = entry;
      else this.#l1!.delete(key, 'expired');
    }

    const flight = this.#flights.joinable(key);
    if (flight !== undefined) {
      rule.serverStats.coalesced++;
      if (rule.toolStats !== undefined) rule.toolStats.coalesced++;
      (ctx.state as { cache?: CacheOutcome }).cache = 'coalesced';
      this.hooks.miss?.(ctx, true);
      return this.#flights.join(flight, ctx.signal, ctx.deadline);
    }
    const signal = ctx.signal;
    const started = this.#start(ctx, next, key, rule, subOf(ctx), stale, false);
    return this.#flights.join(started, signal, ctx.deadline);
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
    const current = this.#flights.joinable(key);
    if (current !== undefined) return this.#flights.join(current, signal, ctx.deadline);
    const flight = this.#start(ctx, next, key, rule, subOf(ctx), undefined, true);
    // Callers that join it must not cancel it by leaving; only the refresh's own signal does.
    flight.pinned = true;
    signal.addEventListener('abort', () => this.#flights.cancel(flight, signal.reason), { once: true });
    return flight.promise;
  }

  // ---------------------------------------------------------------- single-flight

  /** Starts the shared fill for `key`; identical misses join it until it settles. */
  #start(
    ctx: CallContext,
    next: Next,
    key: string,
    rule: Rule,
    sub: string | undefined,
    stale: Entry | undefined,
    revalidating: boolean,
  ): Flight {
    return this.#flights.start(ctx, key, rule.server, rule.method, sub, (flight) =>
      this.#fill(ctx, next, key, rule, sub, stale, revalidating, flight),
    );
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
        const entry = isEntry(raw) && raw.k === key && raw.t > this.#marks.at(rule.server, rule.method, sub) ? raw : undefined;
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
      const seq = this.#marks.current;
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
      // A modern upstream's hint bounds the entry, stale windows included (hinted: no stale serving past `ttlMs`).
      const hinted = this.modernOf?.(rule.server) === true;
      const ttl = hinted ? hintedTtl(value, rule.ttl) : rule.ttl;
      if (ttl > 0) this.#store(key, l2Key, rule, sub, value, undefined, asOf, seq, ttl, hinted);
      return value;
    } finally {
      this.#flights.end(flight);
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
    bounded = false,
  ): void {
    // Invalidated while the call ran: the answer may predate the change.
    if (this.#marks.seq(rule.server, rule.method, sub) > seq) return;
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
      s: negativeEntry || bounded ? fresh : fresh + rule.staleWhileRevalidate,
      e: negativeEntry || bounded ? fresh : fresh + rule.staleIfError,
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
    this.#marks.add(scope, this.#now());
    const matches = (server: string, method: string, sub: string | undefined): boolean =>
      (scope.server === undefined || scope.server === server) &&
      (scope.method === undefined || scope.method === method) &&
      (scope.sub === undefined || scope.sub === sub);
    this.#flights.forgetWhere(matches);
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
