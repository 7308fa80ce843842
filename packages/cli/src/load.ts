import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse as parseJsonc, printParseErrorCode, type ParseError } from 'jsonc-parser';
import {
  bridgeServers,
  discover,
  type DiscoverOptions,
  type DiscoveryResult,
  type Provenance,
  type SourceKind,
} from '@mcp-bridge/discovery';
import { DEMO_FLAKY_SLOW_CALLS } from './demo.js';
import { EXAMPLE_PLUGIN_OPTIONS, exampleServers } from './example-servers.js';
import { CliError, EXIT } from './exit-codes.js';
import { messageOf, type CliIo } from './io.js';
import { skipRecursive } from './recursion.js';
import { expandPathPlaceholders } from './settings-placeholders.js';

/** Options every command shares (the global flags). */
export interface GlobalOptions {
  json: boolean;
  color: boolean;
  config?: string;
  root?: string;
  tag: string[];
  /** `false` for each `--no-<source>` given. */
  sources: Partial<Record<SourceKind, boolean>>;
  /** `true`: always the bundled examples; `false`: never fall back to them; undefined: fall back when nothing is found. */
  examples?: boolean;
  /** `serve --demo`: the bundled examples, with the flaky lookup slow on a known call so the tour shows a retry. */
  demo?: boolean;
}

/** Where a server of the loaded set came from. */
export type ServerSource = Provenance | { kind: 'bundled'; file?: undefined; key: string };

/** The servers a command works on, and where they came from. */
export interface Loaded {
  /** The discovery, unless the bundled examples were forced. */
  discovery: DiscoveryResult | undefined;
  /** Entries for `createBridge({ servers })`. */
  servers: Record<string, Record<string, unknown>>;
  sources: Record<string, ServerSource>;
  /** True when serving the bundled example servers (nothing configured, or `--examples`). */
  usingExamples: boolean;
  /** Gateway settings (`plugins`, `naming`, `requestLimits`, `gateway`) and the file they came from. */
  settings: {
    file?: string;
    plugins?: unknown;
    naming?: unknown;
    /** The HTTP gateway's limits and deadlines (validated by `serve`: see gateway-settings.ts). */
    gateway?: unknown;
    requestLimits?: unknown;
    pluginDefaults?: Readonly<Record<string, Record<string, unknown>>>;
  };
}

/**
 * Runs discovery with the global options (cwd, HOME and environment from `io`, so tests never read
 * the real home) and picks the servers: the discovered ones, or the bundled examples when no server
 * was found anywhere and no `--config` was given. An explicit `--config` that is missing or invalid
 * is a {@link CliError} with exit code 2 unless `tolerant` (doctor reports it instead).
 */
export async function loadServers(io: CliIo, options: GlobalOptions, tolerant = false): Promise<Loaded> {
  if (options.examples === true || options.demo === true) return examples(undefined, options.demo === true);
  let discovery: DiscoveryResult;
  try {
    discovery = await discover(discoverOptions(io, options));
  } catch (error) {
    throw new CliError(`config discovery failed: ${messageOf(error)}`, EXIT.USAGE);
  }
  if (options.config && !tolerant) {
    const explicit = discovery.files.find((f) => f.kind === 'explicit');
    if (!explicit || explicit.status === 'missing')
      throw new CliError(`config file not found: ${resolve(io.cwd, options.config)}`, EXIT.USAGE);
    if (explicit.status === 'invalid')
      throw new CliError(`invalid config file ${explicit.file}: ${explicit.error ?? 'unreadable'}`, EXIT.USAGE);
  }
  const nothingFound =
    discovery.servers.length === 0 && discovery.skipped.length === 0 && !discovery.files.some((f) => f.status === 'invalid');
  if (nothingFound && !options.config && options.examples !== false) return examples(discovery);

  // A config that lists mcp-bridge itself must not start gateways recursively: say so, serve the rest.
  for (const { name, why } of skipRecursive(discovery, io.env, io.cwd)) io.stderr.write(`[mcp-bridge] skipped server "${name}": ${why}\n`);
  const servers = bridgeServers(discovery);
  const sources: Record<string, ServerSource> = {};
  for (const s of discovery.servers) sources[s.name] = s.source;
  return { discovery, servers, sources, usingExamples: false, settings: await readSettings(io, options, discovery, tolerant) };
}

/** The options `discover()` and `watchConfigs()` get from the global flags and `io`. */
export function discoverOptions(io: CliIo, options: GlobalOptions): DiscoverOptions {
  return {
    cwd: io.cwd,
    env: io.env,
    sources: options.sources,
    ...(io.env.HOME ? { home: io.env.HOME } : {}),
    ...(options.config ? { configFile: resolve(io.cwd, options.config) } : {}),
    ...(options.tag.length > 0 ? { tags: options.tag } : {}),
    ...(options.root ? { root: resolve(io.cwd, options.root) } : {}),
  };
}

function examples(discovery: DiscoveryResult | undefined, demo = false): Loaded {
  const servers = exampleServers(demo ? { flakySlowCalls: DEMO_FLAKY_SLOW_CALLS } : {}) as Record<string, Record<string, unknown>>;
  const sources: Record<string, ServerSource> = {};
  for (const name of Object.keys(servers)) sources[name] = { kind: 'bundled', key: name };
  return { discovery, servers, sources, usingExamples: true, settings: { pluginDefaults: EXAMPLE_PLUGIN_OPTIONS } };
}

/**
 * Gateway settings live next to the servers: top-level `plugins`, `naming`, `requestLimits` and `gateway` keys of the `--config`
 * file, or else of the nearest project `.mcp.json`. Other tools ignore keys they do not know.
 */
async function readSettings(io: CliIo, options: GlobalOptions, discovery: DiscoveryResult, tolerant: boolean): Promise<Loaded['settings']> {
  const file = options.config
    ? resolve(io.cwd, options.config)
    : discovery.files.find((f) => f.kind === 'project' && f.status === 'loaded')?.file;
  if (!file) return {};
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return {};
  }
  const errors: ParseError[] = [];
  const doc = parseJsonc(text, errors, { allowTrailingComma: true }) as unknown;
  if (errors.length > 0 || typeof doc !== 'object' || doc === null) {
    if (tolerant) return { file };
    throw new CliError(`invalid config file ${file}: ${errors[0] ? printParseErrorCode(errors[0].error) : 'not an object'}`, EXIT.USAGE);
  }
  const { plugins, naming, requestLimits, gateway } = doc as {
    plugins?: unknown;
    naming?: unknown;
    requestLimits?: unknown;
    gateway?: unknown;
  };
  return {
    file,
    ...(plugins !== undefined ? { plugins: expandPathPlaceholders(plugins, dirname(file), io.env.HOME) } : {}),
    ...(naming !== undefined ? { naming } : {}),
    ...(gateway !== undefined ? { gateway } : {}),
    ...(requestLimits !== undefined ? { requestLimits } : {}),
  };
}

/** A server's source for humans: `file:line (kind)` or `bundled example`. */
export function describeSource(source: ServerSource | undefined): string {
  if (!source) return '-';
  if (source.kind === 'bundled') return 'bundled example';
  return `${source.file}${source.line ? `:${source.line}` : ''}`;
}
