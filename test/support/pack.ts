// Shared by the packaging tests: run a command, pack a workspace package with pnpm, read a tarball
// without a `tar` binary, and list what a manifest points users at.
import { execFile, type ExecFileOptions } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { basename, dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { beforeAll } from 'vitest';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** One result of a command. */
export interface RunResult {
  stdout: string;
  stderr: string;
}

export function run(command: string, args: string[], options: ExecFileOptions & { timeout: number }): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { maxBuffer: 64 * 1024 * 1024, encoding: 'utf8', windowsHide: true, ...options }, (error, stdout, stderr) => {
      if (error) {
        const how = error.killed ? `killed after ${options.timeout} ms` : `exit code ${String(error.code)}`;
        reject(
          new Error(
            `\`${basename(command)} ${args.join(' ')}\` failed (${how})\n--- stdout\n${String(stdout)}\n--- stderr\n${String(stderr)}`,
            { cause: error },
          ),
        );
      } else resolve({ stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** The pnpm that runs us (`npm_execpath`), else `pnpm` on PATH. */
export function pnpmCommand(): { command: string; prefix: string[] } {
  const exec = process.env.npm_execpath;
  if (exec && /pnpm/i.test(basename(exec)) && existsSync(exec)) {
    return /\.[cm]?js$/.test(exec) ? { command: process.execPath, prefix: [exec] } : { command: exec, prefix: [] };
  }
  return { command: 'pnpm', prefix: [] };
}

/** The environment of child processes: no inherited NODE_OPTIONS (a source condition would break resolution), no pnpm script context. */
export function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key === 'NODE_OPTIONS' || /^npm_(package|lifecycle)_/i.test(key) || /^VITEST/.test(key)) continue;
    env[key] = value;
  }
  return env;
}

/** Paths of every regular file in a .tgz (gzip + ustar), read without a `tar` binary. */
export function tarEntries(file: string): { files: string[]; read: (path: string) => string | undefined } {
  const data = gunzipSync(readFileSync(file));
  const files = new Map<string, Buffer>();
  let offset = 0;
  let longName: string | undefined;
  while (offset + 512 <= data.length) {
    const header = data.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const field = (start: number, length: number): string =>
      header
        .subarray(start, start + length)
        .toString('utf8')
        .replace(/\0.*$/s, '');
    const size = parseInt(field(124, 12).trim() || '0', 8);
    const type = field(156, 1) || '0';
    const prefix = field(345, 155);
    let name = longName ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100));
    longName = undefined;
    const body = data.subarray(offset + 512, offset + 512 + size);
    if (type === 'L') longName = body.toString('utf8').replace(/\0.*$/s, '');
    else if (type === 'x') longName = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(body.toString('utf8'))?.[1];
    else if (type === '0' || type === '\0') {
      name = name.replace(/^\.\//, '');
      files.set(name, Buffer.from(body));
    }
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return { files: [...files.keys()].sort(), read: (path) => files.get(path)?.toString('utf8') };
}

/** Every file a package.json points users at (exports, main/module/types, bin), package-relative. */
export function publishedEntryFiles(manifest: Record<string, unknown>): string[] {
  const out = new Set<string>();
  const visit = (value: unknown, condition: string | undefined): void => {
    if (typeof value === 'string') {
      // The source condition points into src/, which is deliberately not published.
      if (condition !== '@mcp-bridge/source' && value.startsWith('./') && !value.endsWith('package.json')) out.add(posix.normalize(value));
    } else if (value && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) visit(inner, key.startsWith('.') ? condition : key);
    }
  };
  visit(manifest.exports, undefined);
  for (const key of ['main', 'module', 'types']) visit(manifest[key], key);
  visit(manifest.bin, 'bin');
  return [...out];
}

/** A packed package: its tarball, the files in it, its published manifest and a reader for any file in it. */
export interface Packed {
  name: string;
  dir: string;
  tarball: string;
  files: string[];
  manifest: Record<string, unknown>;
  read: (path: string) => string | undefined;
}

/** `pnpm pack`s the package in `dir` (repository-relative) into its own folder under `dest`. */
export async function packPackage(dir: string, dest: string, env: NodeJS.ProcessEnv): Promise<Packed> {
  const out = join(dest, dir.replace(/[\\/]/g, '-'));
  mkdirSync(out, { recursive: true });
  const pnpm = pnpmCommand();
  await run(pnpm.command, [...pnpm.prefix, 'pack', '--pack-destination', out], {
    cwd: join(ROOT, dir),
    env,
    timeout: 60_000,
    shell: process.platform === 'win32',
  });
  const tgz = readdirSync(out).filter((f) => f.endsWith('.tgz'));
  if (tgz.length !== 1) throw new Error(`pnpm pack of ${dir} left ${tgz.length} tarballs in ${out}`);
  const tarball = join(out, tgz[0]!);
  const tar = tarEntries(tarball);
  const manifest = JSON.parse(tar.read('package/package.json') ?? '{}') as Record<string, unknown>;
  return { name: String(manifest.name), dir, tarball, files: tar.files, manifest, read: tar.read };
}

/** Repository-relative folders of every package this repository publishes (packages/*, plugins/*; not private). */
export function publishedPackageDirs(): string[] {
  const dirs: string[] = [];
  for (const parent of ['packages', 'plugins']) {
    for (const name of readdirSync(join(ROOT, parent)).sort()) {
      const manifest = join(ROOT, parent, name, 'package.json');
      if (!existsSync(manifest)) continue;
      if ((JSON.parse(readFileSync(manifest, 'utf8')) as { private?: boolean }).private !== true) dirs.push(`${parent}/${name}`);
    }
  }
  return dirs;
}

/** Static import/require specifiers of a built file, following its relative chunks (dynamic `import()` excluded on purpose). */
export function staticImports(file: string, seen = new Set<string>()): string[] {
  if (seen.has(file)) return [];
  seen.add(file);
  const code = readFileSync(file, 'utf8');
  const specs: string[] = [];
  const patterns = [
    /^\s*import\s+(?:[^'"()]*?\s+from\s+)?["']([^"']+)["']/gm,
    /^\s*export\s+[^'"()]*?\s+from\s+["']([^"']+)["']/gm,
    /\brequire\(\s*["']([^"']+)["']\s*\)/g,
  ];
  for (const pattern of patterns) for (const match of code.matchAll(pattern)) specs.push(match[1]!);
  const out: string[] = [];
  for (const spec of specs) {
    if (spec.startsWith('.')) out.push(...staticImports(join(dirname(file), spec), seen));
    else out.push(spec);
  }
  return out;
}

const NODE_BUILTINS = new Set(builtinModules);
/** Node-only: `node:*`, a bare builtin (tsup strips the `node:` prefix), a process spawner, or the SDK's stdio entries. */
export const isNodeOnly = (spec: string): boolean =>
  spec.startsWith('node:') ||
  NODE_BUILTINS.has(spec) ||
  NODE_BUILTINS.has(spec.split('/')[0]!) ||
  spec === 'cross-spawn' ||
  /^@modelcontextprotocol\/sdk\/(client|server)\/stdio(\.js)?$/.test(spec);

/**
 * Runs `setUp` in a `beforeAll` and returns `ready()`, which every test calls first: a failing
 * beforeAll would only mark the tests "skipped", so its error is kept and fails each test instead.
 */
export function setUpOrFailEach(setUp: () => Promise<void>, timeoutMs: number): () => void {
  let failure: { error: unknown } | undefined;
  beforeAll(async () => {
    try {
      await setUp();
    } catch (error) {
      failure = { error };
    }
  }, timeoutMs);
  return () => {
    if (failure) throw failure.error;
  };
}
