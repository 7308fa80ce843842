import { existsSync, lstatSync, mkdirSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, delimiter, dirname, isAbsolute, join, resolve, sep } from 'node:path';
import type { SandboxConfig } from '../types.js';

/** Thrown for a sandbox that was asked for but cannot be had; the server is then not started. */
export class SandboxUnavailableError extends Error {
  /** Stable code for scripts and tests. */
  readonly code = 'SANDBOX_UNAVAILABLE';
  /** Creates the error; `reason` says what is missing (`bwrap not found on PATH` ...). */
  constructor(reason: string) {
    super(reason);
    this.name = 'SandboxUnavailableError';
  }
}

/** Top-level system directories mounted read-only (or re-created as the symlinks they are, on merged-/usr systems). */
const SYSTEM_DIRS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

/** What any dynamically linked program needs from /etc: the loader's cache, users, time zone, Debian's alternatives. */
const ETC_BASE = [
  '/etc/ld.so.cache',
  '/etc/ld.so.conf',
  '/etc/ld.so.conf.d',
  '/etc/localtime',
  '/etc/passwd',
  '/etc/group',
  '/etc/nsswitch.conf',
  '/etc/alternatives',
];

/** What name resolution and TLS need, mounted only with `network: true` (a server without network has no use for them). */
const ETC_NETWORK = [
  '/etc/resolv.conf',
  '/etc/hosts',
  '/etc/host.conf',
  '/etc/gai.conf',
  '/etc/services',
  '/etc/protocols',
  '/etc/ssl',
  '/etc/ca-certificates',
  '/etc/pki',
];

/** Commands that install packages into the npm cache before they run one (`npx -y pkg`). */
const NPM_COMMANDS = new Set(['npx', 'npm']);

/** What the mount policy needs to know about the server it wraps. */
export interface MountInput {
  command: string;
  args: string[];
  cwd?: string | undefined;
  /** The child's environment (PATH to find the command, npm_config_cache, HOME). */
  env: Record<string, string>;
  sandbox: SandboxConfig;
}

function isUnder(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}

function realOrUndefined(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

/** The absolute path of `command` as `execvp` would find it on `PATH`, or undefined. */
export function resolveOnPath(command: string, pathVariable: string | undefined): string | undefined {
  if (command.includes('/')) return existsSync(command) ? resolve(command) : undefined;
  for (const dir of (pathVariable ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, command);
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Read-only dirs a script needs: its package (the nearest directory with a package.json, or its
 * own directory) and every `node_modules` on the way up to `/`, so `import 'x'` resolves as it does
 * outside (pnpm's links point into the root `node_modules/.pnpm`, which is one of them).
 */
function packageDirsOf(file: string): string[] {
  const real = realOrUndefined(file);
  if (real === undefined) return [];
  let dir = dirname(real);
  let root: string | undefined;
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(join(d, 'package.json'))) {
      root = d;
      break;
    }
    if (d === dirname(d)) break;
  }
  dir = root ?? dir;
  const dirs = [dir];
  for (let d = dir; ; d = dirname(d)) {
    const modules = realOrUndefined(join(d, 'node_modules'));
    if (modules !== undefined && !dirs.some((seen) => isUnder(modules, seen))) dirs.push(modules);
    if (d === dirname(d)) break;
  }
  return dirs;
}

/** `--ro-bind` of the system, or `--symlink` where a top-level dir is a link (`/bin -> usr/bin`). */
function systemMounts(): string[] {
  const out: string[] = [];
  for (const dir of SYSTEM_DIRS) {
    let stat;
    try {
      stat = lstatSync(dir);
    } catch {
      continue;
    }
    if (stat.isSymbolicLink()) out.push('--symlink', readlinkSync(dir), dir);
    else out.push('--ro-bind', dir, dir);
  }
  return out;
}

/** Files a server needs to run: the node binary's install, the command's and each script argument's package dirs. */
function runtimeDirs(input: MountInput): string[] {
  const dirs: string[] = [];
  const node = realOrUndefined(process.execPath);
  // A node outside /usr (nvm, volta, a tarball): its whole prefix, for lib/node_modules (npm, npx) too.
  if (node !== undefined) dirs.push(dirname(dirname(node)));
  const command = resolveOnPath(input.command, input.env['PATH']);
  if (command !== undefined) dirs.push(...packageDirsOf(command));
  for (const arg of input.args) {
    if (!isAbsolute(arg)) continue;
    try {
      // Script files only: a directory argument is data (server-filesystem's roots), mounted only when listed in read/write.
      if (statSync(arg).isFile()) dirs.push(...packageDirsOf(arg));
    } catch {
      // not a path, or not there
    }
  }
  return dirs.filter((dir) => !SYSTEM_DIRS.some((system) => isUnder(dir, system)));
}

/**
 * `--symlink` for the first link on the way to each script the server is started with, as written:
 * a pnpm workspace runs `node_modules/<pkg>/dist/index.js` where `<pkg>` links into
 * `node_modules/.pnpm`. Only the link's target is mounted (see {@link packageDirsOf}); the link
 * itself is recreated so the path as written resolves inside the sandbox as it does outside.
 */
function scriptLinks(input: MountInput): string[] {
  const out: string[] = [];
  const command = resolveOnPath(input.command, input.env['PATH']);
  for (const file of [command, ...input.args]) {
    if (file === undefined || !isAbsolute(file) || !existsSync(file)) continue;
    let prefix: string = sep;
    for (const part of resolve(file).split(sep).filter(Boolean)) {
      prefix = join(prefix, part);
      if (SYSTEM_DIRS.some((system) => isUnder(prefix, system))) break;
      let link: boolean;
      try {
        link = lstatSync(prefix).isSymbolicLink();
      } catch {
        break;
      }
      if (!link) continue;
      const target = realOrUndefined(prefix);
      if (target !== undefined && !out.includes(prefix)) out.push('--symlink', target, prefix);
      break;
    }
  }
  return out;
}

/** The npm cache of an npx/npm server: npx installs the package there, then runs it from there. */
function npmCacheDir(input: MountInput): string | undefined {
  if (!NPM_COMMANDS.has(basename(input.command))) return undefined;
  const cache = input.env['npm_config_cache'] ?? process.env['npm_config_cache'] ?? join(input.env['HOME'] ?? homedir(), '.npm');
  mkdirSync(cache, { recursive: true });
  return realOrUndefined(cache);
}

function checkedPaths(field: 'read' | 'write', paths: string[] | undefined): string[] {
  return (paths ?? []).map((path, i) => {
    if (!existsSync(path)) throw new SandboxUnavailableError(`sandbox.${field}[${i}]: not found: ${path}`);
    return resolve(path);
  });
}

/**
 * bwrap's arguments up to (not including) `--`: namespaces, then the mounts. Order matters (a later
 * mount covers an earlier one): the private /tmp comes before everything that may live under it,
 * and `write` after `read`, so a writable dir inside a readable one stays writable.
 */
export function bwrapArgs(input: MountInput): string[] {
  const { sandbox } = input;
  const read = checkedPaths('read', sandbox.read);
  const write = checkedPaths('write', sandbox.write);
  const out = ['--unshare-all', ...(sandbox.network ? ['--share-net'] : []), '--die-with-parent', '--new-session'];
  out.push('--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp');
  out.push(...systemMounts());
  for (const file of [...ETC_BASE, ...(sandbox.network ? ETC_NETWORK : [])]) out.push('--ro-bind-try', file, file);
  out.push(...scriptLinks(input));
  const seen: string[] = [];
  for (const dir of runtimeDirs(input)) {
    if (seen.some((s) => isUnder(dir, s))) continue;
    seen.push(dir);
    out.push('--ro-bind', dir, dir);
  }
  const cache = npmCacheDir(input);
  if (cache !== undefined) out.push('--bind', cache, cache);
  for (const path of read) out.push('--ro-bind', path, path);
  for (const path of write) out.push('--bind', path, path);
  if (input.cwd !== undefined) {
    const cwd = resolve(input.cwd);
    // The working directory the entry names must exist inside; read-only unless listed as writable.
    if (![...read, ...write].some((dir) => isUnder(cwd, dir))) out.push('--ro-bind', cwd, cwd);
    out.push('--chdir', cwd);
  } else {
    out.push('--chdir', '/tmp');
  }
  for (const [key, value] of Object.entries(sandbox.env ?? {})) out.push('--setenv', key, value);
  return out;
}
