/** What a hidden value is shown as. */
export const REDACTED = '***';

/** Secrets too short to hide inside longer text without garbling it (a 1-character value is no secret). */
const MIN_EMBEDDED_SECRET = 3;

interface Hidden {
  /** Values from the environment or inputs, longest first. */
  secrets: readonly string[];
  /** Fields (as `formatConfigPath`-like keys) that hold one of them. */
  fields: ReadonlySet<string>;
}

// Kept beside the config object (never on it, so what createBridge gets is exactly what the file meant).
const interpolated = new WeakMap<object, Hidden>();

// Every secret any discover() of this process interpolated, for scrubbing free text (error messages
// that quote a command line, a URL or a server's stderr). Bounded: a config watched for days must not grow it forever.
const MAX_REMEMBERED = 1024;
const everySecret = new Set<string>();
let everySecretSorted: string[] | undefined;

/** Records which values of a config came from the environment or inputs, and in which fields. */
export function rememberSecrets(config: object, secrets: readonly string[], fields: readonly (string | number)[][] = []): void {
  if (secrets.length === 0) return;
  for (const secret of secrets) {
    if (secret.length < MIN_EMBEDDED_SECRET || everySecret.has(secret)) continue;
    if (everySecret.size >= MAX_REMEMBERED) everySecret.delete(everySecret.values().next().value as string);
    everySecret.add(secret);
    everySecretSorted = undefined;
  }
  interpolated.set(config, {
    secrets: [...new Set(secrets)].sort((a, b) => b.length - a.length),
    fields: new Set(fields.map(fieldKey)),
  });
}

/**
 * Replaces every occurrence of each secret in `text` with `***`, longest first so a secret containing
 * another is hidden whole. Secrets shorter than 3 characters are hidden only when they are the whole text.
 */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length === 0) continue;
    if (secret.length < MIN_EMBEDDED_SECRET) {
      if (out === secret) return REDACTED;
      continue;
    }
    out = out.split(secret).join(REDACTED);
  }
  return out;
}

/**
 * Hides, in any text, every value that a `discover()` of this process interpolated from the
 * environment or inputs (3 characters or longer): for messages that quote a config indirectly, such
 * as a transport error naming the command line, or a server's stderr.
 *
 * @example
 * process.stderr.write(scrubSecrets(String(error)));
 */
export function scrubSecrets(text: string): string {
  if (everySecret.size === 0) return text;
  everySecretSorted ??= [...everySecret].sort((a, b) => b.length - a.length);
  return scrub(text, everySecretSorted);
}

function fieldKey(path: readonly (string | number)[]): string {
  return JSON.stringify(path);
}

const SECRET_KEY = /token|secret|passw(or)?d|pwd|api[-_]?key|apikey|authori[sz]ation|credential|private[-_]?key|cookie|session[-_]?id/i;
/** `--token=abc`, `--api-key=abc`. */
const SECRET_FLAG_WITH_VALUE = /^(--?[\w-]*(?:token|secret|passw(?:or)?d|api[-_]?key|apikey|credential|private[-_]?key)[\w-]*=)(.+)$/i;
/** `--token abc`: the next argument is the value. */
const SECRET_FLAG = /^--?[\w-]*(?:token|secret|passw(?:or)?d|api[-_]?key|apikey|credential|private[-_]?key)[\w-]*$/i;

/**
 * A copy of a server config that is safe to print or log: every `env` and `headers` value,
 * `bearerToken`, `authProvider` and any field named like a secret (`token`, `apiKey`, `password` ...)
 * become `***`; so do values of secret-looking flags in `args` (`--api-key=...`, `--token ...`),
 * passwords and secret-looking query parameters in URLs, and — for configs returned by
 * `discover()` — every value interpolated from the environment or inputs, in the fields it went into
 * (in `https://${HOST}/mcp` the host shows as `***`).
 *
 * @example
 * console.log(JSON.stringify(redactConfig(server.config)));
 * // {"command":"npx","args":["-y","server-github"],"env":{"GITHUB_TOKEN":"***"}}
 */
export function redactConfig(config: Record<string, unknown>): Record<string, unknown> {
  return redactObject(config, interpolated.get(config) ?? { secrets: [], fields: new Set() }, []);
}

/** Secrets are looked for only in the fields known to hold one, so an unrelated field is never mangled. */
function hide(text: string, hidden: Hidden, path: readonly (string | number)[]): string {
  return hidden.fields.has(fieldKey(path)) ? scrub(text, hidden.secrets) : text;
}

function redactObject(object: Record<string, unknown>, hidden: Hidden, at: (string | number)[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(object)) {
    const path = [...at, key];
    if (key === 'env' || key === 'headers')
      out[key] = isPlainRecord(value) ? mapValues(value, () => REDACTED) : redactValue(value, hidden, path);
    else if (key === 'bearerToken' || key === 'authProvider') out[key] = value === undefined ? value : REDACTED;
    else if (key === 'args' && Array.isArray(value)) out[key] = redactArgs(value, hidden, path);
    else if (key === 'url' && typeof value === 'string') out[key] = redactUrl(hide(value, hidden, path));
    else if (SECRET_KEY.test(key) && (typeof value === 'string' || typeof value === 'number')) out[key] = REDACTED;
    else if (key === 'replicas' && Array.isArray(value)) {
      out[key] = value.map((target, i) =>
        typeof target === 'string' ? redactUrl(hide(target, hidden, [...path, i])) : redactValue(target, hidden, [...path, i]),
      );
    } else out[key] = redactValue(value, hidden, path);
  }
  return out;
}

function redactValue(value: unknown, hidden: Hidden, path: (string | number)[]): unknown {
  if (typeof value === 'string') return hide(value, hidden, path);
  if (Array.isArray(value)) return value.map((item, i) => redactValue(item, hidden, [...path, i]));
  // Plain data only: an SDK server or an OAuth provider is shown by reference, not walked.
  if (isPlainRecord(value)) return redactObject(value, hidden, path);
  return value;
}

function redactArgs(args: unknown[], hidden: Hidden, at: (string | number)[]): unknown[] {
  return args.map((arg, i) => {
    if (typeof arg !== 'string') return arg;
    const previous = args[i - 1];
    if (typeof previous === 'string' && SECRET_FLAG.test(previous)) return REDACTED;
    const flag = SECRET_FLAG_WITH_VALUE.exec(arg);
    if (flag) return `${flag[1]}${REDACTED}`;
    return hide(arg, hidden, [...at, i]);
  });
}

function redactUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return text;
  }
  let changed = false;
  if (url.password) {
    url.password = REDACTED;
    changed = true;
  }
  for (const key of [...url.searchParams.keys()]) {
    if (SECRET_KEY.test(key) || /^(key|sig|signature|code)$/i.test(key)) {
      url.searchParams.set(key, REDACTED);
      changed = true;
    }
  }
  // URL serialisation percent-encodes '*'; keep the marker readable.
  return changed ? url.toString().replaceAll('%2A', '*') : text;
}

function mapValues(record: Record<string, unknown>, fn: (value: unknown) => unknown): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, fn(v)]));
}

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
