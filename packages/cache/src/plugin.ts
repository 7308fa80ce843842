import { definePlugin, type Plugin, type PluginApi } from '@mcp-bridge/core';
import { Keyv } from 'keyv';
import pkg from '../package.json' with { type: 'json' };
import { cacheControl } from './control.js';
import { BoundedMap, L2 } from './l2.js';
import { cacheOptionsSchema, type CacheOptions, type ResolvedCacheOptions } from './options.js';
import { ResultCache, type ResultCacheHooks, type Scope } from './result-cache.js';
import { cachedMethods, longestKeep, Rules } from './rules.js';
import { StatsBook } from './stats.js';
import type { InvalidateTarget, InvalidationReason } from './types.js';
import { watchUpstreams } from './upstream-changes.js';

const NAME = '@mcp-bridge/cache';

/** Entries the default in-process keyv store keeps at most (it has no eviction of its own). */
const DEFAULT_STORE_ENTRIES = 100_000;

/**
 * The cache plugin: answers repeated reads from an in-process LRU (L1) in front of a keyv store
 * (L2: memory by default, Redis to share between gateway instances). Occupies the `cache` phase,
 * outside retry: a hit is never retried, and a miss is retried below it as usual.
 *
 * Caches the list methods and `resources/read` by default, and `tools/call` only for tools you
 * enable that are `readOnlyHint` on a trusted server. Identical concurrent misses share one
 * upstream call; `notifications/*\/list_changed` and `resources/updated` invalidate; a failing
 * store never fails a call. Adds `bridge.cache` ({@link CacheControl}) and the `cache:*` events.
 *
 * @example
 * ```ts
 * import { createBridge } from '@mcp-bridge/core';
 * import { cache } from '@mcp-bridge/cache';
 *
 * const bridge = createBridge({
 *   servers: { docs: { url: 'https://docs.example/mcp', trusted: true } },
 *   plugins: [cache({ ttl: 30_000, tools: { search_docs: { ttl: 300_000, scope: 'shared' } } })],
 * });
 * await bridge.start();
 * await bridge.callTool('search_docs', { q: 'retry' }); // upstream
 * await bridge.callTool('search_docs', { q: 'retry' }); // from memory
 * console.log(bridge.cache.stats().hitRate); // 0.5
 * ```
 */
export const cache: (options?: CacheOptions) => Plugin = definePlugin({
  name: NAME,
  version: pkg.version,
  core: '^0.1.0',
  options: cacheOptionsSchema,
  async setup(api, opts) {
    await setupCache(api, opts);
  },
});

async function setupCache(api: PluginApi, opts: ResolvedCacheOptions): Promise<void> {
  const bridge = api.host;
  const now = opts.now ?? Date.now;
  const stats = new StatsBook();
  const rules = new Rules(bridge, opts, stats);
  const store =
    opts.store === false
      ? undefined
      : (opts.store ?? new Keyv({ store: new BoundedMap(DEFAULT_STORE_ENTRIES), useKeyPrefix: false, namespace: '' }));
  const l2 =
    store === undefined
      ? undefined
      : new L2(store, {
          timeout: opts.operationTimeout,
          pauseAfterFailures: opts.pauseAfterFailures,
          pauseMs: opts.pauseMs,
          now,
          onFailure: (failure) => {
            if (api.hasListeners('cache:error')) api.emit('cache:error', failure);
          },
        });
  const engine = new ResultCache(opts, rules, stats, l2, longestKeep(opts));
  // Stale-while-revalidate refreshes are calls of their own, through every phase (they show in
  // logs, metrics and traces, and pass the same policy as the call that got the stale answer).
  // `origin: 'revalidate'` is how the cache phase tells the refresh from a caller's call for the same key.
  engine.refresh = (server, method, params, caller, signal) =>
    bridge.request(
      server,
      method,
      params,
      caller === undefined ? { signal, origin: 'revalidate' } : { signal, caller, origin: 'revalidate' },
    );

  engine.sessionsOf = (server) => bridge.upstreams(server)[0]?.config.sessions ?? 'auto';
  engine.modernOf = (server) => bridge.upstreams(server).some((up) => up.era === 'modern' || up.config.protocol === '2026-07-28');
  engine.hooks = engineHooks(api);

  const invalidate = (scope: Scope, target: InvalidateTarget, reason: InvalidationReason): number => {
    const removed = engine.invalidate(scope);
    if (api.hasListeners('cache:invalidate')) api.emit('cache:invalidate', { ...target, reason, removed });
    return removed;
  };

  api.use({
    name: NAME,
    phase: 'cache',
    methods: cachedMethods(opts),
    handle: (ctx, next) => engine.handle(ctx, next),
  });

  watchUpstreams(api, engine, rules, invalidate);
  api.expose('cache', cacheControl(api, engine, stats, l2, invalidate));

  api.onClose(async () => {
    engine.clear();
    if (l2 !== undefined && opts.closeStore) await l2.disconnect();
    else await l2?.settled();
  });

  // A store that is still connecting gets a moment, so the catalog listing and first calls can use it.
  // One that does not connect in time is used once it does; calls never wait for it.
  if (l2 !== undefined && opts.storeReadyTimeout > 0) await l2.ready(opts.storeReadyTimeout);
}

/** Events cost one map lookup per call when nobody listens. */
function engineHooks(api: PluginApi): ResultCacheHooks {
  return {
    hit: (ctx, level, negative) => {
      if (api.hasListeners('cache:hit')) api.emit('cache:hit', { ctx, level, negative });
    },
    miss: (ctx, coalesced) => {
      if (api.hasListeners('cache:miss')) api.emit('cache:miss', { ctx, coalesced });
    },
    stale: (ctx, reason, error) => {
      if (api.hasListeners('cache:stale')) api.emit('cache:stale', { ctx, reason, ...(error === undefined ? {} : { error }) });
    },
    evict: (server, method, reason) => {
      if (api.hasListeners('cache:evict')) api.emit('cache:evict', { server, method, reason });
    },
  };
}
