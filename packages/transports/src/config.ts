import { z } from 'zod';
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { TRANSPORT_TYPE_ALIASES, transportKindFromType, type TransportKind } from './kinds.js';
import { LEGACY_PROTOCOL_VERSION, MODERN_PROTOCOL_VERSION, protocolSchema } from './protocol.js';
import type { McpServerLike, ServerConfig } from './types.js';
import { upstreamAuthSchema } from './upstream-auth/auth-schema.js';

/** One problem found in a server entry. */
export interface ConfigIssue {
  /** Name of the server entry (the key under `mcpServers`); `''` for the record as a whole. */
  server: string;
  /** Field path inside the entry, like `args[1]`, `env.API_KEY` or `url`; `''` for the entry as a whole. */
  path: string;
  /** What was wrong, e.g. `expected string, got number`. */
  message: string;
}

/** Result of `parseServerConfig`. */
export type ParseServerConfigResult = { ok: true; config: ServerConfig; kind: TransportKind } | { ok: false; issues: ConfigIssue[] };

/** Result of `parseServersConfig`: the good entries, and every issue of the bad ones. */
export interface ParseServersConfigResult {
  /** Entries that parsed, by name, in their original order. */
  servers: Record<string, ServerConfig>;
  /** Problems of the entries that did not parse; those entries are left out of `servers`. */
  issues: ConfigIssue[];
}

/** `null`, `array` or the `typeof` name: what a reader of the config file would call the value. */
function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** zod error callback for a type check: "required" when absent, else "expected X, got Y". */
function expected(what: string) {
  return (issue: { input?: unknown }): string =>
    issue.input === undefined ? `required (${what})` : `expected ${what}, got ${typeName(issue.input)}`;
}

const stringSchema = z.string({ error: expected('string') });
const nonEmptyString = z.string({ error: expected('string') }).min(1, { error: 'must not be empty' });
const stringArray = z.array(stringSchema, { error: expected('array of strings') });
const stringRecord = z.record(z.string(), stringSchema, { error: expected('object of strings') });
const nonNegativeInt = z
  .number({ error: expected('number') })
  .int({ error: 'expected an integer' })
  .nonnegative({ error: 'must not be negative' });

const inputRounds = nonNegativeInt.min(1, { error: 'must be at least 1' }).max(100, { error: 'must be at most 100' });

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

const httpUrl = stringSchema.superRefine((value, ctx) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.addIssue({ code: 'custom', message: `invalid URL '${value}'` });
    return;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    ctx.addIssue({ code: 'custom', message: `unsupported URL scheme '${url.protocol}' in '${value}' (expected http: or https:)` });
  }
});

const positiveInt = nonNegativeInt.min(1, { error: 'must be at least 1' });
const absolutePath = nonEmptyString.refine((value) => value.startsWith('/'), {
  error: (issue) => `must be an absolute path, got '${String(issue.input)}'`,
});

const SANDBOX_FIELDS = 'network, read, write, memoryMb, cpuSeconds, pids, env';

/**
 * zod schema of a stdio entry's `sandbox` (see `SandboxConfig`). Strict: a misspelt limit must not
 * leave a server running with less containment than its author asked for.
 */
export const sandboxConfigSchema = z.strictObject(
  {
    network: z.boolean({ error: expected('boolean') }).optional(),
    read: z.array(absolutePath, { error: expected('array of absolute paths') }).optional(),
    write: z.array(absolutePath, { error: expected('array of absolute paths') }).optional(),
    memoryMb: positiveInt.optional(),
    cpuSeconds: positiveInt.optional(),
    pids: positiveInt.optional(),
    env: stringRecord.optional(),
  },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown field${issue.keys.length === 1 ? '' : 's'} ${issue.keys.map((k) => `'${k}'`).join(', ')} (known: ${SANDBOX_FIELDS})`
        : expected('object')(issue),
  },
);

/**
 * zod schema of a stdio entry (canonical form: `type` is `'stdio'` or absent). Unknown fields
 * pass through.
 */
export const stdioServerConfigSchema = z.looseObject({
  type: z.literal('stdio').optional(),
  command: nonEmptyString,
  args: stringArray.optional(),
  env: stringRecord.optional(),
  cwd: nonEmptyString.optional(),
  stderrBufferBytes: nonNegativeInt.optional(),
  shutdownGraceMs: nonNegativeInt.optional(),
  // At least 1 KiB: below that not even an initialize answer fits.
  maxMessageBytes: nonNegativeInt.min(1024, { error: 'must be at least 1024 (bytes)' }).optional(),
  sandbox: sandboxConfigSchema.optional(),
  protocol: protocolSchema.optional(),
  maxInputRounds: inputRounds.optional(),
});

/**
 * zod schema of an HTTP entry (canonical form: `type` is `'streamable-http'`, `'sse'` or absent).
 * `authProvider` is checked for shape only and passed on by reference (it is usually a class
 * instance whose methods a copy would lose). Unknown fields pass through.
 */
export const httpServerConfigSchema = z
  .looseObject({
    type: z.enum(['streamable-http', 'sse']).optional(),
    url: httpUrl,
    headers: stringRecord.optional(),
    bearerToken: nonEmptyString.optional(),
    authProvider: z
      .custom<OAuthClientProvider>((value) => isObject(value) && typeof value['tokens'] === 'function', {
        error: (issue) => `expected an OAuthClientProvider (object with tokens()), got ${typeName(issue.input)}`,
      })
      .optional(),
    auth: upstreamAuthSchema.optional(),
    protocol: protocolSchema.optional(),
    maxInputRounds: inputRounds.optional(),
  })
  .superRefine((config, ctx) => {
    if (config.auth !== undefined) {
      // Per-caller credentials replace the header: a static one beside it would be sent for everyone.
      const other = config.bearerToken !== undefined ? 'bearerToken' : config.authProvider !== undefined ? 'authProvider' : undefined;
      const header = Object.keys(config.headers ?? {}).find((name) => name.toLowerCase() === 'authorization');
      if (other !== undefined || header !== undefined)
        ctx.addIssue({ code: 'custom', path: ['auth'], message: `set either auth or ${other ?? `headers.${header}`}, not both` });
    }
    // Two sources for one header would make the winner depend on SDK internals; make the user pick.
    if (config.bearerToken === undefined) return;
    if (config.authProvider !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['bearerToken'], message: 'set either bearerToken or authProvider, not both' });
    }
    const authHeader = Object.keys(config.headers ?? {}).find((name) => name.toLowerCase() === 'authorization');
    if (authHeader !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['bearerToken'], message: `set either bearerToken or headers.${authHeader}, not both` });
    }
  });

function isServerLike(value: unknown): value is McpServerLike {
  return isObject(value) && typeof value['connect'] === 'function' && typeof value['close'] === 'function';
}

/**
 * zod schema of an in-memory entry: `server` is an SDK server (anything with `connect` and
 * `close`) or a function returning one; either is kept by reference.
 */
export const inMemoryServerConfigSchema = z.looseObject({
  type: z.literal('in-memory'),
  server: z.custom<McpServerLike | (() => McpServerLike | Promise<McpServerLike>)>(
    (value) => typeof value === 'function' || isServerLike(value),
    {
      error: (issue) =>
        issue.input === undefined
          ? 'required (an MCP server or a function returning one)'
          : `expected an MCP server (object with connect() and close()) or a function returning one, got ${typeName(issue.input)}`,
    },
  ),
  protocol: protocolSchema.optional(),
});

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** `['args', 1]` -> `args[1]`, `['headers', 'x-api-key']` -> `headers["x-api-key"]`. */
export function formatConfigPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (typeof segment === 'string' && IDENTIFIER.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(String(segment))}]`;
  }
  return out;
}

/**
 * One line for a person: `server "github": args[1]: expected string, got number`.
 *
 * @example
 * issues.map(formatConfigIssue).join('\n');
 */
export function formatConfigIssue(issue: ConfigIssue): string {
  const where = issue.server === '' ? '' : `server "${issue.server}": `;
  return `${where}${issue.path === '' ? '' : `${issue.path}: `}${issue.message}`;
}

const KNOWN_TYPES = Object.keys(TRANSPORT_TYPE_ALIASES).join(', ');

type KindResult = { kind: TransportKind; explicit: boolean } | { issues: ConfigIssue[] };

/** Reads `type` / `transport`, or infers the kind from the fields present. */
function resolveKind(server: string, raw: Record<string, unknown>): KindResult {
  const issue = (path: string, message: string): KindResult => ({ issues: [{ server, path, message }] });
  let chosen: { field: string; value: string; kind: TransportKind } | undefined;
  for (const field of ['type', 'transport'] as const) {
    const value = raw[field];
    if (value === undefined) continue;
    if (typeof value !== 'string') return issue(field, `expected string, got ${typeName(value)}`);
    const kind = transportKindFromType(value);
    if (!kind) return issue(field, `unknown transport '${value}' (expected one of: ${KNOWN_TYPES})`);
    if (chosen && chosen.kind !== kind) {
      return issue(field, `'${value}' conflicts with ${chosen.field} '${chosen.value}'`);
    }
    chosen ??= { field, value, kind };
  }
  if (chosen) return { kind: chosen.kind, explicit: true };
  const hasCommand = raw['command'] !== undefined;
  const hasUrl = raw['url'] !== undefined;
  if (hasCommand && hasUrl) return issue('', 'has both command (stdio) and url (http); set type to say which');
  if (hasCommand) return { kind: 'stdio', explicit: false };
  if (hasUrl) return { kind: 'streamable-http', explicit: false };
  if (raw['server'] !== undefined) return { kind: 'in-memory', explicit: false };
  return issue('', 'needs either command (stdio) or url (http)');
}

const SCHEMA_BY_KIND = {
  stdio: stdioServerConfigSchema,
  'streamable-http': httpServerConfigSchema,
  sse: httpServerConfigSchema,
  'in-memory': inMemoryServerConfigSchema,
} as const;

/**
 * Validates one `mcpServers` entry and tells its transport kind.
 *
 * Accepts the shapes existing client configs use: `command`/`args`/`env`/`cwd` for stdio,
 * `url`/`headers` for HTTP, `type` or its alias `transport` (`stdio`, `http`, `streamable-http`,
 * `streamableHttp`, `sse`, `in-memory`). Unknown fields are kept. In the returned config `type` is
 * canonical (`http`/`streamableHttp` become `streamable-http`) and `transport` is dropped; a URL
 * entry without a type keeps `type` absent, which is what makes `connect()` fall back to SSE.
 * An entry with only `server` is taken as in-memory.
 *
 * Never throws: every problem comes back as an issue with the field path and what was wrong.
 *
 * @example
 * const result = parseServerConfig('github', { command: 'npx', args: ['-y', 2] });
 * // { ok: false, issues: [{ server: 'github', path: 'args[1]', message: 'expected string, got number' }] }
 */
export function parseServerConfig(server: string, raw: unknown): ParseServerConfigResult {
  if (!isObject(raw) || Array.isArray(raw)) {
    return { ok: false, issues: [{ server, path: '', message: `expected object, got ${typeName(raw)}` }] };
  }
  const resolved = resolveKind(server, raw);
  if ('issues' in resolved) return { ok: false, issues: resolved.issues };
  const { kind, explicit } = resolved;

  const input: Record<string, unknown> = { ...raw };
  delete input['transport'];
  if (explicit || kind === 'in-memory') input['type'] = kind;
  else delete input['type'];

  const result = SCHEMA_BY_KIND[kind].safeParse(input);
  if (!result.success) {
    return {
      ok: false,
      issues: result.error.issues.map((issue) => ({ server, path: formatConfigPath(issue.path), message: issue.message })),
    };
  }
  const mismatch = protocolMismatch(kind, result.data.protocol);
  if (mismatch !== undefined) return { ok: false, issues: [{ server, path: 'protocol', message: mismatch }] };
  return { ok: true, config: result.data as ServerConfig, kind };
}

/**
 * Validates a whole `mcpServers` record. One bad entry never stops the others: good entries come
 * back in `servers`, and every problem of the bad ones in `issues`.
 *
 * @example
 * const { servers, issues } = parseServersConfig(json.mcpServers);
 * for (const issue of issues) console.warn(formatConfigIssue(issue));
 */
export function parseServersConfig(record: unknown): ParseServersConfigResult {
  // Null prototype: a server called "__proto__" must be an entry, not a prototype change.
  const servers = Object.create(null) as Record<string, ServerConfig>;
  const issues: ConfigIssue[] = [];
  if (!isObject(record) || Array.isArray(record)) {
    issues.push({ server: '', path: '', message: `expected an object of server entries, got ${typeName(record)}` });
    return { servers, issues };
  }
  for (const [name, raw] of Object.entries(record)) {
    const result = parseServerConfig(name, raw);
    if (result.ok) servers[name] = result.config;
    else issues.push(...result.issues);
  }
  return { servers, issues };
}

/**
 * Why a transport kind cannot carry the pinned protocol, or undefined when it can. The legacy
 * HTTP+SSE transport and the in-memory link (an SDK 1.x server object) exist only in the 2025 era.
 */
function protocolMismatch(kind: TransportKind, protocol: unknown): string | undefined {
  if (protocol !== MODERN_PROTOCOL_VERSION) return undefined;
  if (kind === 'sse') return `the legacy HTTP+SSE transport speaks ${LEGACY_PROTOCOL_VERSION} only; use type 'streamable-http'`;
  if (kind === 'in-memory') return `in-memory upstreams speak ${LEGACY_PROTOCOL_VERSION} only`;
  return undefined;
}
