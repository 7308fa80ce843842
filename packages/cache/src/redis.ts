/**
 * `@mcp-bridge/cache/redis`: a `@keyv/redis` store set up to fail fast, for sharing the cache
 * between gateway instances. Needs `@keyv/redis` installed next to `@mcp-bridge/cache`.
 *
 * @example
 * ```ts
 * import { cache } from '@mcp-bridge/cache';
 * import { redisStore } from '@mcp-bridge/cache/redis';
 * const bridge = createBridge({ servers, plugins: [cache({ store: redisStore(process.env.REDIS_URL!) })] });
 * ```
 * @packageDocumentation
 */
import KeyvRedis, { createClient, type RedisClientOptions } from '@keyv/redis';

/** Options of {@link redisStore}. */
export interface RedisStoreOptions {
  /** Give up connecting after this many ms per attempt (then retry per the backoff). Default 1_000. */
  connectTimeout?: number;
  /** Longest pause between reconnect attempts, ms; attempts back off from 50 ms up to this. Default 1_000. */
  reconnectMaxMs?: number;
  /** Commands waiting for an answer on a connection that went silent are capped at this many. Default 1_000. */
  maxQueuedCommands?: number;
  /** PING the server this often (ms) so a silently dropped connection is noticed. Default 5_000. */
  pingInterval?: number;
  /** Further node-redis client options (merged over the above). */
  client?: RedisClientOptions;
}

/**
 * A `@keyv/redis` store whose failures never stall a call:
 * - no offline queue: while disconnected, commands fail at once instead of queueing (a queue
 *   would replay stale writes later and make every call wait); the cache does not even send them
 *   while the client is not ready;
 * - reconnects forever in the background, backing off up to `reconnectMaxMs`, so hits come back
 *   soon after Redis does;
 * - connects right away (errors are reported by the cache as store failures, not thrown), so the
 *   adapter never starts two connects at once;
 * - operations throw on failure, so the cache can count them and pause the store.
 * The cache adds its own per-operation timeout (`operationTimeout`, 50 ms by default).
 *
 * @example
 * ```ts
 * cache({ store: redisStore('redis://127.0.0.1:6379', { reconnectMaxMs: 2_000 }) })
 * ```
 */
export function redisStore(url: string, options: RedisStoreOptions = {}): KeyvRedis<unknown> {
  const maxMs = options.reconnectMaxMs ?? 1_000;
  const client = createClient({
    url,
    disableOfflineQueue: true,
    commandsQueueMaxLength: options.maxQueuedCommands ?? 1_000,
    pingInterval: options.pingInterval ?? 5_000,
    ...options.client,
    socket: {
      connectTimeout: options.connectTimeout ?? 1_000,
      reconnectStrategy: (retries: number) => Math.min(50 * 2 ** Math.min(retries, 10), maxMs),
      ...options.client?.socket,
    },
  });
  const store = new KeyvRedis<unknown>(client, { throwOnConnectError: false, throwOnErrors: true });
  // Until some listener is attached, an 'error' event (refused connection) must not be thrown.
  store.on('error', () => undefined);
  client.connect().catch(() => undefined);
  return store;
}
