import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Plugin } from '@mcp-bridge/core';
import { CliError, EXIT } from './exit-codes.js';
import { messageOf } from './io.js';
import {
  cliInstallKind,
  cliPackageDir,
  installHint,
  isPathSpecifier,
  resolvePackageFrom,
  resolvePathSpecifier,
  type CliInstall,
  type SearchDir,
} from './plugin-resolve.js';

/** A plugin entry of a config file that names a package or a file instead of a built-in key. */
export interface ThirdPartyEntry {
  /** How errors point at the entry: `plugins.slow` or `plugins[2]`. */
  label: string;
  /** Package name (optionally with a subpath) or a path relative to the config file. */
  spec: string;
  /** The export holding the factory; default: the `default` export, else a `plugin` export, else the only exported function. */
  exportName?: string;
  options: Record<string, unknown>;
}

/** Where and how third-party plugins are looked up; every field has a default for real runs. */
export interface ResolveContext {
  /** The config file the entries came from (relative paths and the first search folder). */
  file: string | undefined;
  cwd: string;
  /** The CLI's package folder (the last search folder). */
  cliDir: string;
  install: CliInstall;
  /** The command line, for the `npx -p ...` hint. */
  argv: readonly string[];
  /** Built-in plugin keys, named when a package is not found (the entry may be a misspelt key). */
  builtIns: readonly string[];
  /** Loads a resolved file; swappable for tests of the error paths. */
  importFile: (url: string) => Promise<Record<string, unknown>>;
}

/** The context of a real run: this process's cwd, argv and CLI install. */
export function defaultResolveContext(file: string | undefined, cwd: string = process.cwd()): ResolveContext {
  const cliDir = cliPackageDir();
  return {
    file,
    cwd,
    cliDir,
    install: cliInstallKind(cliDir, process.env.npm_config_prefix),
    argv: process.argv.slice(2),
    builtIns: [],
    importFile: (url) => import(url) as Promise<Record<string, unknown>>,
  };
}

/**
 * Loads one third-party plugin: resolves its file (from the config's folder, then the working
 * directory, then the CLI's own install), imports it, finds the factory, calls it with the options
 * and checks the result is a plugin. Every failure is a {@link CliError} naming the config file, the
 * entry and what failed, with the install command that fits how the CLI was run.
 */
export async function loadThirdPartyPlugin(entry: ThirdPartyEntry, ctx: ResolveContext): Promise<{ plugin: Plugin; path: string }> {
  const where = `${ctx.file ?? 'config'}: ${entry.label}`;
  const path = resolveEntry(entry, ctx, where);
  let mod: Record<string, unknown>;
  try {
    mod = await ctx.importFile(pathToFileURL(path).href);
  } catch (error) {
    throw new CliError(`${where}: failed to load ${path}: ${messageOf(error)}`, EXIT.USAGE);
  }
  const factory = pickFactory(mod, entry, where);
  let plugin: unknown;
  try {
    plugin = await factory.fn(entry.options);
  } catch (error) {
    throw new CliError(`${where}: the plugin factory ${factory.name}() of ${entry.spec} threw: ${messageOf(error)}`, EXIT.USAGE);
  }
  const problem = pluginProblem(plugin);
  if (problem) {
    throw new CliError(
      `${where}: ${factory.name}() of ${entry.spec} returned ${problem}, not a plugin ({ name, version, setup(api) })`,
      EXIT.USAGE,
    );
  }
  return { plugin: plugin as Plugin, path };
}

function resolveEntry(entry: ThirdPartyEntry, ctx: ResolveContext, where: string): string {
  const configDir = ctx.file ? dirname(ctx.file) : ctx.cwd;
  if (isPathSpecifier(entry.spec)) {
    const path = resolvePathSpecifier(entry.spec, configDir);
    if (!existsSync(path)) {
      throw new CliError(`${where}: plugin file not found: ${path} (a relative path is relative to the config file's folder)`, EXIT.USAGE);
    }
    return path;
  }
  const dirs: SearchDir[] = [
    { dir: configDir, label: 'config folder' },
    { dir: ctx.cwd, label: 'working directory' },
    { dir: ctx.cliDir, label: 'mcp-bridge install' },
  ];
  const seen = new Set<string>();
  const searched = dirs.filter((d) => !seen.has(d.dir) && seen.add(d.dir));
  for (const { dir } of searched) {
    let path: string | undefined;
    try {
      path = resolvePackageFrom(entry.spec, dir);
    } catch (error) {
      throw new CliError(`${where}: cannot read package "${entry.spec}" from ${dir}: ${messageOf(error)}`, EXIT.USAGE);
    }
    if (path !== undefined) {
      if (!existsSync(path)) {
        throw new CliError(`${where}: package "${entry.spec}" points at ${path}, which does not exist (not built?)`, EXIT.USAGE);
      }
      return path;
    }
  }
  const looked = searched.map((d) => `${d.dir} (${d.label})`).join(', ');
  const pkgName = entry.spec.startsWith('@') ? entry.spec.split('/').slice(0, 2).join('/') : entry.spec.split('/')[0]!;
  const hint = installHint(pkgName, ctx.install, configDir, ctx.argv);
  const builtIns = ctx.builtIns.length ? ` (built-in plugins: ${ctx.builtIns.join(', ')})` : '';
  throw new CliError(`${where}: plugin package "${entry.spec}" not found; looked in ${looked}. Install it: ${hint}${builtIns}`, EXIT.USAGE);
}

type Factory = (options: Record<string, unknown>) => unknown;

function pickFactory(mod: Record<string, unknown>, entry: ThirdPartyEntry, where: string): { name: string; fn: Factory } {
  if (entry.exportName !== undefined) {
    const fn = mod[entry.exportName] ?? namespaceOf(mod)[entry.exportName];
    if (typeof fn !== 'function') {
      throw new CliError(
        `${where}: ${entry.spec} has no exported function "${entry.exportName}" (exports: ${exportList(mod)})`,
        EXIT.USAGE,
      );
    }
    return { name: entry.exportName, fn: fn as Factory };
  }
  if (typeof mod.default === 'function') return { name: 'default', fn: mod.default as Factory };
  // A CommonJS plugin may expose its exports only on `default` (module.exports) when Node cannot detect them.
  const named = { ...namespaceOf(mod), ...withoutDefault(mod) };
  if (typeof named.plugin === 'function') return { name: 'plugin', fn: named.plugin as Factory };
  const functions = Object.keys(named).filter((k) => typeof named[k] === 'function');
  if (functions.length === 1) return { name: functions[0]!, fn: named[functions[0]!] as Factory };
  const why = functions.length === 0 ? 'exports no function' : `exports several functions (${functions.join(', ')})`;
  const fix = `export the factory as default or "plugin", or name it: { "package": "${entry.spec}", "export": "<name>" }`;
  throw new CliError(`${where}: ${entry.spec} ${why}, so no plugin factory was found; ${fix}`, EXIT.USAGE);
}

function namespaceOf(mod: Record<string, unknown>): Record<string, unknown> {
  const inner = mod.default;
  return typeof inner === 'object' && inner !== null ? (inner as Record<string, unknown>) : {};
}

function withoutDefault(mod: Record<string, unknown>): Record<string, unknown> {
  const { default: _default, ...rest } = mod;
  return rest;
}

function exportList(mod: Record<string, unknown>): string {
  const keys = Object.keys({ ...namespaceOf(mod), ...mod });
  return keys.length ? keys.join(', ') : 'none';
}

/** Why `value` is not a plugin object, or undefined when it is one. */
function pluginProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return value === null ? 'null' : typeof value;
  const p = value as Partial<Record<keyof Plugin, unknown>>;
  if (typeof p.name !== 'string' || p.name === '') return 'an object without a name';
  if (typeof p.version !== 'string') return `an object without a version (name "${p.name}")`;
  if (typeof p.setup !== 'function') return `an object without setup() (name "${p.name}")`;
  return undefined;
}
