// The template as a user gets it: build it, pack it next to a packed core, install the tarballs with
// npm into a fresh project, and run the plugin with plain node (ESM and CJS) and TypeScript. Inside
// the mcp-bridge repository core is packed from its sources (built first: root `pnpm test` builds
// everything); in a copy of this template, from the core your project installed. This test builds
// the template itself, because "the template builds" is part of what it proves.
import { execFile, type ExecFileOptions } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const EXAMPLE = fileURLToPath(new URL('..', import.meta.url));
const ROOT = join(EXAMPLE, '../..');
const IN_REPO = existsSync(join(ROOT, 'packages/core/package.json')) && existsSync(join(ROOT, 'pnpm-workspace.yaml'));
const INSTALL_TIMEOUT_MS = 240_000;
const requireHere = createRequire(join(EXAMPLE, 'package.json'));

/** Core and what it needs, from the repository's sources or from this project's node_modules. */
function corePackages(): { name: string; dir: string }[] {
  if (IN_REPO) {
    return [
      { name: '@mcp-bridge/core', dir: join(ROOT, 'packages/core') },
      { name: '@mcp-bridge/transports', dir: join(ROOT, 'packages/transports') },
    ];
  }
  const core = dirname(requireHere.resolve('@mcp-bridge/core/package.json'));
  const transports = dirname(createRequire(join(core, 'package.json')).resolve('@mcp-bridge/transports/package.json'));
  return [
    { name: '@mcp-bridge/core', dir: core },
    { name: '@mcp-bridge/transports', dir: transports },
  ];
}

const PACKED = [...corePackages(), { name: 'mcp-bridge-plugin-example', dir: EXAMPLE }];

function run(command: string, args: string[], options: ExecFileOptions & { timeout: number }): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { maxBuffer: 64 * 1024 * 1024, encoding: 'utf8', ...options }, (error, stdout, stderr) => {
      if (error)
        reject(
          new Error(
            `\`${basename(command)} ${args.join(' ')}\` failed (${error.killed ? 'timed out' : `exit ${String(error.code)}`})\n--- stdout\n${String(stdout)}\n--- stderr\n${String(stderr)}`,
          ),
        );
      else resolve(String(stdout));
    });
  });
}

/** In the repository, the pnpm running us (it rewrites `workspace:` ranges when packing); in a copy, plain npm. */
function packer(): { command: string; prefix: string[] } {
  const exec = process.env.npm_execpath;
  if (IN_REPO && exec && /pnpm/i.test(basename(exec)) && existsSync(exec)) {
    return /\.[cm]?js$/.test(exec) ? { command: process.execPath, prefix: [exec] } : { command: exec, prefix: [] };
  }
  return IN_REPO ? { command: 'pnpm', prefix: [] } : { command: 'npm', prefix: [] };
}

/** No inherited NODE_OPTIONS or pnpm script context: the consumer must resolve like a user's project. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key === 'NODE_OPTIONS' || /^npm_(package|lifecycle)_/i.test(key) || /^VITEST/.test(key)) continue;
    env[key] = value;
  }
  return env;
}

const CONSUMER_BODY = String.raw`
  const upstream = () => {
    const server = new McpServer({ name: 'up', version: '1.0.0' });
    server.registerTool('nap', { description: 'sleeps a little' }, async () => {
      await new Promise((resolve) => setTimeout(resolve, 80));
      return { content: [{ type: 'text', text: 'rested' }] };
    });
    server.registerTool('quick', { description: 'answers at once' }, async () => ({ content: [{ type: 'text', text: 'done' }] }));
    return server;
  };
  const bridge = createBridge({ servers: { up: { type: 'in-memory', server: upstream } }, plugins: [slowCalls({ thresholdMs: 40 })] });
  const events = [];
  bridge.on('slow-calls:slow', (call) => events.push(call.tool));
  await bridge.start();
  const nap = (await bridge.callTool('nap', {})).content[0].text;
  const quick = (await bridge.callTool('quick', {})).content[0].text;
  const stats = bridge.slowCalls.stats();
  await bridge.close();
  let badOptions;
  try {
    await createBridge({ plugins: [slowCalls({ thresholdMs: 'soon' })] }).start();
  } catch (error) {
    badOptions = { code: error.code, branded: error instanceof BridgeError, message: error.message };
  }
  let wrongCore;
  try {
    await createBridge({ plugins: [{ ...slowCalls(), core: '^9.0.0' }] }).start();
  } catch (error) {
    wrongCore = error.code;
  }
  process.stdout.write(JSON.stringify({ format, nap, quick, events, stats, badOptions, wrongCore }) + '\n');
`;

const ESM = `import { createBridge, BridgeError } from '@mcp-bridge/core';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { slowCalls } from 'mcp-bridge-plugin-example';
const format = 'esm';
${CONSUMER_BODY}`;

const CJS = `'use strict';
const { createBridge, BridgeError } = require('@mcp-bridge/core');
const { McpServer } = require('@modelcontextprotocol/sdk/server/mcp.js');
const { slowCalls } = require('mcp-bridge-plugin-example');
const format = 'cjs';
(async () => {
${CONSUMER_BODY}
})().catch((error) => { console.error(error); process.exit(1); });`;

/** A TypeScript user: the plugin's declaration merging types the event, the bridge property and rejects a wrong option. */
const TYPED = `import { createBridge } from '@mcp-bridge/core';
import { slowCalls, type SlowCall } from 'mcp-bridge-plugin-example';
const bridge = createBridge({ plugins: [slowCalls({ thresholdMs: 10 })] });
bridge.on('slow-calls:slow', (call: SlowCall) => void call.durationMs.toFixed(1));
const slow: number = bridge.slowCalls.stats().slow;
void slow;
// @ts-expect-error -- thresholdMs is a number
slowCalls({ thresholdMs: 'soon' });
`;

describe('the template, packed and installed with npm next to the packed core', () => {
  let tmp: string | undefined;
  let project = '';
  const env = cleanEnv();
  let setupFailure: { error: unknown } | undefined;
  const ready = (): void => {
    if (setupFailure) throw setupFailure.error;
  };
  const packed: Record<string, { tarball: string; files: string[]; manifest: Record<string, unknown> }> = {};

  beforeAll(async () => {
    try {
      const missing = PACKED.slice(0, 2)
        .flatMap((p) => ['dist/index.js', 'dist/index.cjs'].map((f) => join(p.dir, f)))
        .filter((f) => !existsSync(f));
      if (missing.length)
        throw new Error(`built output is missing — run \`pnpm build\` first (root \`pnpm test\` does): ${missing.join(', ')}`);
      // The template's own build, as its `build` script runs it.
      await run('npm', ['run', 'build'], { cwd: EXAMPLE, env, timeout: 120_000 });
      tmp = mkdtempSync(join(tmpdir(), 'mcp-bridge-plugin-template-'));
      project = join(tmp, 'project');
      mkdirSync(project);
      const { command, prefix } = packer();
      for (const pkg of PACKED) {
        const dest = join(tmp, basename(pkg.dir));
        mkdirSync(dest);
        await run(command, [...prefix, 'pack', '--pack-destination', dest], { cwd: pkg.dir, env, timeout: 120_000 });
        const tgz = readdirSync(dest).find((f) => f.endsWith('.tgz'))!;
        const listing = await run('tar', ['-tzf', join(dest, tgz)], { timeout: 30_000 });
        const manifest = JSON.parse(await run('tar', ['-xzOf', join(dest, tgz), 'package/package.json'], { timeout: 30_000 })) as Record<
          string,
          unknown
        >;
        packed[pkg.name] = {
          tarball: join(dest, tgz),
          files: listing
            .trim()
            .split('\n')
            .map((f) => f.replace(/^package\//, '')),
          manifest,
        };
      }
      const local = Object.fromEntries(PACKED.map((p) => [p.name, `file:${packed[p.name]!.tarball}`]));
      writeFileSync(
        join(project, 'package.json'),
        JSON.stringify({
          name: 'plugin-template-consumer',
          private: true,
          dependencies: { ...local, '@modelcontextprotocol/sdk': '^1.32.2' },
          // Our unpublished packages come from the tarballs, never from the registry.
          overrides: local,
        }),
      );
      writeFileSync(join(project, 'consumer.mjs'), ESM);
      writeFileSync(join(project, 'consumer.cjs'), CJS);
      await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: project, env, timeout: INSTALL_TIMEOUT_MS });
    } catch (error) {
      setupFailure = { error };
    }
  }, INSTALL_TIMEOUT_MS + 120_000);

  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true, maxRetries: 3 });
  });

  it('publishes dist, package.json and README only, with core as a peer and the plugin keyword', () => {
    ready();
    const { files, manifest } = packed['mcp-bridge-plugin-example']!;
    expect(files.filter((f) => !(f.startsWith('dist/') || f === 'package.json' || /^(README|LICENSE|CHANGELOG)(\.md)?$/i.test(f)))).toEqual(
      [],
    );
    expect(files).toEqual(expect.arrayContaining(['README.md', 'dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/index.d.cts']));
    expect(manifest.peerDependencies).toEqual({ '@mcp-bridge/core': '^0.1.0' });
    expect(manifest.dependencies).not.toHaveProperty('@mcp-bridge/core');
    expect(manifest.keywords).toContain('mcp-bridge-plugin');
    expect(JSON.stringify(manifest)).not.toContain('workspace:');
    // The host is a peer: the built plugin must not carry its own copy of core.
    expect(readFileSync(join(EXAMPLE, 'dist/index.js'), 'utf8')).toMatch(/from ["']@mcp-bridge\/core["']/);
  });

  for (const file of ['consumer.mjs', 'consumer.cjs']) {
    it(`${file}: the installed plugin runs on the installed core`, async () => {
      ready();
      const out = JSON.parse(
        (await run(process.execPath, [file], { cwd: project, env, timeout: 60_000 })).trim().split('\n').at(-1)!,
      ) as Record<string, unknown>;
      expect(out).toMatchObject({
        format: file.endsWith('.mjs') ? 'esm' : 'cjs',
        nap: 'rested',
        quick: 'done',
        events: ['nap'],
        stats: { slow: 1 },
        badOptions: { code: 'PLUGIN_OPTIONS_INVALID', branded: true },
        wrongCore: 'PLUGIN_CORE_RANGE',
      });
      expect((out.badOptions as { message: string }).message).toMatch(
        /\[mcp-bridge-plugin-example\] invalid options: thresholdMs: expected number, got string/,
      );
    }, 60_000);
  }

  it('its types (declaration merging included) work for a TypeScript user', async () => {
    ready();
    writeFileSync(join(project, 'typed.mts'), TYPED);
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
        files: ['typed.mts'],
      }),
    );
    await run(process.execPath, [join(dirname(requireHere.resolve('typescript/package.json')), 'bin', 'tsc'), '-p', 'tsconfig.json'], {
      cwd: project,
      env,
      timeout: 60_000,
    });
  }, 60_000);
});
