import type { Plugin } from '@mcp-bridge/core';
import { CliError, EXIT } from './exit-codes.js';
import { messageOf } from './io.js';

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
};

/**
 * The `plugins` section of an mcp-bridge config file: plugin key → options object, `true` (default
 * options) or `false` (off). Keys are those of {@link KNOWN_PLUGINS}.
 */
export type PluginsSection = Record<string, Record<string, unknown> | boolean>;

/** A plugin the CLI built, or one it could not load. */
export interface PluginReport {
  key: string;
  package: string;
  status: 'loaded' | 'not-installed' | 'failed';
  /** Why a default plugin failed to load. */
  error?: string;
  /** Where the choice came from. */
  from: 'config' | 'default' | 'flag';
}

/** Loads a package by name; swappable so tests can check the not-installed path. */
export type ModuleLoader = (specifier: string) => Promise<Record<string, unknown>>;

// The default set ships with the CLI: literal imports, so the bundle carries them (one copy of core,
// loaded only when a command builds plugins). The optional plugins are looked up by name at runtime.
const BUNDLED: Readonly<Record<string, () => Promise<unknown>>> = {
  '@mcp-bridge/validation': () => import('@mcp-bridge/validation'),
  '@mcp-bridge/cache': () => import('@mcp-bridge/cache'),
  '@mcp-bridge/retry': () => import('@mcp-bridge/retry'),
  '@mcp-bridge/health': () => import('@mcp-bridge/health'),
  '@mcp-bridge/loadbalancer': () => import('@mcp-bridge/loadbalancer'),
  '@mcp-bridge/pool': () => import('@mcp-bridge/pool'),
};

const importModule: ModuleLoader = (specifier) => (BUNDLED[specifier]?.() ?? import(specifier)) as Promise<Record<string, unknown>>;

/**
 * Builds the plugin list for a bridge from a config's `plugins` section (or the defaults when there
 * is none). A plugin named in the config whose package is missing, an unknown key or a non-object
 * option value is a {@link CliError} (exit code 2) naming the file and key; a default plugin whose
 * package is missing is skipped and reported as `not-installed`. Plugin options are validated by the
 * plugins themselves when the bridge starts.
 */
export async function buildPlugins(
  section: unknown,
  where: string | undefined,
  options: { only?: string[]; load?: ModuleLoader; defaultOptions?: Readonly<Record<string, Record<string, unknown>>> } = {},
): Promise<{ plugins: Plugin[]; reports: PluginReport[] }> {
  const load = options.load ?? importModule;
  const wanted: { key: string; options: Record<string, unknown>; from: PluginReport['from'] }[] = [];
  if (options.only) {
    for (const key of options.only) {
      if (!KNOWN_PLUGINS[key]) throw unknownPlugin(key, '--plugins');
      wanted.push({ key, options: options.defaultOptions?.[key] ?? {}, from: 'flag' });
    }
  } else if (section === undefined) {
    for (const [key, known] of Object.entries(KNOWN_PLUGINS)) {
      if (known.default) wanted.push({ key, options: options.defaultOptions?.[key] ?? {}, from: 'default' });
    }
  } else {
    if (typeof section !== 'object' || section === null || Array.isArray(section)) {
      throw new CliError(`${where ?? 'config'}: "plugins" must be an object of plugin name → options (or true/false)`, EXIT.USAGE);
    }
    for (const [key, value] of Object.entries(section)) {
      if (!KNOWN_PLUGINS[key]) throw unknownPlugin(key, `${where ?? 'config'}: plugins.${key}`);
      if (value === false) continue;
      if (value !== true && (typeof value !== 'object' || value === null || Array.isArray(value))) {
        throw new CliError(`${where ?? 'config'}: plugins.${key}: expected an options object, true or false`, EXIT.USAGE);
      }
      wanted.push({ key, options: value === true ? {} : (value as Record<string, unknown>), from: 'config' });
    }
  }
  const plugins: Plugin[] = [];
  const reports: PluginReport[] = [];
  for (const w of wanted) {
    const known = KNOWN_PLUGINS[w.key]!;
    let mod: Record<string, unknown>;
    try {
      mod = await load(known.package);
    } catch (error) {
      const missing = isNotFound(error, known.package);
      // A default plugin that is absent (or broken) must not stop the gateway: report it and go on.
      if (w.from === 'default') {
        reports.push({ key: w.key, package: known.package, status: missing ? 'not-installed' : 'failed', from: w.from, ...(missing ? {} : { error: messageOf(error) }) });
        continue;
      }
      if (!missing) throw new CliError(`plugin "${w.key}" (${known.package}) failed to load: ${messageOf(error)}`, EXIT.USAGE);
      throw new CliError(`plugin "${w.key}" needs ${known.package}, which is not installed (npm install ${known.package})`, EXIT.USAGE);
    }
    const factory = mod[known.factory];
    if (typeof factory !== 'function') throw new CliError(`${known.package} has no "${known.factory}" export`, EXIT.USAGE);
    plugins.push((factory as (o: unknown) => Plugin)(w.options));
    reports.push({ key: w.key, package: known.package, status: 'loaded', from: w.from });
  }
  return { plugins, reports };
}

function unknownPlugin(key: string, where: string): CliError {
  return new CliError(`${where}: unknown plugin "${key}" (known: ${Object.keys(KNOWN_PLUGINS).join(', ')})`, EXIT.USAGE);
}

function isNotFound(error: unknown, specifier: string): boolean {
  const code = (error as { code?: string } | undefined)?.code;
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && messageOf(error).includes(specifier);
}
