/**
 * `@mcp-bridge/cache`: answers repeated MCP reads from memory (and from a shared keyv store such as
 * Redis) instead of a round trip, never serving a result that should not be shared.
 *
 * @example
 * ```ts
 * import { createBridge } from '@mcp-bridge/core';
 * import { cache } from '@mcp-bridge/cache';
 *
 * const bridge = createBridge({ servers, plugins: [cache({ tools: { get_weather: 60_000 } })] });
 * await bridge.start();
 * console.log(bridge.cache.stats());
 * ```
 * @packageDocumentation
 */
import './types.js';

export { cache } from './plugin.js';
export { canonicalParams } from './canonical.js';
export { BoundedMap } from './l2.js';
export { CACHEABLE_METHODS, DEFAULT_METHODS, cacheOptionsSchema } from './options.js';
export type {
  CacheableMethod,
  CacheOptions,
  CachePolicy,
  CachePolicyInput,
  CacheScope,
  KeyvLikeStore,
  ServerCacheOptions,
} from './options.js';
export type { EvictionReason } from './lru.js';
export type { CacheOutcome } from './result-cache.js';
export type { CacheCounters, CacheStats } from './stats.js';
export type { CacheControl, InvalidateTarget, InvalidationReason } from './types.js';
