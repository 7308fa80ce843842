import type { CatalogSnapshotStore } from './catalog-snapshot-store.js';
import type { ClientCapabilities } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { parseServerConfig, transportKindOf, type ServerConfig, type TransportKind } from '@mcp-bridge/transports';
import { ConfigError } from './errors.js';
import type { NamingOptions } from './naming.js';
import type { Plugin } from './plugin-api.js';
import type { RequestLimits } from './request-bounds.js';

/**
 * One entry of `createBridge({ servers })`: a server config of `@mcp-bridge/transports` (stdio,
 * HTTP, in-memory), optionally run as `replicas: N` copies, or a list of replica targets each merged
 * over the entry's other fields (so the entry itself may lack `url`/`command`).
 */
export type BridgeServerConfig =
  | (ServerConfig & { replicas?: number })
  | {
      replicas: readonly (string | Readonly<Record<string, unknown>>)[];
      [extra: string]: unknown;
    };

// Data of unknown shape (`unknown`, or a dictionary such as JSON read from a config file) cannot be
// checked at compile time; start() validates it and reports each bad entry in status().
type Untyped<T> = unknown extends T ? true : string extends keyof T ? true : false;

/**
 * The `servers` map as `createBridge` checks it: an entry written as a literal must be a
 * {@link BridgeServerConfig} (so `{ comand: 'npx' }` does not compile); an entry typed `unknown` or
 * as a plain dictionary passes through to the runtime validation.
 */
export type CheckedServers<S> = { readonly [K in keyof S]: Untyped<S[K]> extends true ? S[K] : BridgeServerConfig };

/**
 * Options of {@link createBridge}. `S` is the type of `servers`, inferred by `createBridge` so each
 * literal entry is checked against {@link BridgeServerConfig}.
 */
export interface BridgeOptions<S extends Readonly<Record<string, unknown>> = Readonly<Record<string, BridgeServerConfig>>> {
  /**
   * Upstream servers by name, in the `mcpServers` shape (`command`/`args`/`env`/`cwd`, or `url`/
   * `headers`, or `{ type: 'in-memory', server }`). A bad entry is reported in `bridge.status()` and
   * skipped; the others still start.
   */
  servers?: S & CheckedServers<S>;
  /** Plugins, in the order you want ties broken. */
  plugins?: readonly Plugin[];
  /** Naming of the merged catalog. */
  naming?: NamingOptions;
  /** Client identity sent to upstreams (default `{ name: 'mcp-bridge', version: <core version> }`). */
  clientInfo?: { name: string; version: string };
  /**
   * Capabilities announced to upstreams (default none). Announce `sampling`, `elicitation` or
   * `roots` only with handlers for them, registered on `client:created`.
   */
  clientCapabilities?: ClientCapabilities;
  /** Default per-request timeout in ms when the caller gives none (default 60_000). */
  requestTimeout?: number;
  /**
   * Bounds on every request's params, checked before the call runs (default depth 64, size 4 MiB):
   * a call past them fails with `InvalidRequestError` (JSON-RPC -32602 at the gateway), the caller's
   * fault, never counted against the upstream.
   */
  requestLimits?: RequestLimits;
  /** Connect + initialize timeout per upstream in ms (default 30_000). */
  connectTimeout?: number;
  /** How long `start()` waits for the catalog, in ms (default 30_000); late servers join when ready. */
  startTimeout?: number;
  /**
   * `wait` (default): `start()` waits up to `startTimeout` for every server's first listing.
   * `background` (for gateways): `start()` resolves once the plugins are booted; servers join the
   * catalog as they come up (`server:started`, `catalog:changed`), are `starting` in `status()` until
   * then, and a server whose listing failed is re-listed in the background with backoff
   * (`reconnectMinMs`..`reconnectMaxMs`), so it joins when it comes up without anyone listing.
   */
  startMode?: 'wait' | 'background';
  /**
   * `startMode: 'background'`: for this long after `start()` (ms, default 5_000), list calls wait
   * for servers still starting, so a client that lists right after connecting sees the servers that
   * come up quickly; slower ones join later with `catalog:changed`.
   */
  startGraceMs?: number;
  /**
   * `startMode: 'background'`: where the lists of each server are kept between runs. At start, the
   * lists a server sent last time are served (status `stale`) while it starts, so a client that lists
   * once sees every server's tools; its real lists replace them, announced with `catalog:changed`
   * when they differ. See `CatalogSnapshotStore`; the CLI keeps them in the user's cache folder.
   */
  catalogSnapshot?: CatalogSnapshotStore;
  /** Default timeout of each plugin's `setup` in ms (default 10_000). */
  setupTimeout?: number;
  /** Default pool: first reconnect pause after a failed connect, ms (default 500). */
  reconnectMinMs?: number;
  /** Default pool: longest reconnect pause, ms (default 30_000). */
  reconnectMaxMs?: number;
  /** Errors nobody awaits (listener errors, background refreshes). Default: `console.error`. */
  onError?: (error: unknown) => void;
}

// setTimeout's limit: a larger delay would fire at once.
const positiveMs = z
  .number()
  .int()
  .positive()
  .max(2 ** 31 - 1, 'must be at most 2147483647 ms (about 24.8 days)');

const optionsSchema = z.object({
  servers: z.record(z.string(), z.unknown()).optional(),
  plugins: z.array(z.unknown()).optional(),
  naming: z
    .object({
      policy: z.enum(['prefix', 'collision', 'never', 'error']).optional(),
      separator: z
        .string()
        .regex(/^[a-zA-Z0-9_-]{1,8}$/, 'must be 1-8 characters of [a-zA-Z0-9_-]')
        .optional(),
      resourcePolicy: z.enum(['prefix', 'collision', 'never', 'error']).optional(),
    })
    .strict()
    .optional(),
  clientInfo: z.object({ name: z.string().min(1), version: z.string().min(1) }).optional(),
  clientCapabilities: z.record(z.string(), z.unknown()).optional(),
  requestTimeout: positiveMs.optional(),
  requestLimits: z
    .object({ maxDepth: z.number().int().positive().optional(), maxSize: z.number().int().positive().optional() })
    .strict()
    .optional(),
  connectTimeout: positiveMs.optional(),
  startTimeout: positiveMs.optional(),
  startMode: z.enum(['wait', 'background']).optional(),
  startGraceMs: z
    .number()
    .int()
    .min(0)
    .max(2 ** 31 - 1)
    .optional(),
  catalogSnapshot: z
    .custom<CatalogSnapshotStore>(
      (v) =>
        typeof v === 'object' &&
        v !== null &&
        typeof (v as CatalogSnapshotStore).load === 'function' &&
        typeof (v as CatalogSnapshotStore).save === 'function',
      'must be an object with load() and save() (a CatalogSnapshotStore)',
    )
    .optional(),
  setupTimeout: positiveMs.optional(),
  reconnectMinMs: positiveMs.optional(),
  reconnectMaxMs: positiveMs.optional(),
  onError: z.function().optional(),
});

const policySchema = z
  .looseObject({
    trusted: z.boolean().optional(),
    settings: z.looseObject({ timeout: positiveMs.optional(), retries: z.number().int().min(0).optional() }).optional(),
    sessions: z.enum(['auto', 'shared', 'per-client', 'per-principal']).optional(),
    maxSessionsPerUpstream: z.number().int().min(1).max(1024).optional(),
    sessionIdleMs: positiveMs.optional(),
  })
  .superRefine((entry, ctx) => {
    // Per-caller credentials (`auth`) are a session's: a session lent to several callers would call as one of them.
    if (entry.auth !== undefined && entry.sessions !== undefined && entry.sessions !== 'per-principal')
      ctx.addIssue({
        code: 'custom',
        path: ['sessions'],
        message: `must be "per-principal" (or absent) with auth: each caller needs its own upstream session`,
      });
  });

/** Validates the transport fields and the policy fields (`trusted`, `settings`, `sessions` ...: {@link ServerPolicyFields}) of one target. */
function parseTarget(name: string, raw: unknown): ReturnType<typeof parseServerConfig> {
  const parsed = parseServerConfig(name, raw);
  // A target that is not an object at all is reported by the transport's own check.
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return parsed;
  const policy = policySchema.safeParse(raw);
  if (policy.success) return parsed;
  const issues = policy.error.issues.map((i) => ({ server: name, path: i.path.map(String).join('.'), message: i.message }));
  return { ok: false, issues: [...(parsed.ok ? [] : parsed.issues), ...issues] };
}

/** One concrete target of a server: the server itself, or one of its replicas. */
export interface ValidReplica {
  /** `server` alone, or `server#n` (n from 1) when the server has replicas. */
  id: string;
  config: ServerConfig;
  kind: TransportKind;
}

/** A server entry that passed validation. */
export interface ValidServer {
  name: string;
  /** The entry as given (with its `replicas` field, if any). */
  config: ServerConfig;
  kind: TransportKind;
  /** One target, or one per replica. */
  replicas: ValidReplica[];
}

/** The most replicas one server may have: a typo like `replicas: 1000` should not fork a thousand processes. */
export const MAX_REPLICAS = 64;

/** A server entry that did not. */
export interface InvalidServer {
  name: string;
  issues: { path: string; message: string }[];
}

/** Validates bridge options; throws a {@link ConfigError} naming each bad field. */
export function validateOptions(options: BridgeOptions<Readonly<Record<string, unknown>>>): void {
  const result = optionsSchema.safeParse(options);
  if (result.success) return;
  const issues = result.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
  throw new ConfigError(`invalid bridge options: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`, {
    data: { issues },
  });
}

/** Splits server entries into valid and invalid ones; one bad entry never stops the others. */
export function parseServers(servers: Record<string, unknown>): { valid: ValidServer[]; invalid: InvalidServer[] } {
  const valid: ValidServer[] = [];
  const invalid: InvalidServer[] = [];
  for (const [name, raw] of Object.entries(servers)) {
    const parsed = parseServer(name, raw);
    if ('issues' in parsed) invalid.push({ name, issues: parsed.issues });
    else valid.push(parsed);
  }
  return { valid, invalid };
}

/**
 * One entry, with its replicas expanded. `replicas: N` runs N copies of the same config
 * (`name#1` ... `name#N`); `replicas: [{ url }, 'http://...', ...]` lists targets, each merged over
 * the entry's other fields (so a list of URLs shares headers, or a list of `args` shares a command).
 */
function parseServer(name: string, raw: unknown): ValidServer | { issues: InvalidServer['issues'] } {
  const replicas = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as { replicas?: unknown }).replicas : undefined;
  if (replicas === undefined || replicas === 1) {
    const parsed = parseTarget(name, raw);
    if (!parsed.ok) return { issues: parsed.issues.map((i) => ({ path: i.path, message: i.message })) };
    const kind = transportKindOf(parsed.config);
    return { name, config: parsed.config, kind, replicas: [{ id: name, config: parsed.config, kind }] };
  }
  const { replicas: _drop, ...base } = raw as Record<string, unknown>;
  let targets: Record<string, unknown>[];
  if (typeof replicas === 'number') {
    if (!Number.isInteger(replicas) || replicas < 1 || replicas > MAX_REPLICAS) {
      return {
        issues: [{ path: 'replicas', message: `expected an integer from 1 to ${MAX_REPLICAS} or a list of targets, got ${replicas}` }],
      };
    }
    targets = Array.from({ length: replicas }, () => base);
  } else if (Array.isArray(replicas)) {
    if (replicas.length === 0 || replicas.length > MAX_REPLICAS) {
      return { issues: [{ path: 'replicas', message: `expected 1 to ${MAX_REPLICAS} targets, got ${replicas.length}` }] };
    }
    const issues: InvalidServer['issues'] = [];
    targets = [];
    replicas.forEach((r, i) => {
      if (typeof r === 'string') targets.push({ ...base, url: r });
      else if (typeof r === 'object' && r !== null && !Array.isArray(r)) targets.push({ ...base, ...(r as Record<string, unknown>) });
      else
        issues.push({
          path: `replicas[${i}]`,
          message: `expected a URL or an object, got ${r === null ? 'null' : Array.isArray(r) ? 'array' : typeof r}`,
        });
    });
    if (issues.length > 0) return { issues };
  } else {
    return {
      issues: [
        { path: 'replicas', message: `expected a number or a list of targets, got ${replicas === null ? 'null' : typeof replicas}` },
      ],
    };
  }
  const out: ValidReplica[] = [];
  const issues: InvalidServer['issues'] = [];
  targets.forEach((target, i) => {
    const parsed = parseTarget(name, target);
    if (!parsed.ok) {
      const prefix = Array.isArray(replicas) ? `replicas[${i}]` : '';
      for (const issue of parsed.issues)
        issues.push({ path: prefix && issue.path ? `${prefix}.${issue.path}` : prefix || issue.path, message: issue.message });
      return;
    }
    out.push({ id: `${name}#${i + 1}`, config: parsed.config, kind: transportKindOf(parsed.config) });
  });
  // The same problem in every copy of `replicas: N` is reported once.
  if (issues.length > 0) return { issues: dedupe(issues) };
  return { name, config: raw as ServerConfig, kind: out[0]!.kind, replicas: out };
}

function dedupe(issues: InvalidServer['issues']): InvalidServer['issues'] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.path}\u0000${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
