/**
 * `@mcp-bridge/pool`: sessions per upstream for mcp-bridge — min/max sessions, lazy start, idle
 * shutdown, lifetime recycling, supervised stdio restarts with jittered backoff, bulkheads, and
 * Streamable HTTP re-initialisation on a lost session.
 *
 * @example
 * ```ts
 * import { createBridge } from '@mcp-bridge/core';
 * import { pool } from '@mcp-bridge/pool';
 * const bridge = createBridge({ servers, plugins: [pool({ maxSessions: 2, idleTimeoutMs: 60_000 })] });
 * ```
 * @packageDocumentation
 */
export { pool } from './plugin.js';
export { createSessionPool } from './pool.js';
export type { SessionPool } from './pool.js';
export { DEFAULT_SETTINGS, poolOptionsSchema, resolvePoolOptions } from './options.js';
export type { PoolOptions, PoolUpstreamOptions, ResolvedPoolOptions, RestartSettings, UpstreamSettings } from './options.js';
export { restartDelay } from './backoff.js';
export { Bulkhead } from './bulkhead.js';
export type { ExitReason, PoolEvents, SpawnReason } from './events.js';
export type { PoolSessionSnapshot, PoolSnapshot, PoolUpstreamSnapshot } from './snapshot.js';
