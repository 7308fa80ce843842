import type { CallContext } from '@mcp-bridge/core';
import type { EvictionReason } from './lru.js';
import type { CacheOutcome } from './result-cache.js';
import type { CacheStats } from './stats.js';

/** What {@link CacheControl.invalidate} drops; an absent field matches everything. */
export interface InvalidateTarget {
  /** A logical server. */
  server?: string;
  /** A method (`tools/list`, `resources/read` ...). Implied by `tool` and `uri`. */
  method?: string;
  /**
   * A tool's results: its exposed name, or `server/upstreamName`; with `server`, an upstream name
   * is accepted too.
   */
  tool?: string;
  /** A resource's reads: its exposed URI; with `server`, the upstream URI is accepted too. */
  uri?: string;
}

/** Why entries were invalidated. */
export type InvalidationReason = 'notification' | 'reconnect' | 'catalog' | 'api';

/** `bridge.cache`: control and figures of the cache. */
export interface CacheControl {
  /**
   * Drops cached answers: at once from this instance's memory, and entries other instances wrote
   * to the shared store before now are ignored here. `invalidate()` drops everything. Returns how
   * many in-memory entries were dropped.
   *
   * @example
   * ```ts
   * bridge.cache.invalidate({ tool: 'search' });
   * bridge.cache.invalidate({ server: 'docs', method: 'resources/read' });
   * ```
   */
  invalidate(target?: InvalidateTarget): number;
  /** Hits, misses, stale answers, coalesced calls and errors; totals, per server, per tool. */
  stats(): CacheStats;
  /** Zeroes the counters. */
  resetStats(): void;
  /** Resolves when every write to the store started so far has ended (each gives up within `operationTimeout`). */
  settled(): Promise<void>;
}

declare module '@mcp-bridge/core' {
  interface BridgeExtensions {
    /** Added by `@mcp-bridge/cache`. */
    cache: CacheControl;
  }
  interface CallState {
    /** How `@mcp-bridge/cache` answered the call; absent when it did not handle it. */
    cache?: CacheOutcome;
  }
  interface BridgeEvents {
    /** A call answered from the cache (`negative`: a cached "not found" error). */
    'cache:hit': { ctx: CallContext; level: 'l1' | 'l2'; negative: boolean };
    /** A call the cache could not answer: it goes upstream, or joins an identical call in flight (`coalesced`). */
    'cache:miss': { ctx: CallContext; coalesced: boolean };
    /** A stale answer served: while refreshing it (`revalidate`) or because the upstream failed (`error`). */
    'cache:stale': { ctx: CallContext; reason: 'revalidate' | 'error'; error?: unknown };
    /** An entry left the in-process LRU: bounds (`entries`, `bytes`), `expired`, or `invalidated`. */
    'cache:evict': { server: string; method: string; reason: EvictionReason };
    /**
     * Entries were invalidated. `removed`: in-memory entries dropped. For `reason: 'notification'`
     * the `uri` is the upstream's own URI (as in its `resources/updated`).
     */
    'cache:invalidate': InvalidateTarget & { reason: InvalidationReason; removed: number };
    /** A store operation failed or gave up; the call went on without it. */
    'cache:error': { operation: 'get' | 'set' | 'delete'; error: Error; timedOut: boolean; durationMs: number };
  }
}
