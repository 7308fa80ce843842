// Packaging: `pnpm pack` the published packages, install the tarballs with npm into a project
// outside the workspace, and use them the way users will — plain `node`, ESM and CJS, no source
// condition, no workspace links. Runs after `pnpm build` (root `pnpm test` builds first).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  cleanEnv,
  isNodeOnly,
  packPackage,
  publishedEntryFiles,
  publishedPackageDirs,
  ROOT,
  run,
  staticImports,
  type Packed,
  setUpOrFailEach,
} from './support/pack.js';

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
const TS_CONSUMER = `import { createBridge, BridgeError, type CallContext, type CallToolResult, type Plugin } from '@mcp-bridge/core';
import { inMemoryTestServer, stdioTestServer, type TestServerOptions } from '@mcp-bridge/testing';
import { parseServerConfig, type Connection } from '@mcp-bridge/transports';
import { createStdioTransport } from '@mcp-bridge/transports/stdio';

const options: TestServerOptions = { name: 'typed', tools: ['echo'] };
const plugin: Plugin = {
  name: 'typed-plugin',
  version: '1.0.0',
  setup(api) {
    api.use({ phase: 'observe', handle: (ctx: CallContext, next) => next() });
    // next() typed by methods, with the MCP result types core re-exports (no SDK import).
    api.use({ phase: 'observe', methods: ['tools/call'], handle: (_ctx, next) => next().then((r: CallToolResult) => r) });
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
  // @ts-expect-error -- servers are typed: \`comand\` is no server config field
  void createBridge({ servers: { typo: { comand: 'npx' } } });
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

  const ready = setUpOrFailEach(async () => {
    await setUp();
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

    await Promise.all(
      PACKAGES.map(async (pkg) => {
        const packed = await packPackage(pkg.dir, packs, env);
        pkg.tarball = packed.tarball;
        pkg.files = packed.files;
        pkg.manifest = packed.manifest;
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
    await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: project,
      env,
      timeout: INSTALL_TIMEOUT_MS,
      shell: process.platform === 'win32',
    });
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
      const unexpected = files.filter(
        (f) => !(f.startsWith('dist/') || f === 'package.json' || /^(README|LICEN[CS]E|CHANGELOG)(\.md|\.txt)?$/i.test(f)),
      );
      expect(unexpected, `${pkg.name} publishes unexpected files`).toEqual([]);
      expect(
        files.some((f) => /^(src|test)\//.test(f)),
        pkg.name,
      ).toBe(false);
      // Every entry point the manifest names is in the tarball (source condition excepted).
      const wanted = publishedEntryFiles(pkg.manifest!).map((f) => f.replace(/^\.\//, ''));
      expect(
        wanted.filter((f) => !files.includes(f)),
        `${pkg.name}: entry points missing from the tarball`,
      ).toEqual([]);
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

  it(
    'an ESM script (import) runs a bridge over in-memory and stdio test servers',
    async () => {
      expectConsumerOutput(await runConsumer('consumer.mjs'), 'esm');
    },
    SCRIPT_TIMEOUT_MS,
  );

  it(
    'a CJS script (require) does the same, and its errors match the ESM copy by brand',
    async () => {
      const out = await runConsumer('consumer.cjs');
      expectConsumerOutput(out, 'cjs');
      expect(out.extra).toEqual({ distinctCopies: true, crossInstanceof: true });
    },
    SCRIPT_TIMEOUT_MS,
  );

  it(
    'the published types resolve for ESM (.mts) and CJS (.cts) consumers',
    async () => {
      ready();
      writeFileSync(join(project, 'typed-esm.mts'), TS_CONSUMER);
      writeFileSync(join(project, 'typed-cjs.cts'), TS_CONSUMER);
      writeFileSync(
        join(project, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            module: 'NodeNext',
            moduleResolution: 'NodeNext',
            target: 'ES2022',
            lib: ['ES2023'],
            strict: true,
            noEmit: true,
            skipLibCheck: true,
            types: [],
          },
          files: ['typed-esm.mts', 'typed-cjs.cts'],
        }),
      );
      const tsc = join(dirname(createRequire(join(ROOT, 'package.json')).resolve('typescript/package.json')), 'bin', 'tsc');
      await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: project, env, timeout: SCRIPT_TIMEOUT_MS });
    },
    SCRIPT_TIMEOUT_MS,
  );
});

const REPO = 'https://github.com/mcp-bridge/mcp-bridge';

/** Links in a README as npmjs.com shows it: relative ones would point into npm's site, not the repository. */
function readmeLinks(readme: string): string[] {
  return [...readme.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1]!);
}

describe('packaging: every published package carries its metadata, LICENSE and working links', () => {
  let tmp: string | undefined;
  const packed: Packed[] = [];

  const ready = setUpOrFailEach(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'mcp-bridge-metadata-'));
    const dirs = publishedPackageDirs();
    // A few at a time: pnpm pack is mostly process start-up, and the machine is shared.
    for (let i = 0; i < dirs.length; i += 4)
      packed.push(...(await Promise.all(dirs.slice(i, i + 4).map((dir) => packPackage(dir, tmp!, cleanEnv())))));
  }, 180_000);

  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true, maxRetries: 3 });
  });

  it('finds every package of packages/ and plugins/', () => {
    ready();
    expect(packed.map((p) => p.name)).toEqual(expect.arrayContaining(['@mcp-bridge/core', 'mcp-bridge', '@mcp-bridge/plugin-metrics']));
    expect(packed.length).toBeGreaterThanOrEqual(17);
  });

  it('repository (with directory), homepage, bugs, keywords and license in every manifest', () => {
    ready();
    for (const pkg of packed) {
      const m = pkg.manifest;
      expect(m.repository, pkg.name).toEqual({ type: 'git', url: `git+${REPO}.git`, directory: pkg.dir });
      expect(m.homepage, pkg.name).toBe(`${REPO}/tree/main/${pkg.dir}#readme`);
      expect(m.bugs, pkg.name).toEqual({ url: `${REPO}/issues` });
      expect(m.keywords, pkg.name).toEqual(expect.arrayContaining(['mcp', 'mcp-bridge']));
      expect(m.license, pkg.name).toBe('MIT');
    }
  });

  it('the MIT LICENSE of the repository is in every tarball', () => {
    ready();
    const license = readFileSync(join(ROOT, 'LICENSE'), 'utf8');
    expect(license).toMatch(/^MIT License/);
    for (const pkg of packed) {
      expect(pkg.files, pkg.name).toContain('package/LICENSE');
      expect(pkg.read('package/LICENSE'), pkg.name).toBe(license);
      expect(pkg.manifest.files, pkg.name).toContain('LICENSE');
    }
  });

  it('no source condition and no workspace range in any published manifest', () => {
    ready();
    for (const pkg of packed) {
      // What resolution reads (a `dev` script may still mention the condition: scripts do not resolve anything).
      const { exports, main, module, types, bin } = pkg.manifest;
      const entries = JSON.stringify({ exports, main, module, types, bin });
      expect(entries, pkg.name).not.toContain('@mcp-bridge/source');
      expect(entries, pkg.name).not.toContain('src/');
      expect(JSON.stringify(pkg.manifest), pkg.name).not.toContain('workspace:');
      // The override left the entry points in place: what `exports` names is what the source manifest builds.
      expect(publishedEntryFiles(pkg.manifest).length, pkg.name).toBeGreaterThan(0);
    }
  });

  it('README links work on npmjs.com: absolute links to files that exist in the repository', () => {
    ready();
    for (const pkg of packed) {
      const readme = pkg.read('package/README.md');
      expect(readme, `${pkg.name} has a README`).toBeDefined();
      const links = readmeLinks(readme!);
      const relative = links.filter((l) => !/^(https?:|mailto:|#)/.test(l));
      expect(relative, `${pkg.name}: relative README links`).toEqual([]);
      for (const link of links.filter((l) => l.startsWith(`${REPO}/`))) {
        const path = /^https:\/\/github\.com\/mcp-bridge\/mcp-bridge\/(?:blob|tree)\/main\/([^#?]*)/.exec(link)?.[1];
        if (path === undefined) continue; // issues, discussions ...
        expect(existsSync(join(ROOT, decodeURIComponent(path))), `${pkg.name}: ${link} points at a missing file`).toBe(true);
      }
    }
  });
});
