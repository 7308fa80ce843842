/** What replaces a secret. */
export const REDACTED = '[REDACTED]';

const MAX_DEPTH = 6;
const MAX_KEYS = 50;
const MAX_STRING = 2_000;

/** Normalises a key for matching: case and `-`/`_` do not matter (`API_KEY` = `apiKey`). */
export const normaliseKey = (key: string): string => key.toLowerCase().replace(/[-_]/g, '');

/**
 * A bounded, redacted copy of a value for a log line: values of secret keys become `[REDACTED]`,
 * secret-looking substrings are replaced, long strings are cut, deep or wide structures truncated
 * (a hostile argument must not make logging expensive).
 */
export function redactValue(value: unknown, keys: ReadonlySet<string>, patterns: readonly RegExp[], depth = 0): unknown {
  if (typeof value === 'string') return redactString(value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}…` : value, patterns);
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= MAX_DEPTH) return '[…]';
  if (Array.isArray(value)) {
    const out = value.slice(0, MAX_KEYS).map((v) => redactValue(v, keys, patterns, depth + 1));
    if (value.length > MAX_KEYS) out.push(`[… ${value.length - MAX_KEYS} more]`);
    return out;
  }
  const out: Record<string, unknown> = {};
  let n = 0;
  for (const [k, v] of Object.entries(value)) {
    if (n++ >= MAX_KEYS) {
      out['…'] = 'truncated';
      break;
    }
    out[k] = keys.has(normaliseKey(k)) ? REDACTED : redactValue(v, keys, patterns, depth + 1);
  }
  return out;
}

/** Replaces every match of every pattern. */
export function redactString(text: string, patterns: readonly RegExp[]): string {
  let out = text;
  for (const pattern of patterns) out = out.replace(pattern, REDACTED);
  return out;
}
