import type { CallContext, Upstream } from '@mcp-bridge/core';
import type { Picker } from './picker.js';

/** The key a call is hashed on; `undefined` falls back to `fallback` (no key, no stickiness). */
export type HashKey = (ctx: CallContext) => string | undefined;

/** Options of {@link consistentHashPicker}. */
export interface ConsistentHashOptions {
  /** What to hash: a function of the call (default: the caller, else the tool arguments). */
  key?: HashKey;
  /** Points per replica on the ring (default 256): more points, more even shares. */
  pointsPerReplica?: number;
  /** Used for calls without a key. */
  fallback: Picker;
}

interface Ring {
  members: readonly Upstream[];
  hashes: Uint32Array;
  owners: Upstream[];
}

/**
 * Consistent hashing on a ring (Karger et al.; the ketama layout): each replica owns
 * `pointsPerReplica` points, a key goes to the owner of the first point at or after its hash.
 * The ring is built over every replica of the server; a replica that is ejected or already tried
 * is skipped by walking on to the next point, so only its own keys move (about 1/N of them).
 *
 * @example
 * ```ts
 * const picker = consistentHashPicker({ key: (ctx) => String(ctx.params.arguments?.['user']), fallback: leastOutstandingPicker() });
 * ```
 */
export function consistentHashPicker(options: ConsistentHashOptions): Picker {
  const points = options.pointsPerReplica ?? 256;
  const keyOf = options.key ?? defaultHashKey;
  const rings = new Map<string, Ring>();

  const ringFor = (server: string, all: readonly Upstream[]): Ring => {
    const ids = `${server}\u0001${all.map((u) => u.id).join('\u0000')}`;
    const cached = rings.get(ids);
    // Same ids, same objects (a server re-added under the same name gets new upstream objects).
    if (cached && cached.members.length === all.length && all.every((u, i) => cached.members[i] === u)) return cached;
    const entries: { hash: number; owner: Upstream }[] = [];
    for (const up of all) for (let v = 0; v < points; v++) entries.push({ hash: hash32(`${up.id}\u0000${v}`), owner: up });
    entries.sort((a, b) => a.hash - b.hash || (a.owner.id < b.owner.id ? -1 : 1));
    const ring: Ring = { members: [...all], hashes: Uint32Array.from(entries, (e) => e.hash), owners: entries.map((e) => e.owner) };
    // A few rings per server at most (the replica list rarely changes); drop the oldest beyond that.
    if (rings.size >= 64) rings.delete(rings.keys().next().value!);
    rings.set(ids, ring);
    return ring;
  };

  return {
    pick(ctx, eligible, all) {
      if (eligible.length <= 1) return eligible[0];
      const key = keyOf(ctx);
      if (key === undefined) return options.fallback.pick(ctx, eligible, all);
      const ring = ringFor(ctx.server, all);
      const everyone = eligible.length === all.length;
      const n = ring.hashes.length;
      let i = lowerBound(ring.hashes, hash32(key));
      for (let step = 0; step < n; step++, i++) {
        const owner = ring.owners[i % n]!;
        // Replica lists are short (at most 64): a scan beats building a Set on every pick.
        if (everyone || eligible.includes(owner)) return owner;
      }
      // An eligible replica that is not on the ring (the replica list changed under us).
      return options.fallback.pick(ctx, eligible, all);
    },
  };
}

/** Default key: the caller when known, else the tool name and arguments. */
export const defaultHashKey: HashKey = (ctx) => ctx.caller ?? (ctx.method === 'tools/call' ? stableJson(ctx.params) : undefined);

/** Index of the first element >= value (n when none). */
function lowerBound(sorted: Uint32Array, value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * FNV-1a over UTF-16 code units with murmur3's finaliser: FNV alone clusters similar strings
 * (`a#1`, `a#2`), which would give replicas visibly unequal arcs of the ring.
 */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function stableJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'undefined';
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
}
