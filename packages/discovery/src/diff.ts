import type { DiscoveryChange, DiscoveryResult } from './types.js';

/**
 * A stable text form of a config: keys sorted at every depth, so formatting and key order in the
 * file never count as a change. Functions and class instances (in-memory servers, OAuth
 * providers) compare by identity.
 */
export function canonicalConfig(value: unknown): string {
  const identities = new Map<object, number>();
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (typeof v === 'function' || (typeof v === 'object' && v !== null && !isPlain(v))) {
      if (!identities.has(v)) identities.set(v, identityOf(v));
      return `[ref ${identities.get(v)}]`;
    }
    if (typeof v === 'object' && v !== null) {
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(v).sort()) out[key] = walk((v as Record<string, unknown>)[key]);
      return out;
    }
    return v;
  };
  return JSON.stringify(walk(value)) ?? 'undefined';
}

const refIds = new WeakMap<object, number>();
let nextRef = 1;
function identityOf(value: object): number {
  let id = refIds.get(value);
  if (id === undefined) {
    id = nextRef++;
    refIds.set(value, id);
  }
  return id;
}

function isPlain(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * What changed from one discovery to the next: servers added, removed, and those whose config
 * differs canonically (a server that moved to another file with the same config is unchanged).
 *
 * @example
 * const { added, removed, changed } = diffDiscovery(before, after);
 */
export function diffDiscovery(before: DiscoveryResult, after: DiscoveryResult): DiscoveryChange {
  const old = new Map(before.servers.map((s) => [s.name, canonicalConfig(s.config)]));
  const now = new Map(after.servers.map((s) => [s.name, canonicalConfig(s.config)]));
  const added = [...now.keys()].filter((name) => !old.has(name));
  const removed = [...old.keys()].filter((name) => !now.has(name));
  const changed = [...now.keys()].filter((name) => old.has(name) && old.get(name) !== now.get(name));
  return { result: after, added, removed, changed };
}
