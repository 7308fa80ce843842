// A third-party plugin as its author and a gateway user live with it: copy examples/third-party-plugin
// out of the repository, install it with plain npm (our unpublished packages from packed tarballs,
// everything else from the registry), run its own tests and typecheck there, build and pack it,
// then install it next to the packed CLI and load it in `mcp-bridge serve --stdio` through a config
// file, driving the gateway with an SDK client as a desktop client would. Runs after `pnpm build`.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanEnv, packPackage, publishedEntryFiles, ROOT, run, type Packed, setUpOrFailEach } from './support/pack.js';

const INSTALL_TIMEOUT_MS = 300_000;
const TEMPLATE = 'examples/third-party-plugin';
/** The CLI and everything of ours it (and the template's tests) install. */
const PACKS = [
  'core',
  'transports',
  'testing',
  'cli',
  'cache',
  'discovery',
  'health',
  'loadbalancer',
  'pool',
  'retry',
  'server',
  'validation',
].map((p) => `packages/${p}`);

/** An upstream with one slow and one quick tool, written against the SDK the CLI brought along. */
const UPSTREAM = `import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
const server = new McpServer({ name: 'naps', version: '1.0.0' });
server.registerTool('nap', { description: 'sleeps a little' }, async () => {
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  return { content: [{ type: 'text', text: 'rested' }] };
});
server.registerTool('quick', { description: 'answers at once' }, async () => ({ content: [{ type: 'text', text: 'done' }] }));
await server.connect(new StdioServerTransport());
`;

/**
 * A desktop client's part, as a script in the gateway folder (using the SDK installed there): spawn
 * the bin (argv[2]) with a config (argv[3]) over stdio, call both tools, print one JSON line with the
 * answers and the gateway's stderr.
 */
const CLIENT = `import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
const transport = new StdioClientTransport({
  command: process.argv[2],
  args: ['serve', '--stdio', '--config', process.argv[3]],
  env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1' },
  stderr: 'pipe',
});
let stderr = '';
transport.stderr.on('data', (d) => (stderr += d.toString('utf8')));
const client = new Client({ name: 'desktop-like', version: '1.0.0' });
const text = (r) => r.content.map((c) => c.text).join('');
try {
  await client.connect(transport);
  const quick = text(await client.callTool({ name: 'quick', arguments: {} }));
  const nap = text(await client.callTool({ name: 'nap', arguments: {} }));
  // The plugin writes its report after the answer left: give it a moment.
  for (let i = 0; i < 100 && !stderr.includes('slow call: naps/nap'); i++) await new Promise((r) => setTimeout(r, 50));
  process.stdout.write(JSON.stringify({ quick, nap, stderr }) + '\\n');
} finally {
  await client.close();
}
`;

describe('a third-party plugin, copied out of the repository, installed with npm and loaded by mcp-bridge serve', () => {
  let tmp: string | undefined;
  let template = '';
  let gateway = '';
  const env = cleanEnv();

  const ready = setUpOrFailEach(async () => {
    await setUp();
  }, 3 * INSTALL_TIMEOUT_MS);

  async function setUp(): Promise<void> {
    const missing: string[] = [];
    for (const dir of PACKS) {
      const manifest = JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')) as Record<string, unknown>;
      for (const file of publishedEntryFiles(manifest)) if (!existsSync(join(ROOT, dir, file))) missing.push(`${dir}: ${file}`);
    }
    if (missing.length > 0)
      throw new Error(`built output is missing — run \`pnpm build\` first (root \`pnpm test\` does):\n  ${missing.join('\n  ')}`);

    tmp = mkdtempSync(join(tmpdir(), 'mcp-bridge-third-party-'));
    const packs = join(tmp, 'packs');
    mkdirSync(packs);
    const packed: Packed[] = [];
    for (let i = 0; i < PACKS.length; i += 4)
      packed.push(...(await Promise.all(PACKS.slice(i, i + 4).map((dir) => packPackage(dir, packs, env)))));
    // Until they are on the registry, our packages come from the tarballs: as dependencies AND overrides,
    // so npm never asks the registry for them (nor for what they depend on among themselves).
    const local = Object.fromEntries(packed.map((p) => [p.name, `file:${p.tarball}`]));

    // 1. The template, as a plugin author copies it: no node_modules, no build output.
    template = join(tmp, 'my-plugin');
    cpSync(join(ROOT, TEMPLATE), template, { recursive: true, filter: (src) => !/[\\/](node_modules|dist)$/.test(src) });
    const manifest = JSON.parse(readFileSync(join(template, 'package.json'), 'utf8')) as {
      devDependencies: Record<string, string>;
    } & Record<string, unknown>;
    for (const name of ['@mcp-bridge/core', '@mcp-bridge/testing']) manifest.devDependencies[name] = local[name]!;
    writeFileSync(join(template, 'package.json'), `${JSON.stringify({ ...manifest, overrides: local }, null, 2)}\n`);
    await npm(['install'], template);
    await npm(['run', 'build'], template);
    await npm(['pack', '--pack-destination', packs], template);
    const pluginTarball = join(
      packs,
      readdirSync(packs).find((f) => f.startsWith('mcp-bridge-plugin-example-') && f.endsWith('.tgz'))!,
    );

    // 2. A gateway user's folder: the CLI and the plugin installed next to the config file.
    gateway = join(tmp, 'gateway');
    mkdirSync(gateway);
    writeFileSync(
      join(gateway, 'package.json'),
      `${JSON.stringify({ name: 'my-gateway', private: true, dependencies: { 'mcp-bridge': local['mcp-bridge'], 'mcp-bridge-plugin-example': `file:${pluginTarball}` }, overrides: local }, null, 2)}\n`,
    );
    writeFileSync(join(gateway, 'upstream.mjs'), UPSTREAM);
    await npm(['install'], gateway);
  }

  function npm(args: string[], cwd: string): Promise<unknown> {
    return run('npm', [...args, '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], {
      cwd,
      env,
      timeout: INSTALL_TIMEOUT_MS,
      shell: process.platform === 'win32',
    });
  }

  /** Runs the desktop-like client script from `cwd` against the gateway's installed bin and `config`. */
  async function desktopClient(cwd: string, config: string): Promise<{ quick: string; nap: string; stderr: string }> {
    writeFileSync(join(gateway, 'client.mjs'), CLIENT);
    const bin = join(gateway, 'node_modules/.bin/mcp-bridge');
    const { stdout } = await run(process.execPath, [join(gateway, 'client.mjs'), bin, config], { cwd, env: userEnv(), timeout: 60_000 });
    return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { quick: string; nap: string; stderr: string };
  }

  /** PATH and a home inside the test folder: the gateway never reads the real home's client configs. */
  const userEnv = (): Record<string, string> => ({ PATH: env.PATH ?? '/usr/bin:/bin', HOME: gateway, NO_COLOR: '1' });

  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true, maxRetries: 3 });
  });

  it('the copy has nothing that ties it to the repository', () => {
    ready();
    const text = readFileSync(join(ROOT, TEMPLATE, 'package.json'), 'utf8') + readFileSync(join(ROOT, TEMPLATE, 'tsconfig.json'), 'utf8');
    expect(text).not.toContain('workspace:');
    expect(text).not.toContain('../');
    expect(readFileSync(join(template, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
  });

  it(
    'runs its own tests (conformance suite, behaviour, its packaging test) with npm test in the copy',
    async () => {
      ready();
      const { stdout } = (await npm(['test'], template)) as { stdout: string };
      expect(stdout).toMatch(/Test Files\s+.*2 passed/);
    },
    INSTALL_TIMEOUT_MS,
  );

  it('typechecks in the copy with its own tsconfig', async () => {
    ready();
    await npm(['run', 'typecheck'], template);
  }, 120_000);

  it('mcp-bridge serve --stdio loads it from the config folder and it acts on a client call', async () => {
    ready();
    writeFileSync(
      join(gateway, 'mcp-bridge.json'),
      JSON.stringify({
        mcpServers: { naps: { command: process.execPath, args: [join(gateway, 'upstream.mjs')] } },
        plugins: ['validation', { package: 'mcp-bridge-plugin-example', options: { thresholdMs: 600, log: true } }],
      }),
    );
    const out = await desktopClient(gateway, 'mcp-bridge.json');
    expect(out, out.stderr).toMatchObject({ quick: 'done', nap: 'rested' });
    // The plugin's own report of the slow call, and nothing for the quick one.
    expect(out.stderr).toMatch(/\[mcp-bridge-plugin-example\] slow call: naps\/nap took \d+ ms \(threshold 600 ms, ok\)/);
    expect(out.stderr).not.toContain('slow call: naps/quick');
  }, 60_000);

  it('with the config and cwd elsewhere, finds the plugin installed next to the CLI (where npm i -g and npx -p put it)', async () => {
    ready();
    const elsewhere = join(tmp!, 'elsewhere');
    mkdirSync(elsewhere, { recursive: true });
    writeFileSync(
      join(elsewhere, 'gw.json'),
      JSON.stringify({
        mcpServers: { naps: { command: process.execPath, args: [join(gateway, 'upstream.mjs')] } },
        plugins: { 'mcp-bridge-plugin-example': { thresholdMs: 600, log: true } },
      }),
    );
    const out = await desktopClient(elsewhere, 'gw.json');
    expect(out, out.stderr).toMatchObject({ quick: 'done', nap: 'rested' });
    expect(out.stderr).toMatch(/\[mcp-bridge-plugin-example\] slow call: naps\/nap took \d+ ms/);
  }, 60_000);

  it('a plugin that is not installed stops serve with exit code 2 and the npm command for this folder', async () => {
    ready();
    writeFileSync(join(gateway, 'missing.json'), JSON.stringify({ mcpServers: {}, plugins: { 'mcp-bridge-plugin-absent': { x: 1 } } }));
    const child = spawn(join(gateway, 'node_modules/.bin/mcp-bridge'), ['serve', '--stdio', '--config', 'missing.json'], {
      cwd: gateway,
      env: userEnv(),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(2);
    expect(stderr).toContain(
      `${join(gateway, 'missing.json')}: plugins.mcp-bridge-plugin-absent: plugin package "mcp-bridge-plugin-absent" not found`,
    );
    // The third place looked in is the installed CLI's own package folder (found from its bundled dist).
    expect(stderr).toContain(`${join(gateway, 'node_modules/mcp-bridge')} (mcp-bridge install)`);
    expect(stderr).toContain(`Install it: cd ${gateway} && npm i mcp-bridge-plugin-absent`);
    expect(stdout).toBe('');
  }, 60_000);
});
