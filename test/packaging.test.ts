// Packaging: `pnpm pack` the published packages, install the tarballs with npm into a project
// outside the workspace, and use them the way users will — plain `node`, ESM and CJS, no source
// condition, no workspace links. Runs after `pnpm build` (root `pnpm test` builds first).
import { execFile, type ExecFileOptions } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const INSTALL_TIMEOUT_MS = 240_000;
const SCRIPT_TIMEOUT_MS = 60_000;

interface PackageUnderTest {
  name: string;
  dir: string;
  /** Set by beforeAll. */
  tarball?: string;
  files?: string[];
  manifest?: Record<string, unknown>;
}

const PACKAGES: PackageUnderTest[] = [
  { name: '@mcp-bridge/core', dir: 'packages/core' },
  { name: '@mcp-bridge/transports', dir: 'packages/transports' },
  { name: '@mcp-bridge/testing', dir: 'packages/testing' },
];

// ----------------------------------------------------------------------------------- helpers

interface RunResult {
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], options: ExecFileOptions & { timeout: number }): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { maxBuffer: 64 * 1024 * 1024, encoding: 'utf8', windowsHide: true, ...options }, (error, stdout, stderr) => {
      if (error) {
        const how = error.killed ? `killed after ${options.timeout} ms` : `exit code ${String(error.code)}`;
        reject(new Error(`\`${basename(command)} ${args.join(' ')}\` failed (${how})\n--- stdout\n${String(stdout)}\n--- stderr\n${String(stderr)}`, { cause: error }));
      } else resolve({ stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** The pnpm that runs us (`npm_execpath`), else `pnpm` on PATH. */
function pnpmCommand(): { command: string; prefix: string[] } {
  const exec = process.env.npm_execpath;
  if (exec && /pnpm/i.test(basename(exec)) && existsSync(exec)) {
    return /\.[cm]?js$/.test(exec) ? { command: process.execPath, prefix: [exec] } : { command: exec, prefix: [] };
  }
  return { command: 'pnpm', prefix: [] };
}

/** The environment of child processes: no inherited NODE_OPTIONS (a source condition would break resolution), no pnpm script context. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key === 'NODE_OPTIONS' || /^npm_(package|lifecycle)_/i.test(key) || /^VITEST/.test(key)) continue;
    env[key] = value;
  }
  return env;
}

/** Paths of every regular file in a .tgz (gzip + ustar), read without a `tar` binary. */
function tarEntries(file: string): { files: string[]; read: (path: string) => string | undefined } {
  const data = gunzipSync(readFileSync(file));
  const files = new Map<string, Buffer>();
  let offset = 0;
  let longName: string | undefined;
  while (offset + 512 <= data.length) {
    const header = data.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const field = (start: number, length: number): string => header.subarray(start, start + length).toString('utf8').replace(/\0.*$/s, '');
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
function publishedEntryFiles(manifest: Record<string, unknown>): string[] {
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

/** Static import/require specifiers of a built file, following its relative chunks (dynamic `import()` excluded on purpose). */
function staticImports(file: string, seen = new Set<string>()): string[] {
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
const isNodeOnly = (spec: string): boolean =>
  spec.startsWith('node:') ||
  NODE_BUILTINS.has(spec) ||
  NODE_BUILTINS.has(spec.split('/')[0]!) ||
  spec === 'cross-spawn' ||
  /^@modelcontextprotocol\/sdk\/(client|server)\/stdio(\.js)?$/.test(spec);

// -------------------------------------------------------------------------- consumer scripts

/**
 * One body, run as ESM and as CJS: a bridge over an in-memory test server and a stdio test server
 * (the built bin, a real child process), list, call, errors, close; one JSON line on stdout.
 */
const CONSUMER_BODY = String.raw`
  const pid = process.pid;
  const bridge = createBridge({
    servers: { mem: inMemoryTestServer({ name: 'mem' }), proc: stdioTestServer({ name: 'proc' }) },
    onError: (error) => console.error('onError:', error),
  });
  await bridge.start();
  const status = Object.fromEntries(bridge.status().map((s) => [s.name, s.state]));
  const listed = await bridge.listTools();
  const tools = bridge.tools().map((t) => t.server + '/' + t.upstreamName).sort();
  const text = (result) => result.content[0].text;
  const memEcho = text(await bridge.callTool('echo', { text: 'hello mem' }, { server: 'mem' }));
  const procEcho = text(await bridge.callTool('echo', { text: 'hello proc' }, { server: 'proc' }));
  const who = JSON.parse(text(await bridge.callTool('whoami', {}, { server: 'proc' })));
  const childPid = bridge.connection(bridge.upstreams('proc')[0]).pid;

  let notFound;
  try {
    await bridge.callTool('no_such_tool', {});
    notFound = { thrown: false };
  } catch (error) {
    notFound = { thrown: true, bridgeError: error instanceof BridgeError, notFoundError: error instanceof NotFoundError, isInstance: BridgeError.isInstance(error), code: error.code, name: error.name };
  }
  let upstreamError;
  try {
    await bridge.callTool('fail', { mode: 'throw', message: 'boom' }, { server: 'mem' });
    upstreamError = { thrown: false };
  } catch (error) {
    upstreamError = { thrown: true, bridgeError: error instanceof BridgeError, code: error.code, message: error.message };
  }

  await bridge.close();
  // The stdio child is gone once close() resolves (allow a moment for the kernel to reap it).
  const alive = (p) => { try { process.kill(p, 0); return true; } catch { return false; } };
  let childGone = false;
  for (let i = 0; i < 50 && !(childGone = !alive(childPid)); i++) await new Promise((r) => setTimeout(r, 100));

  const stdioEntry = typeof (await loadStdioEntry()).createStdioTransport;
  process.stdout.write(JSON.stringify({
    format, state: bridge.state, status, toolCount: listed.tools.length, tools, memEcho, procEcho,
    whoServer: who.server, whoIsChild: who.pid !== pid && who.pid === childPid, childGone,
    notFound, upstreamError, stdioEntry, coreVersion, extra: await extra(),
  }) + '\n');
`;

const ESM_SCRIPT = `// ESM consumer: plain node, no source condition.
import { createBridge, BridgeError, NotFoundError } from '@mcp-bridge/core';
import { inMemoryTestServer, stdioTestServer } from '@mcp-bridge/testing';
import { createRequire } from 'node:module';
const format = 'esm';
const coreVersion = createRequire(import.meta.url)('@mcp-bridge/core/package.json').version;
const loadStdioEntry = () => import('@mcp-bridge/transports/stdio');
const extra = async () => ({});
${CONSUMER_BODY}
`;

const CJS_SCRIPT = `// CJS consumer: plain node, require(), no source condition.
'use strict';
const { createBridge, BridgeError, NotFoundError } = require('@mcp-bridge/core');
const { inMemoryTestServer, stdioTestServer } = require('@mcp-bridge/testing');
const format = 'cjs';
const coreVersion = require('@mcp-bridge/core/package.json').version;
const loadStdioEntry = async () => require('@mcp-bridge/transports/stdio');
// Dual package: an error made by the CJS copy is an instance of the ESM copy's classes (branding).
const extra = async () => {
  const esm = await import('@mcp-bridge/core');
  const error = new NotFoundError('x');
  return { distinctCopies: esm.BridgeError !== BridgeError, crossInstanceof: error instanceof esm.BridgeError && error instanceof esm.NotFoundError };
};
(async () => {
${CONSUMER_BODY}
})().catch((error) => { console.error(error); process.exit(1); });
`;

/** A TypeScript consumer (ESM `.mts` and CJS `.cts`): the published types resolve and are not `any`. */
const TS_CONSUMER = `import { createBridge, BridgeError, type CallContext, type Plugin } from '@mcp-bridge/core';
import { inMemoryTestServer, stdioTestServer, type TestServerOptions } from '@mcp-bridge/testing';
import { parseServerConfig, type Connection } from '@mcp-bridge/transports';
import { createStdioTransport } from '@mcp-bridge/transports/stdio';

const options: TestServerOptions = { name: 'typed', tools: ['echo'] };
const plugin: Plugin = {
  name: 'typed-plugin',
  version: '1.0.0',
  setup(api) {
    api.use({ phase: 'observe', handle: (ctx: CallContext, next) => next() });
  },
};
export async function main(): Promise<string> {
  const bridge = createBridge({ servers: { a: inMemoryTestServer(options), b: stdioTestServer() }, plugins: [plugin] });
  await bridge.start();
  const result = await bridge.callTool('echo', { text: 'x' }, { server: 'a', timeout: 1_000 });
  const code: string = new BridgeError('SOME_CODE', 'message').code;
  const connection: Connection | undefined = bridge.connection(bridge.upstreams('a')[0]!);
  void connection;
  void parseServerConfig('x', {});
  void createStdioTransport;
  // @ts-expect-error -- proves the types are real: \`state\` is a string union, not a number (nor any)
  const wrong: number = bridge.state;
  void wrong;
  await bridge.close();
  return code + String(result.content.length);
}
`;

// -------------------------------------------------------------------------------------- test

describe('packaging: the packed tarballs, installed with npm outside the workspace', () => {
  let tmp: string | undefined;
  let project: string;
  const env = cleanEnv();
  // A failing beforeAll would only mark the tests "skipped": keep its error and fail every test with it.
  let setupError: unknown;
  const ready = (): void => {
    if (setupError !== undefined) throw setupError;
  };

  beforeAll(async () => {
    try {
      await setUp();
    } catch (error) {
      setupError = error;
    }
  }, INSTALL_TIMEOUT_MS + 60_000);

  async function setUp(): Promise<void> {
    // Built output must exist: this test checks what we publish, so it never builds (or skips) silently.
    const missing: string[] = [];
    for (const pkg of PACKAGES) {
      const manifest = JSON.parse(readFileSync(join(ROOT, pkg.dir, 'package.json'), 'utf8')) as Record<string, unknown>;
      for (const file of publishedEntryFiles(manifest)) if (!existsSync(join(ROOT, pkg.dir, file))) missing.push(`${pkg.name}: ${file}`);
    }
    if (missing.length > 0) {
      throw new Error(`built output is missing — run \`pnpm build\` first (root \`pnpm test\` does):\n  ${missing.join('\n  ')}`);
    }

    tmp = mkdtempSync(join(tmpdir(), 'mcp-bridge-packaging-'));
    const packs = join(tmp, 'packs');
    project = join(tmp, 'project');
    mkdirSync(packs);
    mkdirSync(project);

    const pnpm = pnpmCommand();
    await Promise.all(
      PACKAGES.map(async (pkg) => {
        const dest = join(packs, pkg.name.replace(/^@/, '').replace('/', '-'));
        mkdirSync(dest);
        await run(pnpm.command, [...pnpm.prefix, 'pack', '--pack-destination', dest], { cwd: join(ROOT, pkg.dir), env, timeout: 60_000, shell: process.platform === 'win32' });
        const tgz = readdirSync(dest).filter((f) => f.endsWith('.tgz'));
        if (tgz.length !== 1) throw new Error(`pnpm pack of ${pkg.name} left ${tgz.length} tarballs in ${dest}`);
        pkg.tarball = join(dest, tgz[0]!);
        const tar = tarEntries(pkg.tarball);
        pkg.files = tar.files;
        pkg.manifest = JSON.parse(tar.read('package/package.json') ?? '{}') as Record<string, unknown>;
      }),
    );

    // Dependencies AND overrides point at the tarballs, so npm never asks the registry for our
    // unpublished packages (core's dependency on transports included).
    const local = Object.fromEntries(PACKAGES.map((p) => [p.name, `file:${p.tarball!.split('\\').join('/')}`]));
    writeFileSync(
      join(project, 'package.json'),
      `${JSON.stringify({ name: 'mcp-bridge-packaging-consumer', version: '0.0.0', private: true, dependencies: local, overrides: local }, null, 2)}\n`,
    );
    writeFileSync(join(project, 'consumer.mjs'), ESM_SCRIPT);
    writeFileSync(join(project, 'consumer.cjs'), CJS_SCRIPT);
    await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: project, env, timeout: INSTALL_TIMEOUT_MS, shell: process.platform === 'win32' });
  }

  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true, maxRetries: 3 });
  });

  it('tarballs hold only dist/, package.json and README (no src/, no test/)', () => {
    ready();
    for (const pkg of PACKAGES) {
      const files = pkg.files!.map((f) => f.replace(/^package\//, ''));
      expect(files.length, pkg.name).toBeGreaterThan(0);
      // LICENSE and CHANGELOG are allowed too: npm/pnpm add them when present (changesets writes CHANGELOG.md).
      const unexpected = files.filter((f) => !(f.startsWith('dist/') || f === 'package.json' || /^(README|LICEN[CS]E|CHANGELOG)(\.md|\.txt)?$/i.test(f)));
      expect(unexpected, `${pkg.name} publishes unexpected files`).toEqual([]);
      expect(files.some((f) => /^(src|test)\//.test(f)), pkg.name).toBe(false);
      // Every entry point the manifest names is in the tarball (source condition excepted).
      const wanted = publishedEntryFiles(pkg.manifest!).map((f) => f.replace(/^\.\//, ''));
      expect(wanted.filter((f) => !files.includes(f)), `${pkg.name}: entry points missing from the tarball`).toEqual([]);
      // pnpm pack rewrote workspace: ranges to real versions.
      expect(JSON.stringify(pkg.manifest), pkg.name).not.toContain('workspace:');
    }
  });

  it('every tarball carries its README', () => {
    ready();
    const without = PACKAGES.filter((pkg) => !pkg.files!.some((f) => /^package\/README(\.md)?$/i.test(f))).map((p) => p.name);
    expect(without, 'packages published without a README').toEqual([]);
  });

  it('the transports root entry imports nothing node-only; the stdio subpath does', () => {
    ready();
    const dist = join(project, 'node_modules/@mcp-bridge/transports/dist');
    for (const entry of ['index.js', 'index.cjs']) {
      const nodeOnly = staticImports(join(dist, entry)).filter(isNodeOnly);
      expect(nodeOnly, `dist/${entry} must not import node-only modules`).toEqual([]);
    }
    for (const entry of ['stdio.js', 'stdio.cjs']) {
      const nodeOnly = staticImports(join(dist, entry)).filter(isNodeOnly);
      expect(nodeOnly.length, `dist/${entry} is the node-only entry`).toBeGreaterThan(0);
    }
  });

  const expectConsumerOutput = (out: Record<string, unknown>, format: string): void => {
    expect(out).toMatchObject({
      format,
      state: 'closed',
      status: { mem: 'ok', proc: 'ok' },
      memEcho: 'hello mem',
      procEcho: 'hello proc',
      whoServer: 'proc',
      whoIsChild: true,
      childGone: true,
      notFound: { thrown: true, bridgeError: true, notFoundError: true, isInstance: true, code: 'NOT_FOUND', name: 'NotFoundError' },
      // Upstream JSON-RPC errors pass through unwrapped (not a BridgeError).
      upstreamError: { thrown: true, bridgeError: false, code: -32603 },
      stdioEntry: 'function',
      coreVersion: (PACKAGES[0]!.manifest as { version: string }).version,
    });
    expect(out.tools).toEqual(expect.arrayContaining(['mem/echo', 'proc/echo', 'mem/whoami', 'proc/whoami']));
    expect(out.toolCount).toBe((out.tools as string[]).length);
    expect(String((out.upstreamError as { message: string }).message)).toContain('boom');
  };

  const runConsumer = async (file: string): Promise<Record<string, unknown>> => {
    ready();
    const { stdout, stderr } = await run(process.execPath, [file], { cwd: project, env, timeout: SCRIPT_TIMEOUT_MS });
    const last = stdout.trim().split('\n').at(-1) ?? '';
    try {
      return JSON.parse(last) as Record<string, unknown>;
    } catch {
      throw new Error(`${file} printed no JSON line\n--- stdout\n${stdout}\n--- stderr\n${stderr}`);
    }
  };

  it('an ESM script (import) runs a bridge over in-memory and stdio test servers', async () => {
    expectConsumerOutput(await runConsumer('consumer.mjs'), 'esm');
  }, SCRIPT_TIMEOUT_MS);

  it('a CJS script (require) does the same, and its errors match the ESM copy by brand', async () => {
    const out = await runConsumer('consumer.cjs');
    expectConsumerOutput(out, 'cjs');
    expect(out.extra).toEqual({ distinctCopies: true, crossInstanceof: true });
  }, SCRIPT_TIMEOUT_MS);

  it('the published types resolve for ESM (.mts) and CJS (.cts) consumers', async () => {
    ready();
    writeFileSync(join(project, 'typed-esm.mts'), TS_CONSUMER);
    writeFileSync(join(project, 'typed-cjs.cts'), TS_CONSUMER);
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', lib: ['ES2023'], strict: true, noEmit: true, skipLibCheck: true, types: [] },
        files: ['typed-esm.mts', 'typed-cjs.cts'],
      }),
    );
    const tsc = join(dirname(createRequire(join(ROOT, 'package.json')).resolve('typescript/package.json')), 'bin', 'tsc');
    await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: project, env, timeout: SCRIPT_TIMEOUT_MS });
  }, SCRIPT_TIMEOUT_MS);
});
