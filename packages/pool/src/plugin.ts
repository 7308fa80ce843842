import { definePlugin, type Plugin } from '@mcp-bridge/core';
import pkg from '../package.json' with { type: 'json' };
import { poolOptionsSchema, resolvePoolOptions, type PoolOptions } from './options.js';
import { createSessionPool, type SessionPool } from './pool.js';
import './events.js';

/**
 * The `@mcp-bridge/pool` plugin: provides core's `pool` service with min/max sessions per upstream,
 * lazy start, idle shutdown, lifetime recycling, supervised restarts with jittered backoff, crash
 * loop detection, a bulkhead per upstream, and Streamable HTTP re-initialisation on a lost session.
 * Adds `bridge.pool()` (a snapshot) and the `pool:*` events.
 *
 * @example
 * ```ts
 * import { createBridge } from '@mcp-bridge/core';
 * import { pool } from '@mcp-bridge/pool';
 *
 * const bridge = createBridge({
 *   servers: { files: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-filesystem', '.'] } },
 *   plugins: [pool({ maxConcurrent: 16, maxPending: 64, servers: { files: { minSessions: 1, maxSessions: 4 } } })],
 * });
 * await bridge.start();
 * console.log(bridge.pool().files);
 * ```
 */
export const pool: (options?: PoolOptions) => Plugin = definePlugin({
  name: '@mcp-bridge/pool',
  version: pkg.version,
  core: '^0.1.0',
  provides: ['pool'],
  options: poolOptionsSchema,
  setup(api, options) {
    const resolved = resolvePoolOptions(options);
    let current: SessionPool | undefined;
    api.provide('pool', (host) => {
      current = createSessionPool(host, resolved, {
        emit: (event, payload) => api.emit(event, payload),
        hasListeners: (event) => api.hasListeners(event),
      });
      return current;
    });
    api.expose('pool', () => current?.snapshot() ?? {});
  },
});
