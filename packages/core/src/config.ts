import type { ClientCapabilities } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { parseServerConfig, transportKindOf, type ServerConfig, type TransportKind } from '@mcp-bridge/transports';
import { ConfigError } from './errors.js';
import type { NamingOptions } from './naming.js';
import type { Plugin } from './types.js';

/** Options of {@link createBridge}. */
export interface BridgeOptions {
  /**
   * Upstream servers by name, in the `mcpServers` shape (`command`/`args`/`env`/`cwd`, or `url`/
   * `headers`, or `{ type: 'in-memory', server }`). A bad entry is reported in `bridge.status()` and
   * skipped; the others still start.
   */
  servers?: Record<string, unknown>;
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
  /** Connect + initialize timeout per upstream in ms (default 30_000). */
  connectTimeout?: number;
  /** How long `start()` waits for the catalog, in ms (default 30_000); late servers join when ready. */
  startTimeout?: number;
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
const positiveMs = z.number().int().positive().max(2 ** 31 - 1, 'must be at most 2147483647 ms (about 24.8 days)');

const optionsSchema = z.object({
  servers: z.record(z.string(), z.unknown()).optional(),
  plugins: z.array(z.unknown()).optional(),
  naming: z
    .object({
      policy: z.enum(['prefix', 'collision', 'never', 'error']).optional(),
      separator: z.string().regex(/^[a-zA-Z0-9_-]{1,8}$/, 'must be 1-8 characters of [a-zA-Z0-9_-]').optional(),
      resourcePolicy: z.enum(['prefix', 'collision', 'never', 'error']).optional(),
    })
    .strict()
    .optional(),
  clientInfo: z.object({ name: z.string().min(1), version: z.string().min(1) }).optional(),
  clientCapabilities: z.record(z.string(), z.unknown()).optional(),
  requestTimeout: positiveMs.optional(),
  connectTimeout: positiveMs.optional(),
  startTimeout: positiveMs.optional(),
  setupTimeout: positiveMs.optional(),
  reconnectMinMs: positiveMs.optional(),
  reconnectMaxMs: positiveMs.optional(),
  onError: z.function().optional(),
});

/** A server entry that passed validation. */
export interface ValidServer {
  name: string;
  config: ServerConfig;
  kind: TransportKind;
}

/** A server entry that did not. */
export interface InvalidServer {
  name: string;
  issues: { path: string; message: string }[];
}

/** Validates bridge options; throws a {@link ConfigError} naming each bad field. */
export function validateOptions(options: BridgeOptions): void {
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
    const parsed = parseServerConfig(name, raw);
    if (parsed.ok) valid.push({ name, config: parsed.config, kind: transportKindOf(parsed.config) });
    else invalid.push({ name, issues: parsed.issues.map((i) => ({ path: i.path, message: i.message })) });
  }
  return { valid, invalid };
}
