import { basename, sep } from 'node:path';

/** What placeholders resolve against. */
export interface InterpolationContext {
  env: Record<string, string | undefined>;
  /** Values for `${input:id}`. */
  inputs: Record<string, string>;
  /** `${workspaceFolder}`: the project folder of the file. */
  workspaceFolder: string;
  /** `${userHome}`. */
  home: string;
}

/** A path inside a server entry, like `['env', 'TOKEN']` or `['args', 1]`. */
export type FieldPath = (string | number)[];

/** Result of interpolating one entry. */
export interface InterpolatedEntry {
  config: Record<string, unknown>;
  /** Values that came from the environment or inputs: never to be shown. */
  secrets: string[];
  /** Fields that contain at least one such value. */
  secretPaths: FieldPath[];
  /** Placeholders that could not be resolved, by field. */
  problems: { path: FieldPath; message: string }[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PLACEHOLDER = /\$\{([^{}]*)\}/g;

/**
 * Replaces `${VAR}`, `${VAR:-default}`, `${env:VAR}` (also with `:-default`), `${input:id}`, and the
 * VS Code / Cursor builtins `${workspaceFolder}`, `${workspaceFolderBasename}`, `${userHome}`,
 * `${pathSeparator}` and `${/}`. As in a shell, `:-` uses the default when the variable is unset
 * or empty. Text without `${` is returned as is.
 */
export function interpolateString(text: string, ctx: InterpolationContext): { value: string; secrets: string[]; problems: string[] } {
  const secrets: string[] = [];
  const problems: string[] = [];
  const value = text.replace(PLACEHOLDER, (whole, inner: string) => {
    const resolved = resolvePlaceholder(inner.trim(), ctx);
    if ('problem' in resolved) {
      problems.push(resolved.problem);
      return whole;
    }
    if (resolved.secret && resolved.value !== '') secrets.push(resolved.value);
    return resolved.value;
  });
  return { value, secrets, problems };
}

type Resolved = { value: string; secret: boolean } | { problem: string };

function resolvePlaceholder(inner: string, ctx: InterpolationContext): Resolved {
  switch (inner) {
    case 'workspaceFolder':
      return { value: ctx.workspaceFolder, secret: false };
    case 'workspaceFolderBasename':
      return { value: basename(ctx.workspaceFolder), secret: false };
    case 'userHome':
      return { value: ctx.home, secret: false };
    case 'pathSeparator':
    case '/':
      return { value: sep, secret: false };
  }
  if (inner.startsWith('input:')) {
    const id = inner.slice('input:'.length);
    const value = Object.hasOwn(ctx.inputs, id) ? ctx.inputs[id] : undefined;
    if (value === undefined) return { problem: `input "${id}" has no value (pass it in the inputs option)` };
    return { value, secret: true };
  }
  const variable = inner.startsWith('env:') ? inner.slice('env:'.length) : inner;
  const cut = variable.indexOf(':-');
  const name = cut === -1 ? variable : variable.slice(0, cut);
  if (!NAME.test(name)) return { problem: `unsupported placeholder \${${inner}}` };
  const set = Object.hasOwn(ctx.env, name) ? ctx.env[name] : undefined;
  if (cut !== -1) {
    // Like the shell's ${VAR:-default}: unset or empty takes the default (which is in the file, not a secret).
    if (set === undefined || set === '') return { value: variable.slice(cut + 2), secret: false };
    return { value: set, secret: true };
  }
  if (set === undefined) return { problem: `environment variable ${name} is not set (write \${${name}:-default} to give a default)` };
  return { value: set, secret: true };
}

/** Fields whose strings are interpolated (and the same fields inside each `replicas` target). */
const STRING_FIELDS = ['command', 'url', 'cwd', 'bearerToken', 'envFile'] as const;
const LIST_FIELDS = ['args'] as const;
const RECORD_FIELDS = ['env', 'headers'] as const;

/**
 * Interpolates the transport fields of one entry: `command`, `args`, `env`, `url`, `headers`,
 * `cwd`, `bearerToken`, `envFile`, a stdio `sandbox`'s `read`, `write` and `env` (so its paths can be
 * `${workspaceFolder}/data`), and the same inside `replicas` targets. Other fields are copied untouched.
 */
export function interpolateEntry(entry: Record<string, unknown>, ctx: InterpolationContext): InterpolatedEntry {
  const out: InterpolatedEntry = { config: {}, secrets: [], secretPaths: [], problems: [] };
  out.config = interpolateTarget(entry, ctx, [], out);
  const replicas = entry['replicas'];
  if (Array.isArray(replicas)) {
    out.config['replicas'] = (replicas as unknown[]).map((target, i) => {
      if (typeof target === 'string') return one(target, ['replicas', i], ctx, out);
      if (isRecord(target)) return interpolateTarget(target, ctx, ['replicas', i], out);
      return target;
    });
  }
  return out;
}

function interpolateTarget(
  target: Record<string, unknown>,
  ctx: InterpolationContext,
  at: FieldPath,
  out: InterpolatedEntry,
): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...target };
  for (const field of STRING_FIELDS) {
    const value = target[field];
    if (typeof value === 'string') copy[field] = one(value, [...at, field], ctx, out);
  }
  for (const field of LIST_FIELDS) {
    const value = target[field];
    if (Array.isArray(value))
      copy[field] = (value as unknown[]).map((item, i) => (typeof item === 'string' ? one(item, [...at, field, i], ctx, out) : item));
  }
  for (const field of RECORD_FIELDS) {
    const value = target[field];
    if (!isRecord(value)) continue;
    const record: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value))
      record[key] = typeof item === 'string' ? one(item, [...at, field, key], ctx, out) : item;
    copy[field] = record;
  }
  const sandbox = target['sandbox'];
  if (isRecord(sandbox)) copy['sandbox'] = interpolateSandbox(sandbox, ctx, [...at, 'sandbox'], out);
  return copy;
}

function interpolateSandbox(
  sandbox: Record<string, unknown>,
  ctx: InterpolationContext,
  at: FieldPath,
  out: InterpolatedEntry,
): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...sandbox };
  for (const field of ['read', 'write'] as const) {
    const value = sandbox[field];
    if (Array.isArray(value))
      copy[field] = (value as unknown[]).map((item, i) => (typeof item === 'string' ? one(item, [...at, field, i], ctx, out) : item));
  }
  const env = sandbox['env'];
  if (isRecord(env)) {
    const record: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(env)) record[key] = typeof item === 'string' ? one(item, [...at, 'env', key], ctx, out) : item;
    copy['env'] = record;
  }
  return copy;
}

function one(text: string, path: FieldPath, ctx: InterpolationContext, out: InterpolatedEntry): string {
  const { value, secrets, problems } = interpolateString(text, ctx);
  if (secrets.length > 0) {
    out.secrets.push(...secrets);
    out.secretPaths.push(path);
  }
  for (const message of problems) out.problems.push({ path, message });
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
