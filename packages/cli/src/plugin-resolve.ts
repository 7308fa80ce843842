import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One place a plugin package is looked up from, and why it is on the list. */
export interface SearchDir {
  dir: string;
  label: 'config folder' | 'working directory' | 'mcp-bridge install';
}

/** How this CLI was installed: decides which install command a "not found" hint gives. */
export type CliInstall = 'npx' | 'global' | 'local';

/** The folder of the running CLI's package (the one holding its package.json). */
export function cliPackageDir(from: string = fileURLToPath(import.meta.url)): string {
  let dir = dirname(from);
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && readName(manifest) === 'mcp-bridge') return dir;
    const parent = dirname(dir);
    // Not found (a bundled copy): the file's own folder is still the best place to resolve from.
    if (parent === dir) return dirname(from);
    dir = parent;
  }
}

function readName(manifest: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name;
  } catch {
    return undefined;
  }
}

/**
 * Tells npx, global and local installs apart by where the CLI's package lives: npm runs `npx`
 * packages from `<cache>/_npx/<hash>/node_modules`, and global ones from `<prefix>/lib/node_modules`
 * (`<prefix>/node_modules` on Windows).
 */
export function cliInstallKind(cliDir: string, globalPrefix?: string): CliInstall {
  const parts = cliDir.split(/[\\/]/);
  if (parts.includes('_npx')) return 'npx';
  if (globalPrefix) {
    const prefix = resolve(globalPrefix);
    const under = (dir: string): boolean => cliDir.startsWith(dir + sep);
    if (under(join(prefix, 'lib', 'node_modules')) || under(join(prefix, 'node_modules'))) return 'global';
  }
  return /[\\/]lib[\\/]node_modules[\\/]mcp-bridge$/.test(cliDir) ? 'global' : 'local';
}

/**
 * The command that makes `pkg` loadable for this way of running the CLI: `npm i` in the config's
 * folder for a local CLI, `npm i -g` next to a global one, or one `npx` line installing both.
 */
export function installHint(pkg: string, install: CliInstall, configDir: string, argv: readonly string[]): string {
  if (install === 'npx') return `npx -p ${pkg} -p mcp-bridge mcp-bridge ${argv.join(' ')}`.trimEnd();
  if (install === 'global') return `npm i -g ${pkg} (or npm i ${pkg} in ${configDir})`;
  return `cd ${quote(configDir)} && npm i ${pkg}`;
}

function quote(path: string): string {
  return /^[\w@%+=:,./\\-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`;
}

/** True for an entry naming a file (`./x.js`, `../x.mjs`, `/abs/x.js`, `C:\x.js`, `file:` URL) rather than a package. */
export function isPathSpecifier(spec: string): boolean {
  if (spec === '.' || spec === '..' || spec.startsWith('./') || spec.startsWith('../') || spec.startsWith('file:')) return true;
  return isAbsolute(spec) || /^[a-zA-Z]:[\\/]/.test(spec);
}

/** A file entry resolved against the config's folder (relative paths are relative to the config file, as in tsconfig or eslint). */
export function resolvePathSpecifier(spec: string, configDir: string): string {
  return spec.startsWith('file:') ? fileURLToPath(spec) : resolve(configDir, spec);
}

/**
 * Resolves a package specifier (`name` or `name/subpath`) from `dir` as `import()` would from a file
 * in `dir`: the nearest `node_modules/<name>` walking up, then its `exports` under the import
 * conditions (a dual package gives its ESM entry, as it would to an ESM program); a package without
 * `exports` goes through `require.resolve` (main without extension, index.js). Undefined when not
 * installed there.
 */
export function resolvePackageFrom(spec: string, dir: string): string | undefined {
  const { name, subpath } = splitSpecifier(spec);
  for (let at = resolve(dir); ; at = dirname(at)) {
    const pkgDir = join(at, 'node_modules', name);
    const manifestFile = join(pkgDir, 'package.json');
    if (existsSync(manifestFile)) {
      const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as PackageManifest;
      if (manifest.exports !== undefined) return esmEntry(pkgDir, subpath, manifest.exports);
      try {
        return createRequire(join(at, '__mcp-bridge-resolve__.js')).resolve(spec);
      } catch {
        return undefined;
      }
    }
    if (dirname(at) === at) return undefined;
  }
}

interface PackageManifest {
  exports?: unknown;
}

function splitSpecifier(spec: string): { name: string; subpath: string } {
  const parts = spec.split('/');
  const count = spec.startsWith('@') ? 2 : 1;
  const rest = parts.slice(count).join('/');
  return { name: parts.slice(0, count).join('/'), subpath: rest ? `./${rest}` : '.' };
}

// The conditions `import()` uses in Node; anything else (browser, require, types) is skipped.
const IMPORT_CONDITIONS = new Set(['node', 'import', 'module-sync', 'default']);

function esmEntry(pkgDir: string, subpath: string, exportsField: unknown): string | undefined {
  const isObject = typeof exportsField === 'object' && exportsField !== null && !Array.isArray(exportsField);
  const isSubpathMap = isObject && Object.keys(exportsField).some((k) => k.startsWith('.'));
  const target = isSubpathMap ? (exportsField as Record<string, unknown>)[subpath] : subpath === '.' ? exportsField : undefined;
  const file = pickTarget(target);
  return file === undefined ? undefined : join(pkgDir, file);
}

function pickTarget(target: unknown): string | undefined {
  if (typeof target === 'string') return target;
  if (Array.isArray(target)) {
    for (const t of target) {
      const picked = pickTarget(t);
      if (picked !== undefined) return picked;
    }
    return undefined;
  }
  if (typeof target !== 'object' || target === null) return undefined;
  for (const [condition, value] of Object.entries(target)) {
    if (!IMPORT_CONDITIONS.has(condition)) continue;
    const picked = pickTarget(value);
    if (picked !== undefined) return picked;
  }
  return undefined;
}
