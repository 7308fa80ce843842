import { z } from 'zod';

/** Methods the cache can answer. `tools/call` is configured per tool (`tools`), never by method. */
export const CACHEABLE_METHODS = [
  'tools/list',
  'resources/list',
  'resources/templates/list',
  'prompts/list',
  'resources/read',
  'prompts/get',
  'completion/complete',
] as const;

/** A method the cache can answer (besides `tools/call`). */
export type CacheableMethod = (typeof CACHEABLE_METHODS)[number];

/** Methods cached unless turned off: the lists and `resources/read`. */
export const DEFAULT_METHODS: readonly CacheableMethod[] = [
  'tools/list',
  'resources/list',
  'resources/templates/list',
  'prompts/list',
  'resources/read',
];

/**
 * Who may see a cached result. `shared`: every caller (the upstream answers the same whatever the
 * caller). `private`: only the caller that caused it (`ctx.caller`; the gateway sets it per
 * session or user); results never cross callers.
 */
export type CacheScope = 'shared' | 'private';

/** How one method (or one tool) is cached. Times in ms. */
export interface CachePolicy {
  /** Time to live. 0 means "do not store" (unlike keyv, where 0 means forever). */
  ttl?: number;
  /** Who may see the result. Default: `shared` for methods, `private` for tools. */
  scope?: CacheScope;
  /** After `ttl`, serve the old result for this long while one background call refreshes it. */
  staleWhileRevalidate?: number;
  /** After `ttl`, serve the old result for this long when the upstream is unavailable. */
  staleIfError?: number;
}

/**
 * A policy entry: `true` (cache with the defaults), `false` (do not cache), a number (the ttl), or
 * a {@link CachePolicy}.
 */
export type CachePolicyInput = boolean | number | CachePolicy;

/** Per-server settings; they override the top-level ones for that server. */
export interface ServerCacheOptions {
  /** `false` bypasses the cache for every call to this server. Default `true`. */
  enabled?: boolean;
  /** Treat the server as trusted (its `readOnlyHint` is believed), like `trusted: true` in its config. */
  trusted?: boolean;
  /** Default ttl for this server's cached methods and tools. */
  ttl?: number;
  /** Default stale-while-revalidate window for this server. */
  staleWhileRevalidate?: number;
  /** Default stale-if-error window for this server. */
  staleIfError?: number;
  /** Per-method policies for this server. */
  methods?: Partial<Record<CacheableMethod, CachePolicyInput>>;
  /** Tools of this server to cache, by upstream name (opt-in, and only read-only tools of a trusted server). */
  tools?: Record<string, CachePolicyInput>;
}

/** A keyv instance, or anything keyv accepts as a store (a `Map`, `@keyv/redis`, any keyv adapter). */
export interface KeyvLikeStore {
  get(key: string): unknown;
  set(key: string, value: unknown, ttl?: number): unknown;
  delete(key: string): unknown;
  clear(): unknown;
}

/** Options of {@link cache}. Times in ms. */
export interface CacheOptions {
  /**
   * The second level: a keyv store shared by every cache that points at it. Default: keyv over an
   * in-process map. `redisStore(url)` from `@mcp-bridge/cache/redis` shares results between gateway
   * instances. `false`: the in-process LRU only.
   */
  store?: KeyvLikeStore | false;
  /** Prefix of every L2 key; give unrelated deployments sharing one Redis different namespaces. Default `'mcp-bridge'`. */
  namespace?: string;
  /** Default time to live of cached methods and of tools enabled with `true`. Default 60_000. */
  ttl?: number;
  /** Each stored ttl is shortened by a random share up to this fraction, so entries written together expire apart. Default 0.1. */
  jitter?: number;
  /** Default stale-while-revalidate window. Default 0 (off). */
  staleWhileRevalidate?: number;
  /** Default stale-if-error window. Default 0 (off). */
  staleIfError?: number;
  /**
   * Cache deterministic "not found" errors (JSON-RPC codes in `negativeCodes`) for this long.
   * Default 0: errors are never cached.
   */
  negativeTtl?: number;
  /** JSON-RPC error codes that count as deterministic "not found". Default `[-32002]` (resource not found). */
  negativeCodes?: number[];
  /** Per-method policies. Default: the list methods and `resources/read` cached, shared, with `ttl`. */
  methods?: Partial<Record<CacheableMethod, CachePolicyInput>>;
  /**
   * Tools whose `tools/call` results may be cached, by exposed name or `server/upstreamName`. Only
   * tools the catalog lists as `readOnlyHint` on a trusted server are ever cached. Default scope: `private`.
   */
  tools?: Record<string, CachePolicyInput>;
  /** Per-server settings, by server name. */
  servers?: Record<string, ServerCacheOptions>;
  /** Servers to treat as trusted, in addition to those with `trusted: true` in their config. */
  trusted?: string[];
  /** The in-process LRU. Default `{ maxEntries: 10_000, maxBytes: 64 MiB }`; `false` turns it off. */
  l1?: { maxEntries?: number; maxBytes?: number } | false;
  /** Results bigger than this (JSON characters) are not stored. Default 1 MiB. */
  maxEntryBytes?: number;
  /** Params longer than this (canonical JSON characters) bypass the cache. Default 16_384. */
  maxKeyLength?: number;
  /** Each L2 operation gives up after this long and the call goes on without it. Default 50. */
  operationTimeout?: number;
  /** After this many L2 failures in a row, skip L2 for `pauseMs`. Default 5. */
  pauseAfterFailures?: number;
  /** How long L2 is skipped after repeated failures. Default 1_000. */
  pauseMs?: number;
  /** Calls with `scope: 'private'` and no `ctx.caller`: `cache` them in one anonymous partition (library use), or `bypass`. Default `cache`. */
  anonymous?: 'cache' | 'bypass';
  /** At start, wait this long for a store that is still connecting (`redisStore`); 0 does not wait. Default 1_000. */
  storeReadyTimeout?: number;
  /** Disconnect the L2 store when the bridge closes. Default `true` (the store was made for this cache). */
  closeStore?: boolean;
  /** Clock in epoch ms (tests). Default `Date.now`. */
  now?: () => number;
  /** Random numbers in [0, 1) for the jitter (tests). Default `Math.random`. */
  random?: () => number;
}

const ms = z
  .number()
  .int()
  .min(0)
  .max(2 ** 31 - 1);
const fraction = z.number().min(0).max(1);
const scope = z.enum(['shared', 'private']);
const policy = z.strictObject({
  ttl: ms.optional(),
  scope: scope.optional(),
  staleWhileRevalidate: ms.optional(),
  staleIfError: ms.optional(),
});
const policyInput = z.union([z.boolean(), ms, policy], {
  error: 'expected true, false, a ttl in ms, or { ttl?, scope?, staleWhileRevalidate?, staleIfError? }',
});
const methods = z.partialRecord(z.enum(CACHEABLE_METHODS), policyInput);
const fn = <T>() => z.custom<T>((value) => typeof value === 'function', 'expected a function');
const store = z.custom<KeyvLikeStore>(
  (value) =>
    typeof value === 'object' &&
    value !== null &&
    typeof (value as KeyvLikeStore).get === 'function' &&
    typeof (value as KeyvLikeStore).set === 'function' &&
    typeof (value as KeyvLikeStore).delete === 'function' &&
    typeof (value as KeyvLikeStore).clear === 'function',
  'expected a keyv instance or store (an object with get, set, delete and clear), or false',
);

/** The zod schema of {@link CacheOptions}. */
export const cacheOptionsSchema = z.strictObject({
  store: z
    .union([store, z.literal(false)], { error: 'expected a keyv instance or store (an object with get, set, delete and clear), or false' })
    .optional(),
  namespace: z.string().min(1).default('mcp-bridge'),
  ttl: ms.default(60_000),
  jitter: fraction.default(0.1),
  staleWhileRevalidate: ms.default(0),
  staleIfError: ms.default(0),
  negativeTtl: ms.default(0),
  negativeCodes: z.array(z.number().int()).default([-32002]),
  methods: methods.default({}),
  tools: z.record(z.string().min(1), policyInput).default({}),
  servers: z
    .record(
      z.string().min(1),
      z.strictObject({
        enabled: z.boolean().optional(),
        trusted: z.boolean().optional(),
        ttl: ms.optional(),
        staleWhileRevalidate: ms.optional(),
        staleIfError: ms.optional(),
        methods: methods.optional(),
        tools: z.record(z.string().min(1), policyInput).optional(),
      }),
    )
    .default({}),
  trusted: z.array(z.string().min(1)).default([]),
  l1: z
    .union([
      z.literal(false),
      z.strictObject({ maxEntries: z.number().int().min(1).optional(), maxBytes: z.number().int().min(1).optional() }),
    ])
    .default({}),
  maxEntryBytes: z
    .number()
    .int()
    .min(1)
    .default(1024 * 1024),
  maxKeyLength: z.number().int().min(16).default(16_384),
  operationTimeout: z.number().int().min(1).max(60_000).default(50),
  pauseAfterFailures: z.number().int().min(1).default(5),
  pauseMs: ms.default(1_000),
  anonymous: z.enum(['cache', 'bypass']).default('cache'),
  storeReadyTimeout: ms.default(1_000),
  closeStore: z.boolean().default(true),
  now: fn<() => number>().optional(),
  random: fn<() => number>().optional(),
});

/** Options after validation, defaults filled in. */
export type ResolvedCacheOptions = z.output<typeof cacheOptionsSchema>;
