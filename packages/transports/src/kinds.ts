import type { ServerConfig, TransportKind } from './types.js';

// Declared with the config types (types.ts), which use it: declared here, the two files imported each other.
export type { TransportKind } from './types.js';

/** Every `TransportKind`, in a stable order (handy for docs, CLIs and exhaustive tests). */
export const TRANSPORT_KINDS: readonly TransportKind[] = Object.freeze(['stdio', 'streamable-http', 'sse', 'in-memory']);

/**
 * The spellings of `type` (or its alias `transport`) accepted in a config, and the kind each
 * means. The aliases are the ones existing client configs use: `http` (Claude Code, VS Code),
 * `streamableHttp` (Cursor and several server READMEs).
 */
export const TRANSPORT_TYPE_ALIASES: Readonly<Record<string, TransportKind>> = Object.freeze({
  stdio: 'stdio',
  http: 'streamable-http',
  'streamable-http': 'streamable-http',
  streamableHttp: 'streamable-http',
  sse: 'sse',
  'in-memory': 'in-memory',
});

/**
 * Whether `value` is one of the canonical kinds (not an alias).
 *
 * @example
 * isTransportKind('sse'); // true
 * isTransportKind('http'); // false: an alias, see `transportKindFromType`
 */
export function isTransportKind(value: unknown): value is TransportKind {
  return typeof value === 'string' && (TRANSPORT_KINDS as readonly string[]).includes(value);
}

/**
 * Maps a config `type`/`transport` spelling to its kind, or `undefined` when it is not one we know.
 *
 * @example
 * transportKindFromType('streamableHttp'); // 'streamable-http'
 */
export function transportKindFromType(type: string): TransportKind | undefined {
  return Object.hasOwn(TRANSPORT_TYPE_ALIASES, type) ? TRANSPORT_TYPE_ALIASES[type] : undefined;
}

/**
 * The kind of a server config, read the same way `parseServerConfig` reads it: an explicit
 * `type` (or `transport`) wins; otherwise `command` means stdio, `url` means Streamable HTTP (with
 * SSE fallback at connect time) and `server` means in-memory.
 *
 * Throws when the config names no kind at all; run it through `parseServerConfig` first for
 * untrusted input.
 *
 * @example
 * transportKindOf({ url: 'https://example.com/mcp' }); // 'streamable-http'
 */
export function transportKindOf(config: ServerConfig): TransportKind {
  const explicit = config['type'] ?? config['transport'];
  if (typeof explicit === 'string') {
    const kind = transportKindFromType(explicit);
    if (kind) return kind;
    throw new Error(`unknown transport type '${explicit}'`);
  }
  if (config['command'] !== undefined) return 'stdio';
  if (config['url'] !== undefined) return 'streamable-http';
  if (config['server'] !== undefined) return 'in-memory';
  throw new Error('server config needs either command (stdio) or url (http)');
}
