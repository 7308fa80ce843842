/** The most a hint may keep an entry: the SDK's own bound (a server cannot pin an entry for days). */
export const MAX_HINT_TTL_MS = 24 * 60 * 60_000;

/**
 * How long a result of a modern (2026-07-28) upstream may be kept, from its SEP-2549 hint: the
 * configured `ttl`, never longer than the result's `ttlMs`. A missing or invalid `ttlMs` is treated
 * as the spec's "immediately stale" (0: not stored), so an upstream that says nothing is never cached.
 */
export function hintedTtl(value: unknown, ruleTtl: number): number {
  const ttlMs = (value as { ttlMs?: unknown } | null)?.ttlMs;
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs <= 0) return 0;
  return Math.min(ruleTtl, ttlMs, MAX_HINT_TTL_MS);
}
