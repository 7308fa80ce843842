import type { Plugin } from '@mcp-bridge/core';
import { CliError, EXIT } from './exit-codes.js';
import { messageOf } from './io.js';
import { defaultResolveContext, loadThirdPartyPlugin, type ResolveContext, type ThirdPartyEntry } from './third-party-plugin.js';

/** A first-party plugin the CLI can compose: the package it lives in and its factory's export name. */
export interface KnownPlugin {
  package: string;
  factory: string;
  /** Part of the default set used when the config has no `plugins` section. */
  default: boolean;
}

/**
 * The first-party plugins `serve` composes, by the key used in a config file's `plugins` section.
 * Their packages are loaded on demand, so a plugin whose package is not installed is reported by
 * name instead of breaking the CLI.
 */
export const KNOWN_PLUGINS: Readonly<Record<string, KnownPlugin>> = {
  validation: { package: '@mcp-bridge/validation', factory: 'validation', default: true },
  cache: { package: '@mcp-bridge/cache', factory: 'cache', default: true },
  retry: { package: '@mcp-bridge/retry', factory: 'retry', default: true },
  health: { package: '@mcp-bridge/health', factory: 'health', default: true },
  loadbalancer: { package: '@mcp-bridge/loadbalancer', factory: 'loadBalancer', default: true },
  pool: { package: '@mcp-bridge/pool', factory: 'pool', default: false },
  // The plugins in plugins/: optional peer dependencies, installed next to the CLI when wanted.
  access: { package: '@mcp-bridge/plugin-access', factory: 'accessRules', default: false },
  rateLimit: { package: '@mcp-bridge/plugin-rate-limit', factory: 'rateLimits', default: false },
  logging: { package: '@mcp-bridge/plugin-logging', factory: 'logging', default: false },
  metrics: { package: '@mcp-bridge/plugin-metrics', factory: 'metrics', default: false },
  tracing: { package: '@mcp-bridge/plugin-tracing', factory: 'tracing', default: false },
  // Issue 17: what the model sees and what a tool may do.
  toolSearch: { package: '@mcp-bridge/plugin-tool-search', factory: 'toolSearch', default: false },
  pinning: { package: '@mcp-bridge/plugin-pinning', factory: 'pinning', default: false },
  overrides: { package: '@mcp-bridge/plugin-overrides', factory: 'overrides', default: false },
  guard: { package: '@mcp-bridge/plugin-guard', factory: 'guard', default: false },
};

/**
 * The `plugins` section of an mcp-bridge config file. Either an object, plugin → options object,
 * `true` (default options) or `false` (off), where a plugin is a key of {@link KNOWN_PLUGINS}, a
 * package name or a path relative to the config file; or a list of such names and of
 * `{ "package": "...", "options": {...}, "export": "factoryName" }` objects. An object-form value
 * may also be `{ "package", "options", "export" }`, its key then being just a label.
 */
export type PluginsSection = Record<string, Record<string, unknown> | boolean> | (string | PluginRef)[];

/** One plugin by package (or built-in key, or file path), its options and, when ambiguous, its factory's export name. */
export interface PluginRef {
  package: string;
  options?: Record<string, unknown>;
  export?: string;
}

/** A plugin the CLI built, or one it could not load. */
export interface PluginReport {
  key: string;
  package: string;
  status: 'loaded' | 'not-installed' | 'failed';
  /** Why a default plugin failed to load. */
  error?: string;
  /** Where the choice came from. */
  from: 'config' | 'default' | 'flag';
  /** For a third-party plugin: the file it was loaded from. */
  path?: string;
}

/** Loads a package by name; swappable so tests can check the not-installed path. */
export type ModuleLoader = (specifier: string) => Promise<Record<string, unknown>>;

// The default set (and tracing and metrics) ships with the CLI: literal imports, so the bundle carries them
// (one copy of core, loaded only when a command builds plugins). The optional plugins are looked up by name at runtime.
const BUNDLED: Readonly<Record<string, () => Promise<unknown>>> = {
  '@mcp-bridge/validation': () => import('@mcp-bridge/validation'),
  '@mcp-bridge/cache': () => import('@mcp-bridge/cache'),
  '@mcp-bridge/retry': () => import('@mcp-bridge/retry'),
  '@mcp-bridge/health': () => import('@mcp-bridge/health'),
  '@mcp-bridge/loadbalancer': () => import('@mcp-bridge/loadbalancer'),
  '@mcp-bridge/pool': () => import('@mcp-bridge/pool'),
  // Not on by default, but shipped: "tracing": true and "metrics": true work without installing anything.
  '@mcp-bridge/plugin-tracing': () => import('@mcp-bridge/plugin-tracing'),
  '@mcp-bridge/plugin-metrics': () => import('@mcp-bridge/plugin-metrics'),
};

const importModule: ModuleLoader = (specifier) => (BUNDLED[specifier]?.() ?? import(specifier)) as Promise<Record<string, unknown>>;

/** Options of {@link buildPlugins}. */
export interface BuildPluginsOptions {
  /** `--plugins`: only these built-in keys. */
  only?: string[];
  /** Loads first-party packages. */
  load?: ModuleLoader;
  defaultOptions?: Readonly<Record<string, Record<string, unknown>>>;
  /** Where third-party plugins are looked up (default: this process, see {@link defaultResolveContext}). */
  resolve?: Partial<ResolveContext>;
}

type Wanted =
  | { kind: 'known'; key: string; options: Record<string, unknown>; from: PluginReport['from'] }
  | { kind: 'third-party'; key: string; entry: ThirdPartyEntry };

/**
 * Builds the plugin list for a bridge from a config's `plugins` section (or the defaults when there
 * is none). A plugin named in the config that cannot be loaded, or a non-object option value, is a
 * {@link CliError} (exit code 2) naming the file and entry; a default plugin whose package is missing
 * is skipped and reported as `not-installed`. Plugin options are validated by the plugins themselves
 * when the bridge starts.
 */
export async function buildPlugins(
  section: unknown,
  where: string | undefined,
  options: BuildPluginsOptions = {},
): Promise<{ plugins: Plugin[]; reports: PluginReport[] }> {
  const load = options.load ?? importModule;
  const wanted = wantedPlugins(section, where, options);
  const plugins: Plugin[] = [];
  const reports: PluginReport[] = [];
  let ctx: ResolveContext | undefined;
  for (const w of wanted) {
    if (w.kind === 'third-party') {
      ctx ??= { ...defaultResolveContext(where), builtIns: Object.keys(KNOWN_PLUGINS), ...options.resolve };
      const { plugin, path } = await loadThirdPartyPlugin(w.entry, ctx);
      plugins.push(plugin);
      reports.push({ key: w.key, package: w.entry.spec, status: 'loaded', from: 'config', path });
      continue;
    }
    const built = await loadKnown(w, load);
    if (built.plugin) plugins.push(built.plugin);
    reports.push(built.report);
  }
  return { plugins, reports };
}

function wantedPlugins(section: unknown, where: string | undefined, options: BuildPluginsOptions): Wanted[] {
  const wanted: Wanted[] = [];
  const file = where ?? 'config';
  if (options.only) {
    for (const key of options.only) {
      if (!KNOWN_PLUGINS[key]) throw unknownPlugin(key, '--plugins');
      wanted.push({ kind: 'known', key, options: options.defaultOptions?.[key] ?? {}, from: 'flag' });
    }
  } else if (section === undefined) {
    for (const [key, known] of Object.entries(KNOWN_PLUGINS)) {
      if (known.default) wanted.push({ kind: 'known', key, options: options.defaultOptions?.[key] ?? {}, from: 'default' });
    }
  } else if (Array.isArray(section)) {
    section.forEach((item, i) => {
      const label = `plugins[${i}]`;
      if (typeof item === 'string') wanted.push(entryFor(item, label, {}, undefined, file));
      else if (isPluginRef(item)) wanted.push(refEntry(item, label, file));
      else throw new CliError(`${file}: ${label}: expected a plugin name, a path or { "package": "...", "options": {...} }`, EXIT.USAGE);
    });
  } else if (typeof section === 'object' && section !== null) {
    for (const [key, value] of Object.entries(section)) {
      const label = `plugins.${key}`;
      if (value === false) continue;
      if (isPluginRef(value)) {
        wanted.push(refEntry(value, label, file));
        continue;
      }
      if (value !== true && (typeof value !== 'object' || value === null || Array.isArray(value))) {
        throw new CliError(`${file}: ${label}: expected an options object, true or false`, EXIT.USAGE);
      }
      wanted.push(entryFor(key, label, value === true ? {} : (value as Record<string, unknown>), undefined, file));
    }
  } else {
    throw new CliError(`${file}: "plugins" must be an object of plugin → options (or true/false), or a list of plugins`, EXIT.USAGE);
  }
  return wanted;
}

function entryFor(spec: string, label: string, options: Record<string, unknown>, exportName: string | undefined, file: string): Wanted {
  if (spec.trim() === '') throw new CliError(`${file}: ${label}: empty plugin name`, EXIT.USAGE);
  if (KNOWN_PLUGINS[spec] && exportName === undefined) return { kind: 'known', key: spec, options, from: 'config' };
  return { kind: 'third-party', key: spec, entry: { label, spec, options, ...(exportName !== undefined ? { exportName } : {}) } };
}

// `{ package, options?, export? }` and nothing else: plugin options that merely contain a `package` field stay options.
function isPluginRef(value: unknown): value is PluginRef {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  return typeof v.package === 'string' && Object.keys(v).every((k) => k === 'package' || k === 'options' || k === 'export');
}

function refEntry(ref: PluginRef, label: string, file: string): Wanted {
  if (ref.options !== undefined && (typeof ref.options !== 'object' || ref.options === null || Array.isArray(ref.options))) {
    throw new CliError(`${file}: ${label}.options: expected an options object`, EXIT.USAGE);
  }
  if (ref.export !== undefined && (typeof ref.export !== 'string' || ref.export === '')) {
    throw new CliError(`${file}: ${label}.export: expected an export name`, EXIT.USAGE);
  }
  return entryFor(ref.package, label, ref.options ?? {}, ref.export, file);
}

async function loadKnown(w: Extract<Wanted, { kind: 'known' }>, load: ModuleLoader): Promise<{ plugin?: Plugin; report: PluginReport }> {
  const known = KNOWN_PLUGINS[w.key]!;
  let mod: Record<string, unknown>;
  try {
    mod = await load(known.package);
  } catch (error) {
    const missing = isNotFound(error, known.package);
    // A default plugin that is absent (or broken) must not stop the gateway: report it and go on.
    if (w.from === 'default') {
      const status = missing ? 'not-installed' : 'failed';
      return { report: { key: w.key, package: known.package, status, from: w.from, ...(missing ? {} : { error: messageOf(error) }) } };
    }
    if (!missing) throw new CliError(`plugin "${w.key}" (${known.package}) failed to load: ${messageOf(error)}`, EXIT.USAGE);
    throw new CliError(`plugin "${w.key}" needs ${known.package}, which is not installed (npm install ${known.package})`, EXIT.USAGE);
  }
  const factory = mod[known.factory];
  if (typeof factory !== 'function') throw new CliError(`${known.package} has no "${known.factory}" export`, EXIT.USAGE);
  const plugin = (factory as (o: unknown) => Plugin)(w.options);
  return { plugin, report: { key: w.key, package: known.package, status: 'loaded', from: w.from } };
}

function unknownPlugin(key: string, where: string): CliError {
  return new CliError(`${where}: unknown plugin "${key}" (known: ${Object.keys(KNOWN_PLUGINS).join(', ')})`, EXIT.USAGE);
}

function isNotFound(error: unknown, specifier: string): boolean {
  const code = (error as { code?: string } | undefined)?.code;
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && messageOf(error).includes(specifier);
}
