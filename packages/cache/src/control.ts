import type { PluginApi } from '@mcp-bridge/core';
import type { L2 } from './l2.js';
import type { ResultCache, Scope } from './result-cache.js';
import type { StatsBook } from './stats.js';
import type { CacheControl, InvalidateTarget } from './types.js';
import type { Invalidate } from './upstream-changes.js';

const NAME = '@mcp-bridge/cache';

/** `bridge.cache`: invalidation by public names, stats, and a way to wait for store writes. */
export function cacheControl(
  api: PluginApi,
  engine: ResultCache,
  stats: StatsBook,
  l2: L2 | undefined,
  invalidate: Invalidate,
): CacheControl {
  return {
    invalidate: (target = {}) => invalidate(resolveTarget(api, target), target, 'api'),
    stats: () => {
      const memory = engine.memory();
      return {
        ...stats.snapshot(),
        memory: { ...memory, evictions: engine.evictions },
        store: {
          enabled: l2 !== undefined,
          errors: l2?.errors ?? 0,
          timeouts: l2?.timeouts ?? 0,
          skipped: l2?.skipped ?? 0,
          paused: l2?.paused ?? false,
        },
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
}

/** Turns the public target (exposed names) into the engine's scope (upstream names). */
function resolveTarget(api: PluginApi, target: InvalidateTarget): Scope {
  const bridge = api.host;
  const known = (server: string | undefined): void => {
    if (server !== undefined && !bridge.servers().includes(server)) {
      throw new TypeError(
        `[mcp-bridge] [${NAME}] invalidate: no server named "${server}" (known: ${bridge.servers().join(', ') || 'none'})`,
      );
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
    const entry =
      bridge.state === 'ready'
        ? bridge.tools().find((t) => t.name === target.tool && (target.server === undefined || t.server === target.server))
        : undefined;
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
      return {
        server: target.server,
        method: 'resources/read',
        sub: resolved?.server === target.server ? resolved.upstreamUri : target.uri,
      };
    }
    const resolved = bridge.state === 'ready' ? bridge.resolveResource(target.uri) : undefined;
    // Unknown URI: drop it on every server (the same upstream URI may be served by several).
    return resolved
      ? { server: resolved.server, method: 'resources/read', sub: resolved.upstreamUri }
      : { method: 'resources/read', sub: target.uri };
  }
  return { server: target.server, method: target.method };
}
