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

const escape = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');

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

/** Every string (or string in an array) under a key whose name matches `name`, at any depth. */
export function valuesNamed(args: unknown, name: RegExp, out: FoundValue[], pointer = '', depth = 0): void {
  // Arguments nested this deep are the size limits' business, not a reason to overflow the stack.
  if (depth > 64) return;
  if (Array.isArray(args)) {
    args.forEach((v, i) => valuesNamed(v, name, out, `${pointer}/${i}`, depth + 1));
  } else if (isRecord(args)) {
    for (const [k, v] of Object.entries(args)) {
      const p = `${pointer}/${escape(k)}`;
      if (name.test(k) && (typeof v === 'string' || Array.isArray(v))) visit(v, [], 0, p, out);
      else valuesNamed(v, name, out, p, depth + 1);
    }
  }
}

/** Every string leaf of a value with its pointer (for deny patterns over all values and the secret scan). */
export function allStrings(value: unknown, out: FoundValue[], pointer = '', depth = 0): void {
  if (typeof value === 'string') out.push({ pointer, value });
  else if (depth > 64) return;
  else if (Array.isArray(value)) value.forEach((v, i) => allStrings(v, out, `${pointer}/${i}`, depth + 1));
  else if (isRecord(value)) for (const [k, v] of Object.entries(value)) allStrings(v, out, `${pointer}/${escape(k)}`, depth + 1);
}

/** A pointer for messages: `/path`, or `(arguments)` for the root. */
export const showPointer = (pointer: string): string => pointer || '(arguments)';
