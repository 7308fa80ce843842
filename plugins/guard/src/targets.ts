/** A string found in the arguments, with where it is (a JSON pointer, for messages). */
export interface FoundValue {
  readonly pointer: string;
  readonly value: string;
}

/** A compiled target: the pointer's segments (`*` matches every element/member). */
export type Target = readonly string[];

/**
 * Compiles a target: a top-level argument name, or a JSON pointer (leading `/`, `~0` and `~1`
 * escapes, `*` for every element). Throws with the reason when the pointer is malformed.
 */
export function compileTarget(spec: string): Target {
  if (!spec.startsWith('/')) return [spec];
  const segments = spec.slice(1).split('/');
  for (const s of segments) {
    if (/~[^01]|~$/.test(s)) throw new Error(`"${spec}" is not a JSON pointer: "~" must be followed by 0 or 1`);
  }
  return segments.map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** A key as a JSON pointer segment (RFC 6901 escapes); the common key needs none. */
export const escape = (key: string): string =>
  key.includes('~') || key.includes('/') ? key.replace(/~/g, '~0').replace(/\//g, '~1') : key;

/** The pointer of a key path, built only when one is reported. */
export const pointerOf = (keys: readonly (string | number)[]): string => {
  let out = '';
  for (const k of keys) out += `/${typeof k === 'number' ? k : escape(k)}`;
  return out;
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The strings a target addresses: a string value, or each string of an array value. */
export function valuesAt(args: unknown, target: Target, out: FoundValue[]): void {
  visit(args, target, 0, '', out);
}

function visit(value: unknown, target: Target, depth: number, pointer: string, out: FoundValue[]): void {
  if (depth === target.length) {
    if (typeof value === 'string') out.push({ pointer, value });
    else if (Array.isArray(value))
      value.forEach((v, i) => {
        if (typeof v === 'string') out.push({ pointer: `${pointer}/${i}`, value: v });
      });
    return;
  }
  const segment = target[depth]!;
  if (Array.isArray(value)) {
    if (segment === '*') value.forEach((v, i) => visit(v, target, depth + 1, `${pointer}/${i}`, out));
    else if (/^(0|[1-9]\d*)$/.test(segment)) visit(value[Number(segment)], target, depth + 1, `${pointer}/${segment}`, out);
  } else if (isRecord(value)) {
    if (segment === '*') for (const [k, v] of Object.entries(value)) visit(v, target, depth + 1, `${pointer}/${escape(k)}`, out);
    else if (Object.hasOwn(value, segment)) visit(value[segment], target, depth + 1, `${pointer}/${escape(segment)}`, out);
  }
}

/** Argument names that look like paths: `path`, `filePath`, `source_file`, `dirs`, `directory` ... */
export const PATH_NAME = /(^|[_-]|[a-z](?=[A-Z]))(path|file|filename|dir|directory|folder|source|destination|dest|src)s?$/i;

/** Argument names that look like URLs: `url`, `baseUrl`, `uri`, `href`, `link`, `endpoint` ... */
export const URL_NAME = /(^|[_-]|[a-z](?=[A-Z]))(url|uri|href|link|endpoint|webhook)s?$/i;

/**
 * Calls `visit` on every string leaf (with its key path, to build a pointer only when needed)
 * until it returns true; returns whether it did.
 */
export function someString(
  value: unknown,
  visit: (value: string, keys: readonly (string | number)[]) => boolean,
  keys: (string | number)[] = [],
): boolean {
  if (typeof value === 'string') return visit(value, keys);
  if (keys.length > 64 || typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      keys.push(i);
      const stop = someString(value[i], visit, keys);
      keys.pop();
      if (stop) return true;
    }
    return false;
  }
  for (const k in value) {
    if (!Object.hasOwn(value, k)) continue;
    keys.push(k);
    const stop = someString((value as Record<string, unknown>)[k], visit, keys);
    keys.pop();
    if (stop) return true;
  }
  return false;
}

/** Every string leaf of a value with its pointer (for the secret scan). */
export function allStrings(value: unknown, out: FoundValue[]): void {
  someString(value, (v, keys) => {
    out.push({ pointer: pointerOf(keys), value: v });
    return false;
  });
}

/** A pointer for messages: `/path`, or `(arguments)` for the root. */
export const showPointer = (pointer: string): string => pointer || '(arguments)';
