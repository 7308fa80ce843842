/** Counters of one server, one tool, or the whole cache. */
export interface CacheCounters {
  /** Calls answered from the cache (`l1 + l2`), stale answers excluded. */
  hits: number;
  /** Hits from the in-process LRU. */
  l1: number;
  /** Hits from the keyv store (then copied into the LRU). */
  l2: number;
  /** Calls that made an upstream call (found nothing usable in either level). */
  misses: number;
  /** Calls that joined an identical call already in flight instead of making their own. */
  coalesced: number;
  /** Stale results served while one background call refreshed them. */
  staleWhileRevalidate: number;
  /** Misses whose upstream call failed with an availability error and that got a stale result instead. */
  staleIfError: number;
  /** Cached "not found" errors answered. */
  negativeHits: number;
  /** Results written to the cache. */
  stores: number;
  /** Upstream calls that failed (the error went to every caller waiting on it; never cached). */
  errors: number;
}

/** What `bridge.cache.stats()` returns. */
export interface CacheStats extends CacheCounters {
  /** Share of cacheable calls that made no upstream call of their own (everything but `misses`); 0 when none yet. */
  hitRate: number;
  /** Per logical server. */
  servers: Record<string, CacheCounters>;
  /** Per tool (`tools/call` only), by exposed name. */
  tools: Record<string, CacheCounters>;
  /** The in-process LRU. */
  memory: { entries: number; bytes: number; evictions: number };
  /** The keyv store: failed or timed-out operations (each gave up within `operationTimeout`), and operations skipped while paused. */
  store: { enabled: boolean; errors: number; timeouts: number; skipped: number; paused: boolean };
  /** Entries dropped by invalidation (notifications, reconnects, `invalidate()`). */
  invalidations: number;
}

/** Fresh zeroed counters. */
export function newCounters(): CacheCounters {
  return {
    hits: 0,
    l1: 0,
    l2: 0,
    misses: 0,
    coalesced: 0,
    staleWhileRevalidate: 0,
    staleIfError: 0,
    negativeHits: 0,
    stores: 0,
    errors: 0,
  };
}

/**
 * Sets an own property: names come from upstreams, and a plain assignment of `__proto__` would
 * replace the record's prototype instead of adding an entry.
 */
function put(record: Record<string, CacheCounters>, name: string, counters: CacheCounters): void {
  Object.defineProperty(record, name, { value: counters, enumerable: true, writable: true, configurable: true });
}

/** Keys of {@link CacheCounters}, for summing. */
const COUNTER_KEYS = Object.keys(newCounters()) as (keyof CacheCounters)[];

/**
 * Counters per server and per tool. A call updates the counters of its server and, for
 * `tools/call`, of its tool; totals are summed over servers when asked, so the hot path touches
 * two objects at most (their references are kept on cache entries, so a hit does no lookup).
 */
export class StatsBook {
  readonly #servers = new Map<string, CacheCounters>();
  readonly #tools = new Map<string, CacheCounters>();

  /** The counters of a server (created on first use). */
  server(name: string): CacheCounters {
    let c = this.#servers.get(name);
    if (c === undefined) {
      c = newCounters();
      this.#servers.set(name, c);
    }
    return c;
  }

  /** The counters of a tool by exposed name (created on first use). */
  tool(name: string): CacheCounters {
    let c = this.#tools.get(name);
    if (c === undefined) {
      c = newCounters();
      this.#tools.set(name, c);
    }
    return c;
  }

  /** A JSON-ready copy: totals, per server, per tool. */
  snapshot(): Pick<CacheStats, keyof CacheCounters | 'hitRate' | 'servers' | 'tools'> {
    const total = newCounters();
    const servers: Record<string, CacheCounters> = {};
    for (const [name, c] of this.#servers) {
      put(servers, name, { ...c });
      for (const k of COUNTER_KEYS) total[k] += c[k];
    }
    const tools: Record<string, CacheCounters> = {};
    for (const [name, c] of this.#tools) put(tools, name, { ...c });
    const answered = total.hits + total.staleWhileRevalidate + total.negativeHits + total.coalesced;
    const all = answered + total.misses;
    return { ...total, hitRate: all === 0 ? 0 : answered / all, servers, tools };
  }

  /** Forgets every counter. */
  reset(): void {
    for (const c of this.#servers.values()) Object.assign(c, newCounters());
    for (const c of this.#tools.values()) Object.assign(c, newCounters());
  }
}
