import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { MAX_REPLICAS } from '@mcp-bridge/core';
import { formatConfigPath, parseServerConfig } from '@mcp-bridge/transports';
import { readEnvFile } from './env-file.js';
import { interpolateEntry, type FieldPath, type InterpolationContext } from './interpolate.js';
import { scrub } from './redact.js';

/** `null`, `array` or the `typeof` name, as the transports package words it. */
function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function expected(what: string) {
  return (issue: { input?: unknown }): string =>
    issue.input === undefined ? `required (${what})` : `expected ${what}, got ${typeName(issue.input)}`;
}

/**
 * The per-server fields mcp-bridge adds to the `mcpServers` shape. Loose: every other field
 * (transport fields, client-specific ones like `alwaysAllow`) passes through untouched.
 */
export const serverExtrasSchema = z.looseObject({
  enabled: z.boolean({ error: expected('boolean') }).optional(),
  /** Cline/Roo spelling of `enabled: false`. */
  disabled: z.boolean({ error: expected('boolean') }).optional(),
  tags: z
    .array(z.string({ error: expected('string') }).min(1, { error: 'must not be empty' }), { error: expected('array of strings') })
    .optional(),
  trusted: z.boolean({ error: expected('boolean') }).optional(),
  settings: z
    .looseObject(
      {
        timeout: z
          .number({ error: expected('number (ms)') })
          .positive({ error: 'must be positive' })
          .optional(),
        retries: z
          .number({ error: expected('number') })
          .int({ error: 'expected an integer' })
          .nonnegative({ error: 'must not be negative' })
          .optional(),
      },
      { error: expected('object') },
    )
    .optional(),
  /** Who shares an upstream session (core's per-caller sessions). */
  sessions: z
    .enum(['auto', 'shared', 'per-client', 'per-principal'], { error: "expected 'auto', 'shared', 'per-client' or 'per-principal'" })
    .optional(),
  maxSessionsPerUpstream: z
    .number({ error: expected('number') })
    .int({ error: 'expected an integer' })
    .min(1, { error: 'must be at least 1' })
    .max(1024, { error: 'must be at most 1024' })
    .optional(),
  sessionIdleMs: z
    .number({ error: expected('number (ms)') })
    .positive({ error: 'must be positive' })
    .optional(),
  // Worded like core's own replica check (core expands replicas; this reports them with a line).
  replicas: z
    .unknown()
    .superRefine((value, ctx) => {
      if (value === undefined) return;
      if (typeof value === 'number') {
        if (!Number.isInteger(value) || value < 1 || value > MAX_REPLICAS) {
          ctx.addIssue({ code: 'custom', message: `expected an integer from 1 to ${MAX_REPLICAS} or a list of targets, got ${value}` });
        }
      } else if (Array.isArray(value)) {
        if (value.length === 0 || value.length > MAX_REPLICAS)
          ctx.addIssue({ code: 'custom', message: `expected 1 to ${MAX_REPLICAS} targets, got ${value.length}` });
        value.forEach((target, i) => {
          if (typeof target !== 'string' && (typeof target !== 'object' || target === null || Array.isArray(target))) {
            ctx.addIssue({ code: 'custom', path: [i], message: `expected a URL or an object, got ${typeName(target)}` });
          }
        });
      } else {
        ctx.addIssue({ code: 'custom', message: `expected a number or a list of targets, got ${typeName(value)}` });
      }
    })
    .optional(),
});

/** One problem of an entry, by field path inside it. */
export interface EntryProblem {
  path: FieldPath;
  message: string;
}

/** What became of one entry. */
export type EntryOutcome =
  | { status: 'disabled' }
  | { status: 'invalid'; problems: EntryProblem[] }
  | { status: 'ok'; config: Record<string, unknown>; tags: string[]; secrets: string[]; secretPaths: FieldPath[] };

/**
 * Validates and interpolates one server entry: the mcp-bridge fields with zod, then placeholders,
 * then the transport fields with `parseServerConfig` (so messages match the rest of the repo). A
 * disabled entry is not interpolated, so a switched-off server may name variables that are unset.
 * A VS Code `envFile` (stdio entries) is read and merged under `env`; `onFileUsed` learns its path
 * so a watcher can watch it.
 * Messages never contain an interpolated value.
 */
export function processEntry(
  name: string,
  raw: unknown,
  ctx: InterpolationContext,
  options: { onFileUsed?: (path: string) => void } = {},
): EntryOutcome {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { status: 'invalid', problems: [{ path: [], message: `expected an object, got ${typeName(raw)}` }] };
  }
  const extras = serverExtrasSchema.safeParse(raw);
  if (!extras.success) {
    return { status: 'invalid', problems: extras.error.issues.map((i) => ({ path: i.path.filter(isSegment), message: i.message })) };
  }
  if (extras.data.enabled === false || extras.data.disabled === true) return { status: 'disabled' };

  const interpolated = interpolateEntry(raw as Record<string, unknown>, ctx);
  if (interpolated.problems.length > 0) return { status: 'invalid', problems: interpolated.problems };
  const { config, secrets, secretPaths } = interpolated;

  // VS Code's envFile: its variables under the entry's own env (env wins), as VS Code merges them.
  const envFile = config['envFile'];
  const own = config['env'];
  const ownIsRecord = typeof own === 'object' && own !== null && !Array.isArray(own);
  // Only for stdio entries, and never over a malformed env (validation reports that below).
  if (typeof envFile === 'string' && envFile !== '' && config['url'] === undefined && (own === undefined || ownIsRecord)) {
    const path = isAbsolute(envFile) ? envFile : resolve(ctx.workspaceFolder, envFile);
    options.onFileUsed?.(path);
    let fromFile: Record<string, string>;
    try {
      fromFile = readEnvFile(path);
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      return { status: 'invalid', problems: [{ path: ['envFile'], message: scrub(`cannot read env file ${path}: ${reason}`, secrets) }] };
    }
    secrets.push(...Object.values(fromFile).filter((v) => v !== ''));
    for (const key of Object.keys(fromFile)) secretPaths.push(['env', key]);
    config['env'] = { ...fromFile, ...(ownIsRecord ? own : {}) };
  }

  const problems: EntryProblem[] = [];
  const { replicas, ...base } = config;
  if (Array.isArray(replicas)) {
    // Each target is merged over the entry's other fields, exactly as core expands replicas.
    replicas.forEach((target, i) => {
      const merged = typeof target === 'string' ? { ...base, url: target } : { ...base, ...(target as Record<string, unknown>) };
      const parsed = parseServerConfig(name, merged);
      if (!parsed.ok)
        for (const issue of parsed.issues) problems.push({ path: ['replicas', i, ...parsePath(issue.path)], message: issue.message });
    });
  } else {
    const parsed = parseServerConfig(name, base);
    if (!parsed.ok) for (const issue of parsed.issues) problems.push({ path: parsePath(issue.path), message: issue.message });
  }
  if (problems.length > 0) {
    return { status: 'invalid', problems: problems.map((p) => ({ path: p.path, message: scrub(p.message, secrets) })) };
  }
  return { status: 'ok', config, tags: extras.data.tags ?? [], secrets, secretPaths };
}

/** Formats a field path the way transports does: `args[1]`, `env.API_KEY`, `headers["x-api-key"]`. */
export function formatField(path: FieldPath): string {
  return formatConfigPath(path);
}

const SEGMENT = /^(?:\.?([A-Za-z_$][\w$]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\])/;

/** The inverse of `formatConfigPath`: `replicas[0].headers["x-key"]` → `['replicas', 0, 'headers', 'x-key']`. */
export function parsePath(text: string): FieldPath {
  const out: FieldPath = [];
  let rest = text;
  while (rest.length > 0) {
    const m = SEGMENT.exec(rest);
    if (!m) {
      out.push(rest);
      break;
    }
    if (m[1] !== undefined) out.push(m[1]);
    else if (m[2] !== undefined) out.push(Number(m[2]));
    else out.push(JSON.parse(m[3]!) as string);
    rest = rest.slice(m[0].length);
  }
  return out;
}

function isSegment(segment: PropertyKey): segment is string | number {
  return typeof segment === 'string' || typeof segment === 'number';
}
