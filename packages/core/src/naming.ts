import { NameCollisionError } from './errors.js';
import type { NameRequest, Namer } from './types.js';

/** How names from different servers are combined in the merged catalog. */
export type NamingPolicy = 'prefix' | 'collision' | 'never' | 'error';

/** Options of the default namer. */
export interface NamingOptions {
  /**
   * `collision` (default): names stay as the upstream gives them unless two servers share one;
   * then every server sharing it gets the prefix. `prefix`: always `server__name`. `never`: the first
   * server (config order) keeps a shared name and the others' entries are hidden. `error`: a shared
   * name is reported as an error against the later servers, whose entries are hidden.
   */
  policy?: NamingPolicy;
  /** Between server and name when prefixing (default `__`). */
  separator?: string;
  /** Policy for resource URIs and templates (default: `collision`); prefixed URIs read `server+uri`. */
  resourcePolicy?: NamingPolicy;
}

/** The strictest rule common MCP clients apply to tool and prompt names. */
export const NAME_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;
const MAX_NAME = 64;
const HASH_LEN = 8;

/**
 * A stable 53-bit string hash (cyrb53), rendered base36. Used for name suffixes: it must give the
 * same answer in every process and on every platform, and must not need `node:crypto`.
 */
export function stableHash(input: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < input.length; i++) {
    const ch = input.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  const n = 4294967296 * (2097151 & h2) + (h1 >>> 0);
  return n.toString(36).padStart(HASH_LEN, '0').slice(0, HASH_LEN);
}

/**
 * Makes `candidate` satisfy {@link NAME_PATTERN}. Invalid characters become `_`; a name that had to
 * change or is too long gets a hash of its identity as suffix, so two different originals never
 * end up with the same exposed name.
 */
export function toValidName(candidate: string, identity: string): string {
  const cleaned = candidate.replace(/[^a-zA-Z0-9_-]/g, '_');
  if (cleaned === candidate && cleaned.length > 0 && cleaned.length <= MAX_NAME) return cleaned;
  const suffix = `_${stableHash(identity)}`;
  return cleaned.slice(0, MAX_NAME - suffix.length) + suffix;
}

/**
 * The default {@link Namer}. Deterministic: the same servers and names always give the same
 * exposed names, whatever order upstreams answered in.
 */
export function createNamer(options: NamingOptions = {}): Namer {
  const policy = options.policy ?? 'collision';
  const separator = options.separator ?? '__';
  const resourcePolicy = options.resourcePolicy ?? 'collision';

  return {
    names(kind, items) {
      const assigned = assign(items, policy, (it) => `${it.server}${separator}${it.name}`, kind);
      const out = assigned.map((name, i) =>
        typeof name === 'string' ? toValidName(name, `${items[i]!.server}\u0000${items[i]!.name}`) : name,
      );
      return dedupe(out, items);
    },
    uris(kind, items) {
      return assign(items, resourcePolicy, (it) => `${it.server}+${it.name}`, kind);
    },
  };
}

function assign(
  items: readonly NameRequest[],
  policy: NamingPolicy,
  prefixed: (item: NameRequest) => string,
  kind: string,
): (string | Error | undefined)[] {
  if (policy === 'prefix') return items.map(prefixed);
  const owners = new Map<string, string[]>();
  for (const it of items) {
    const list = owners.get(it.name);
    if (!list) owners.set(it.name, [it.server]);
    else if (!list.includes(it.server)) list.push(it.server);
  }
  return items.map((it) => {
    const servers = owners.get(it.name)!;
    if (servers.length === 1) return it.name;
    if (policy === 'collision') return prefixed(it);
    if (servers[0] === it.server) return it.name;
    if (policy === 'never') return undefined;
    return new NameCollisionError(
      `${kind} "${it.name}" of server "${it.server}" collides with the one of server "${servers[0]}" (naming policy "error")`,
      { data: { kind, name: it.name, servers } },
    );
  });
}

/** Final guard: two different entries may still meet after prefixing or cleaning. */
function dedupe(names: (string | Error | undefined)[], items: readonly NameRequest[]): (string | Error | undefined)[] {
  const seen = new Set<string>();
  return names.map((name, i) => {
    if (typeof name !== 'string') return name;
    if (!seen.has(name)) {
      seen.add(name);
      return name;
    }
    const it = items[i]!;
    const suffix = `_${stableHash(`${it.server}\u0000${it.name}\u0000dup`)}`;
    const unique = name.slice(0, MAX_NAME - suffix.length) + suffix;
    seen.add(unique);
    return unique;
  });
}
