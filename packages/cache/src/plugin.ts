import { parsePluginOptions, type McpMethod, type Plugin, type PluginApi, type ToolEntry } from '@mcp-bridge/core';
import { Keyv } from 'keyv';
import pkg from '../package.json' with { type: 'json' };
import { BoundedMap, L2 } from './l2.js';
import { cacheOptionsSchema, type CacheOptions, type ResolvedCacheOptions } from './options.js';
import { ResultCache, type Scope } from './result-cache.js';
import { cachedMethods, longestKeep, own, Rules } from './rules.js';
import { StatsBook } from './stats.js';
import type { CacheControl, InvalidateTarget, InvalidationReason } from './types.js';

const NAME = '@mcp-bridge/cache';

/** Entries the default in-process keyv store keeps at most (it has no eviction of its own). */
const DEFAULT_STORE_ENTRIES = 100_000;

/** What each upstream notification invalidates. */
const NOTIFICATION_SCOPES: Record<string, readonly string[]> = {
  'notifications/tools/list_changed': ['tools/list'],
  'notifications/prompts/list_changed': ['prompts/list', 'prompts/get'],
  'notifications/resources/list_changed': ['resources/list', 'resources/templates/list'],
};

const LIST_METHODS = ['tools/list', 'prompts/list', 'resources/list', 'resources/templates/list'] as const;

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
export function cache(options: CacheOptions = {}): Plugin {
  return {
    name: NAME,
    version: pkg.version,
    core: '^0.1.0',
    async setup(api) {
      const opts = parsePluginOptions(api.plugin, cacheOptionsSchema, options);
      await setupCache(api, opts);
    },
  };
}

async function setupCache(api: PluginApi, opts: ResolvedCacheOptions): Promise<void> {
  const bridge = api.bridge;
  const now = opts.now ?? Date.now;
  const stats = new StatsBook();
  const rules = new Rules(bridge, opts, stats);
  const store = opts.store === false ? undefined : (opts.store ?? new Keyv({ store: new BoundedMap(DEFAULT_STORE_ENTRIES), useKeyPrefix: false, namespace: '' }));
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
    bridge.request(server, method as McpMethod, params, caller === undefined ? { signal, origin: 'revalidate' } : { signal, caller, origin: 'revalidate' });

  // Events cost one map lookup per call when nobody listens.
  engine.hooks = {
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

  // Upstream changes. The notification listener runs before core's catalog re-list reaches the
  // pipeline (core starts it first, but it awaits a connection before sending), so the re-list
  // never gets the old answer.
  api.on('notification', ({ server, method, params }) => {
    if (method === 'notifications/resources/updated') {
      const uri = params?.uri;
      if (typeof uri === 'string') invalidate({ server, method: 'resources/read', sub: uri }, { server, method: 'resources/read', uri }, 'notification');
      return;
    }
    for (const m of own(NOTIFICATION_SCOPES, method) ?? []) invalidate({ server, method: m }, { server, method: m }, 'notification');
  });

  // A reconnect may be to a new version of the server: its lists may differ.
  const connected = new WeakSet<object>();
  api.on('connect:after', ({ server, upstream }) => {
    if (connected.has(upstream)) {
      for (const m of LIST_METHODS) invalidate({ server, method: m }, { server, method: m }, 'reconnect');
    }
    connected.add(upstream);
  });

  // Trust comes from upstream configs; read-only hints from the catalog: decide again when either changes.
  api.on('upstream:add', () => rules.reset());
  api.on('upstream:remove', ({ server }) => {
    rules.reset();
    // One replica leaving keeps the server (and its answers); the server leaving takes them along.
    if (!bridge.servers().includes(server)) invalidate({ server }, { server }, 'catalog');
  });
  api.on('catalog:changed', ({ server, kinds }) => {
    rules.reset();
    if (!kinds.includes('tools') || bridge.state !== 'ready') return;
    // A tool that is no longer read-only (or no longer listed) must stop being answered from memory.
    const tools = new Map<string, ToolEntry>();
    for (const t of bridge.tools()) if (t.server === server) tools.set(t.upstreamName, t);
    const removed = engine.dropWhere((s, m, sub) => s === server && m === 'tools/call' && (sub === undefined || !tools.has(sub) || rules.forTool(tools.get(sub)!) === null));
    if (removed > 0 && api.hasListeners('cache:invalidate')) api.emit('cache:invalidate', { server, method: 'tools/call', reason: 'catalog', removed });
  });

  const control: CacheControl = {
    invalidate: (target = {}) => invalidate(resolveTarget(api, target), target, 'api'),
    stats: () => {
      const memory = engine.memory();
      return {
        ...stats.snapshot(),
        memory: { ...memory, evictions: engine.evictions },
        store: { enabled: l2 !== undefined, errors: l2?.errors ?? 0, timeouts: l2?.timeouts ?? 0, skipped: l2?.skipped ?? 0, paused: l2?.paused ?? false },
        invalidations: engine.invalidations,
      };
    },
    resetStats: () => {
      stats.reset();
      engine.evictions = 0;
      engine.invalidations = 0;
      if (l2 !== undefined) {
        l2.errors = 0;
        l2.timeouts = 0;
        l2.skipped = 0;
      }
    },
    settled: () => l2?.settled() ?? Promise.resolve(),
  };
  api.expose('cache', control);

  api.onClose(async () => {
    engine.clear();
    if (l2 !== undefined && opts.closeStore) await l2.disconnect();
    else await l2?.settled();
  });

  // A store that is still connecting gets a moment, so the catalog listing and first calls can use it.
  // One that does not connect in time is used once it does; calls never wait for it.
  if (l2 !== undefined && opts.storeReadyTimeout > 0) await l2.ready(opts.storeReadyTimeout);
}

/** Turns the public target (exposed names) into the engine's scope (upstream names). */
function resolveTarget(api: PluginApi, target: InvalidateTarget): Scope {
  const bridge = api.bridge;
  const known = (server: string | undefined): void => {
    if (server !== undefined && !bridge.servers().includes(server)) {
      throw new TypeError(`[mcp-bridge] [${NAME}] invalidate: no server named "${server}" (known: ${bridge.servers().join(', ') || 'none'})`);
    }
  };
  known(target.server);
  if (target.tool !== undefined && target.uri !== undefined) {
    throw new TypeError(`[mcp-bridge] [${NAME}] invalidate: give a tool or a uri, not both`);
  }
  if (target.tool !== undefined) {
    if (target.method !== undefined && target.method !== 'tools/call') {
      throw new TypeError(`[mcp-bridge] [${NAME}] invalidate: a tool's results are cached under tools/call, not ${target.method}`);
    }
    const entry = bridge.state === 'ready' ? bridge.tools().find((t) => t.name === target.tool && (target.server === undefined || t.server === target.server)) : undefined;
    if (entry) return { server: entry.server, method: 'tools/call', sub: entry.upstreamName };
    if (target.server !== undefined) return { server: target.server, method: 'tools/call', sub: target.tool };
    const slash = target.tool.indexOf('/');
    if (slash > 0 && bridge.servers().includes(target.tool.slice(0, slash))) {
      return { server: target.tool.slice(0, slash), method: 'tools/call', sub: target.tool.slice(slash + 1) };
    }
    throw new TypeError(`[mcp-bridge] [${NAME}] invalidate: no tool named "${target.tool}"; give its server too to use an upstream name`);
  }
  if (target.uri !== undefined) {
    if (target.method !== undefined && target.method !== 'resources/read') {
      throw new TypeError(`[mcp-bridge] [${NAME}] invalidate: a resource's reads are cached under resources/read, not ${target.method}`);
    }
    if (target.server !== undefined) {
      const resolved = bridge.state === 'ready' ? bridge.resolveResource(target.uri) : undefined;
      return { server: target.server, method: 'resources/read', sub: resolved?.server === target.server ? resolved.upstreamUri : target.uri };
    }
    const resolved = bridge.state === 'ready' ? bridge.resolveResource(target.uri) : undefined;
    // Unknown URI: drop it on every server (the same upstream URI may be served by several).
    return resolved ? { server: resolved.server, method: 'resources/read', sub: resolved.upstreamUri } : { method: 'resources/read', sub: target.uri };
  }
  return { server: target.server, method: target.method };
}
