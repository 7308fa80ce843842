// Packaging of the `mcp-bridge` CLI: its executable is one bundle (our packages and pure-JS
// dependencies inside dist/, commands in chunks loaded on use). `pnpm pack` it with the packages it
// still depends on (core and discovery, for the library entry's types), install the tarballs with
// plain npm outside the workspace, and run it as people do: `--version`, `doctor`, `call`, and
// `serve --stdio` spawned by an SDK client. Runs after `pnpm build` (root `pnpm test` builds first).
import { execFile, type ExecFileOptions } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { setUpOrFailEach } from './support/pack.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const INSTALL_TIMEOUT_MS = 240_000;
const RUN_TIMEOUT_MS = 60_000;
/** The CLI and the workspace packages its tarball depends on (directly or through them). */
const PACKED = {
  'mcp-bridge': 'packages/cli',
  '@mcp-bridge/core': 'packages/core',
  '@mcp-bridge/transports': 'packages/transports',
  '@mcp-bridge/discovery': 'packages/discovery',
};
/** What `--version` may load at most: commander and the option table (the whole bundle is over 2 MB). */
const VERSION_PATH_MAX_BYTES = 300_000;

// Kept small and local: test/packaging.test.ts has the same helpers for the library packages.
function run(command: string, args: string[], options: ExecFileOptions & { timeout: number }): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { maxBuffer: 64 * 1024 * 1024, encoding: 'utf8', ...options }, (error, stdout, stderr) => {
      if (error)
        reject(
          new Error(
            `\`${basename(command)} ${args.join(' ')}\` failed (${error.killed ? 'killed' : `exit code ${String(error.code)}`})\n--- stdout\n${String(stdout)}\n--- stderr\n${String(stderr)}`,
            { cause: error },
          ),
        );
      else resolve({ stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env))
    if (key !== 'NODE_OPTIONS' && !/^npm_(package|lifecycle)_/i.test(key) && !/^VITEST/.test(key)) env[key] = value;
  return env;
}

function pnpmCommand(): { command: string; prefix: string[] } {
  const exec = process.env.npm_execpath;
  if (exec && /pnpm/i.test(basename(exec)) && existsSync(exec))
    return /\.[cm]?js$/.test(exec) ? { command: process.execPath, prefix: [exec] } : { command: exec, prefix: [] };
  return { command: 'pnpm', prefix: [] };
}

const isBuiltin = (spec: string): boolean => spec.startsWith('node:') || builtinModules.includes(spec.split('/')[0]!);
const packageOf = (spec: string): string => (spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);

/** Literal module specifiers of one ESM file: static imports/re-exports, and (when `dynamic`) `import("x")`. */
function specifiers(code: string, dynamic: boolean): string[] {
  const patterns = [/^\s*import\s+(?:[^'"()]*?\s+from\s+)?["']([^"']+)["']/gm, /^\s*export\s+[^'"()]*?\s+from\s+["']([^"']+)["']/gm];
  if (dynamic) patterns.push(/\bimport\(\s*["']([^"']+)["']\s*\)/g);
  return patterns.flatMap((p) => [...code.matchAll(p)].map((m) => m[1]!));
}

/** The files an ESM file loads before it runs (relative static imports, followed), with its bare imports. */
function staticGraph(file: string, seen = new Map<string, string[]>()): Map<string, string[]> {
  if (seen.has(file)) return seen;
  const specs = specifiers(readFileSync(file, 'utf8'), false);
  seen.set(
    file,
    specs.filter((s) => !s.startsWith('.')),
  );
  for (const spec of specs) if (spec.startsWith('.')) staticGraph(join(dirname(file), spec), seen);
  return seen;
}

describe('packaging: the mcp-bridge CLI, packed and installed with npm outside the workspace', () => {
  let tmp: string | undefined;
  let project: string;
  let installed: string;
  let manifest: { version: string; dependencies?: Record<string, string> };
  const env = cleanEnv();
  const cli = (args: string[]): Promise<{ stdout: string; stderr: string }> =>
    run(join(project, 'node_modules', '.bin', 'mcp-bridge'), args, {
      cwd: project,
      env: { ...env, HOME: project },
      timeout: RUN_TIMEOUT_MS,
    });

  const ready = setUpOrFailEach(async () => {
    if (!existsSync(join(ROOT, 'packages/cli/dist/bin.js')))
      throw new Error('packages/cli/dist is missing: run `pnpm build` first (root `pnpm test` does)');
    tmp = mkdtempSync(join(tmpdir(), 'mcp-bridge-cli-packaging-'));
    project = join(tmp, 'project');
    mkdirSync(project);
    const pnpm = pnpmCommand();
    const local: Record<string, string> = {};
    for (const [name, dir] of Object.entries(PACKED)) {
      const dest = join(tmp, 'packs', name.replace(/^@/, '').replace('/', '-'));
      mkdirSync(dest, { recursive: true });
      await run(pnpm.command, [...pnpm.prefix, 'pack', '--pack-destination', dest], { cwd: join(ROOT, dir), env, timeout: 60_000 });
      local[name] = `file:${join(
        dest,
        readdirSync(dest).find((f) => f.endsWith('.tgz'))!,
      )}`;
    }
    // Only the CLI is asked for; the overrides keep npm off the registry for our unpublished packages.
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify(
        { name: 'cli-consumer', version: '0.0.0', private: true, dependencies: { 'mcp-bridge': local['mcp-bridge'] }, overrides: local },
        null,
        2,
      ),
    );
    await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: project, env, timeout: INSTALL_TIMEOUT_MS });
    installed = join(project, 'node_modules', 'mcp-bridge');
    manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as typeof manifest;
  }, INSTALL_TIMEOUT_MS + 120_000);

  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true, maxRetries: 3 });
  });

  it('every package dist/ imports is a node builtin or a declared dependency (the rest is inside the bundle)', () => {
    ready();
    const declared = new Set(Object.keys(manifest.dependencies ?? {}));
    const dist = join(installed, 'dist');
    const files = readdirSync(dist, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.js'));
    const undeclared = files.flatMap((f) =>
      specifiers(readFileSync(join(dist, f), 'utf8'), true)
        .filter((s) => !s.startsWith('.') && !isBuiltin(s) && !declared.has(packageOf(s)))
        .map((s) => `dist/${f}: ${s}`),
    );
    expect(undeclared).toEqual([]);
    // The default plugins come from the bundle, not from their packages.
    expect(existsSync(join(project, 'node_modules/@mcp-bridge/validation'))).toBe(false);
  });

  it('each bundled example server is one file without Ajv: `serve --examples` starts three of them at once', () => {
    ready();
    for (const name of ['notes', 'clock', 'flaky']) {
      const code = readFileSync(join(installed, 'dist', 'examples', `${name}.js`), 'utf8');
      // No chunk shared with the CLI (which carries the client side, Ajv and the gateway), no package.
      expect(
        specifiers(code, true).filter((s) => !isBuiltin(s)),
        `imports of dist/examples/${name}.js`,
      ).toEqual([]);
      expect(code, `dist/examples/${name}.js`).not.toMatch(/node_modules\/ajv|zod-to-json-schema\/dist/);
    }
  });

  it(
    '--version prints the version, loading only commander and the option table',
    async () => {
      ready();
      expect((await cli(['--version'])).stdout.trim()).toBe(manifest.version);
      const graph = staticGraph(join(installed, 'dist/bin.js'));
      expect(
        [...graph.values()].flat().filter((s) => !isBuiltin(s)),
        'bare imports on the --version path',
      ).toEqual([]);
      const bytes = [...graph.keys()].reduce((sum, f) => sum + statSync(f).size, 0);
      expect(bytes, `bytes loaded by --version (${graph.size} files)`).toBeLessThan(VERSION_PATH_MAX_BYTES);
      expect((await cli(['--help'])).stdout).toMatch(/serve[\s\S]*list[\s\S]*call[\s\S]*doctor/);
      // And in a real terminal (util-linux `script` gives it a pseudo-terminal), as people type it.
      const tty = await run('script', ['-qec', `${join(project, 'node_modules', '.bin', 'mcp-bridge')} --version`, '/dev/null'], {
        cwd: project,
        env,
        timeout: RUN_TIMEOUT_MS,
      });
      expect(tty.stdout.trim()).toBe(manifest.version);
    },
    RUN_TIMEOUT_MS,
  );

  it(
    'doctor loads the default plugins from the bundle and starts the bundled example servers',
    async () => {
      ready();
      const out = JSON.parse((await cli(['doctor', '--examples', '--json'])).stdout) as {
        ok: boolean;
        plugins: { key: string; status: string }[];
        servers: { name: string; state: string }[];
      };
      expect(out.plugins.map((p) => `${p.key}:${p.status}`)).toEqual([
        'validation:loaded',
        'cache:loaded',
        'retry:loaded',
        'health:loaded',
        'loadbalancer:loaded',
      ]);
      expect(out.servers.map((s) => `${s.name}:${s.state}`).sort()).toEqual(['clock:ok', 'flaky:ok', 'notes:ok']);
      expect(out.ok).toBe(true);
    },
    RUN_TIMEOUT_MS,
  );

  it(
    '"tracing": true and "metrics": true work out of the box: both plugins ship inside the CLI',
    async () => {
      ready();
      const config = join(project, 'ops.json');
      const notes = join(installed, 'dist', 'examples', 'notes.js');
      writeFileSync(
        config,
        JSON.stringify({ mcpServers: { notes: { command: process.execPath, args: [notes] } }, plugins: { tracing: true, metrics: true } }),
      );
      const out = JSON.parse((await cli(['doctor', '--config', config, '--json'])).stdout) as {
        ok: boolean;
        plugins: { key: string; status: string }[];
        tracing: { enabled: boolean };
      };
      expect(out.plugins.map((p) => `${p.key}:${p.status}`)).toEqual(expect.arrayContaining(['tracing:loaded', 'metrics:loaded']));
      expect(out.tracing.enabled).toBe(true);
      expect(existsSync(join(project, 'node_modules', '@mcp-bridge', 'plugin-tracing'))).toBe(false);
    },
    RUN_TIMEOUT_MS,
  );

  it(
    'call runs a tool through the plugins; a bad argument is rejected by validation before the server',
    async () => {
      ready();
      expect((await cli(['call', 'notes/search_notes', '--examples', '--args', '{"query":"milk"}'])).stdout).toMatch(/milk/i);
      const bad = await cli(['call', 'notes/search_notes', '--examples', '--json', '--args', '{"query":42}']).catch(
        (error: Error) => error,
      );
      expect(bad).toBeInstanceOf(Error);
      expect(String((bad as Error).message)).toMatch(/not sent to the server[\s\S]*\/query: must be string/);
    },
    RUN_TIMEOUT_MS,
  );

  it(
    'serve --stdio, spawned by an SDK client, lists the merged tools and calls one; the example servers run standalone',
    async () => {
      ready();
      const script = join(project, 'client.mjs');
      writeFileSync(
        script,
        `import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
const list = async (command, args) => {
  const client = new Client({ name: 'packaging', version: '0.0.0' });
  await client.connect(new StdioClientTransport({ command, args, stderr: 'ignore' }));
  const { tools } = await client.listTools();
  const found = tools.some((t) => t.name === 'search_notes') ? (await client.callTool({ name: 'search_notes', arguments: { query: 'milk' } })).content[0].text : null;
  await client.close();
  return { tools: tools.map((t) => t.name).sort(), found };
};
const gateway = await list('node_modules/.bin/mcp-bridge', ['serve', '--stdio', '--examples', '-q']);
const notes = await list(process.execPath, ['node_modules/mcp-bridge/dist/examples/notes.js']);
process.stdout.write(JSON.stringify({ gateway, notes }) + '\\n');
`,
      );
      const { stdout } = await run(process.execPath, [script], { cwd: project, env: { ...env, HOME: project }, timeout: RUN_TIMEOUT_MS });
      const out = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
        gateway: { tools: string[]; found: string };
        notes: { tools: string[]; found: string };
      };
      expect(out.gateway.tools).toHaveLength(9);
      expect(out.gateway.tools).toEqual(expect.arrayContaining(['search_notes', 'now', 'capital', 'notes__about', 'clock__about']));
      expect(out.gateway.found).toMatch(/milk/i);
      expect(out.notes.tools).toEqual(['about', 'add_note', 'delete_note', 'search_notes']);
      expect(out.notes.found).toMatch(/milk/i);
    },
    RUN_TIMEOUT_MS,
  );
});
