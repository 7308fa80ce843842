import type { CallContext } from '@mcp-bridge/core';

/** Nesting deeper than this is not worth a cache key (and could be hostile). */
const MAX_DEPTH = 64;

/**
 * The canonical JSON of a request's params: object keys sorted at every level, so key order does not
 * matter, and the top-level `_meta` (progress tokens, trace ids: per request, never part of the
 * answer) left out. Values JSON would drop (`undefined`, functions) are dropped the same way.
 * Returns `undefined` for params that cannot be a key: cycles, bigints, too deep, or longer than
 * `maxLength` characters; such a call simply bypasses the cache.
 */
export function canonicalParams(params: Record<string, unknown>, maxLength: number): string | undefined {
  const out: Out = { s: '', max: maxLength };
  try {
    if (!writeObject(params, out, 0, true)) return undefined;
  } catch {
    // A throwing getter or toJSON.
    return undefined;
  }
  return out.s;
}

/** The text so far (V8 concatenates strings as ropes: cheaper than an array and a join). */
interface Out {
  s: string;
  max: number;
}

function push(out: Out, text: string): boolean {
  out.s += text;
  return out.s.length <= out.max;
}

function writeValue(value: unknown, out: Out, depth: number): boolean {
  if (value === null) return push(out, 'null');
  switch (typeof value) {
    case 'string':
      return push(out, JSON.stringify(value));
    case 'number':
      // JSON has no NaN or Infinity; JSON.stringify writes null, and so does the request on the wire.
      return push(out, Number.isFinite(value) ? String(value) : 'null');
    case 'boolean':
      return push(out, value ? 'true' : 'false');
    case 'object':
      if (depth >= MAX_DEPTH) return false;
      if (Array.isArray(value)) {
        if (!push(out, '[')) return false;
        for (let i = 0; i < value.length; i++) {
          if (i > 0 && !push(out, ',')) return false;
          const item: unknown = value[i];
          // JSON writes null for holes, undefined and functions inside arrays.
          if (item === undefined || typeof item === 'function' || typeof item === 'symbol') {
            if (!push(out, 'null')) return false;
          } else if (!writeValue(item, out, depth + 1)) return false;
        }
        return push(out, ']');
      }
      if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
        return writeValue((value as { toJSON: () => unknown }).toJSON(), out, depth + 1);
      }
      return writeObject(value as Record<string, unknown>, out, depth + 1, false);
    default:
      // bigint (JSON.stringify throws on it): not a valid request, so not a key.
      return false;
  }
}

function writeObject(obj: Record<string, unknown>, out: Out, depth: number, top: boolean): boolean {
  if (depth >= MAX_DEPTH) return false;
  const keys = Object.keys(obj);
  if (keys.length > 1) keys.sort();
  if (!push(out, '{')) return false;
  let first = true;
  for (const key of keys) {
    if (top && key === '_meta') continue;
    const value = obj[key];
    if (value === undefined || typeof value === 'function' || typeof value === 'symbol') continue;
    if (!push(out, first ? `${JSON.stringify(key)}:` : `,${JSON.stringify(key)}:`)) return false;
    first = false;
    if (!writeValue(value, out, depth)) return false;
  }
  return push(out, '}');
}

/** What a call's entries are invalidated by, besides server and method: the tool, or the resource URI. */
export function subOf(ctx: CallContext): string | undefined {
  if (ctx.method === 'tools/call' || ctx.method === 'resources/read') {
    const v = ctx.method === 'tools/call' ? ctx.params.name : ctx.params.uri;
    return typeof v === 'string' ? v : undefined;
  }
  return undefined;
}
