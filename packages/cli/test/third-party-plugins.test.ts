// Third-party plugins named in a config's `plugins` section: real packages and files in a temporary
// tree (ESM-only exports, CommonJS, a relative file), resolved from the config folder, the working
// directory and the CLI's install, then run in a real bridge; and every way an entry can be wrong.
import { spawn } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { createBridge, type Plugin } from '@mcp-bridge/core';
import { inMemoryTestServer, stdioTestServer } from '@mcp-bridge/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPlugins, cliInstallKind, CliError, installHint } from '../src/index.js';
import { cliCommand, collect, tempTree, type Tree } from './helpers.js';

/** A plugin factory (plain JS) that appends `suffix` to every text a tool returns: visible proof it ran on the call. */
const SUFFIX_FACTORY = `(options = {}) => ({
  name: options.name ?? 'mcp-bridge-plugin-suffix',
  version: '1.0.0',
  setup(api) {
    api.use({
      phase: 'observe',
      methods: ['tools/call'],
      handle: (ctx, next) => next().then((r) => ({ ...r, content: r.content.map((c) => (c.type === 'text' ? { ...c, text: c.text + (options.suffix ?? ' [suffix]') } : c)) })),
    });
  },
})`;

let tree: Tree;
let config: string;
let elsewhere: string;
let cliInstall: string;

beforeAll(() => {
  tree = tempTree();
  // Real paths: the tree may sit behind a symlinked tmpdir, and resolved paths are compared below.
  const root = realpathSync(tree.root);
  config = join(root, 'project/gw.json');
  elsewhere = join(root, 'elsewhere');
  cliInstall = join(root, 'cli-install');
  // ESM-only package (exports has no require condition), default export, in the config's folder.
  tree.write('project/node_modules/mcp-bridge-plugin-suffix/package.json', {
    name: 'mcp-bridge-plugin-suffix',
    version: '1.0.0',
    type: 'module',
    exports: { '.': { types: './index.d.ts', import: './index.js' } },
  });
  tree.write('project/node_modules/mcp-bridge-plugin-suffix/index.js', `export default ${SUFFIX_FACTORY};\nexport const helper = 1;\n`);
  // CommonJS package with `main`, factory named `plugin` next to another function.
  tree.write('project/node_modules/@acme/mcp-bridge-plugin-cjs/package.json', {
    name: '@acme/mcp-bridge-plugin-cjs',
    version: '1.0.0',
    main: 'lib/main',
  });
  tree.write(
    'project/node_modules/@acme/mcp-bridge-plugin-cjs/lib/main.js',
    `exports.plugin = ${SUFFIX_FACTORY};\nexports.other = () => 1;\n`,
  );
  // A file next to the config, one named export.
  tree.write('project/plugins/local.mjs', `export const localSuffix = ${SUFFIX_FACTORY};\n`);
  // Only in the working directory, and only in the CLI's install.
  tree.write('elsewhere/node_modules/plugin-in-cwd/package.json', {
    name: 'plugin-in-cwd',
    version: '1.0.0',
    type: 'module',
    exports: './i.js',
  });
  tree.write('elsewhere/node_modules/plugin-in-cwd/i.js', `export function inCwd(o) { return (${SUFFIX_FACTORY})(o); }\n`);
  tree.write('cli-install/node_modules/plugin-next-to-cli/package.json', {
    name: 'plugin-next-to-cli',
    version: '1.0.0',
    type: 'module',
    exports: { import: './i.js' },
  });
  tree.write('cli-install/node_modules/plugin-next-to-cli/i.js', `export default ${SUFFIX_FACTORY};\n`);
  // Broken ones.
  tree.write(
    'project/plugins/two.mjs',
    "export const a = () => ({ name: 'a', version: '1', setup() {} });\nexport const b = () => ({ name: 'b', version: '1', setup() {} });\n",
  );
  tree.write('project/plugins/none.mjs', 'export const value = 1;\n');
  tree.write('project/plugins/throws.mjs', "export default () => { throw new Error('licence key missing'); };\n");
  tree.write('project/plugins/not-plugin.mjs', "export default () => ({ name: 'x' });\n");
  tree.write('project/plugins/syntax.mjs', 'export default () => {;\n');
  tree.write('project/node_modules/plugin-unbuilt/package.json', {
    name: 'plugin-unbuilt',
    version: '1.0.0',
    exports: { import: './dist/index.js' },
  });
});

afterAll(() => tree.remove());

const build = (section: unknown, resolve: Record<string, unknown> = {}): ReturnType<typeof buildPlugins> =>
  buildPlugins(section, config, { resolve: { cwd: elsewhere, cliDir: cliInstall, install: 'local', argv: [], ...resolve } });

async function callThrough(plugins: Plugin[]): Promise<string> {
  const bridge = createBridge({ servers: { mem: inMemoryTestServer({ tools: ['echo'] }) }, plugins });
  try {
    await bridge.start();
    const result = await bridge.callTool('echo', { text: 'hi' });
    return (result.content[0] as { text: string }).text;
  } finally {
    await bridge.close();
  }
}

describe('third-party plugins in the config', () => {
  it('loads a package, a scoped CommonJS package and a file next to the config, with options, and they act on calls', async () => {
    const { plugins, reports } = await build({
      'mcp-bridge-plugin-suffix': { suffix: ' [pkg]' },
      cache: false,
      cjs: { package: '@acme/mcp-bridge-plugin-cjs', options: { suffix: ' [cjs]', name: 'cjs' } },
      './plugins/local.mjs': { suffix: ' [file]', name: 'file' },
    });
    expect(reports.map((r) => [r.key, r.status, r.path?.slice(realpathSync(tree.root).length)])).toEqual([
      ['mcp-bridge-plugin-suffix', 'loaded', '/project/node_modules/mcp-bridge-plugin-suffix/index.js'],
      ['@acme/mcp-bridge-plugin-cjs', 'loaded', '/project/node_modules/@acme/mcp-bridge-plugin-cjs/lib/main.js'],
      ['./plugins/local.mjs', 'loaded', '/project/plugins/local.mjs'],
    ]);
    // Observe middleware in plugin order: the first one wraps the others, so its suffix comes last.
    expect(await callThrough(plugins)).toBe('hi [file] [cjs] [pkg]');
  });

  it('takes the list form, mixing built-in keys, names, paths and { package, options, export }', async () => {
    const { plugins, reports } = await build([
      'retry',
      './plugins/local.mjs',
      { package: './plugins/two.mjs', export: 'b' },
      { package: 'mcp-bridge-plugin-suffix', options: { suffix: ' [list]', name: 'listed' } },
    ]);
    expect(reports.map((r) => r.key)).toEqual(['retry', './plugins/local.mjs', './plugins/two.mjs', 'mcp-bridge-plugin-suffix']);
    expect(plugins.map((p) => p.name)).toEqual(['@mcp-bridge/retry', 'mcp-bridge-plugin-suffix', 'b', 'listed']);
  });

  it('looks in the config folder, then the working directory, then the CLI install', async () => {
    const { plugins, reports } = await build(['plugin-in-cwd', 'plugin-next-to-cli'].map((p) => ({ package: p, options: { name: p } })));
    expect(reports.map((r) => r.path?.slice(realpathSync(tree.root).length))).toEqual([
      '/elsewhere/node_modules/plugin-in-cwd/i.js',
      '/cli-install/node_modules/plugin-next-to-cli/i.js',
    ]);
    expect(await callThrough(plugins)).toBe('hi [suffix] [suffix]');
  });

  it('a missing package names the file, the entry, where it looked and the install command for how the CLI runs', async () => {
    const error = await build({ 'mcp-bridge-plugin-nope': true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliError);
    const message = (error as CliError).message;
    expect(message).toContain(`${config}: plugins.mcp-bridge-plugin-nope: plugin package "mcp-bridge-plugin-nope" not found`);
    expect(message).toContain(
      `${join(realpathSync(tree.root), 'project')} (config folder), ${elsewhere} (working directory), ${cliInstall} (mcp-bridge install)`,
    );
    expect(message).toContain(`Install it: cd ${join(realpathSync(tree.root), 'project')} && npm i mcp-bridge-plugin-nope`);
    expect(message).toContain('built-in plugins: validation, cache');
    const npx = await build(['@acme/missing/sub'], { install: 'npx', argv: ['serve', '--config', 'gw.json'] }).catch(
      (e: unknown) => (e as Error).message,
    );
    expect(npx).toContain('plugins[0]: plugin package "@acme/missing/sub" not found');
    expect(npx).toContain('Install it: npx -p @acme/missing -p mcp-bridge mcp-bridge serve --config gw.json');
    const global = await build(['x-plugin'], { install: 'global' }).catch((e: unknown) => (e as Error).message);
    expect(global).toContain('Install it: npm i -g x-plugin');
  });

  it.each([
    [{ './plugins/missing.mjs': true }, 'plugins../plugins/missing.mjs: plugin file not found: ', "relative to the config file's folder"],
    [['./plugins/two.mjs'], 'plugins[0]: ./plugins/two.mjs exports several functions (a, b)', '"export": "<name>"'],
    [['./plugins/none.mjs'], 'plugins[0]: ./plugins/none.mjs exports no function', 'export the factory as default'],
    [[{ package: './plugins/two.mjs', export: 'c' }], 'plugins[0]: ./plugins/two.mjs has no exported function "c"', 'exports: a, b'],
    [['./plugins/throws.mjs'], 'plugins[0]: the plugin factory default() of ./plugins/throws.mjs threw: licence key missing', ''],
    [
      ['./plugins/not-plugin.mjs'],
      'plugins[0]: default() of ./plugins/not-plugin.mjs returned an object without a version (name "x"), not a plugin',
      '',
    ],
    [['./plugins/syntax.mjs'], 'plugins[0]: failed to load ', 'syntax.mjs'],
    [['plugin-unbuilt'], 'plugins[0]: package "plugin-unbuilt" points at ', 'does not exist (not built?)'],
    [[42], 'plugins[0]: expected a plugin name, a path or { "package": "...", "options": {...} }', ''],
    [[{ package: 'x', options: 3 }], 'plugins[0].options: expected an options object', ''],
    [{ 'mcp-bridge-plugin-suffix': 'yes' }, 'plugins.mcp-bridge-plugin-suffix: expected an options object, true or false', ''],
  ])('a bad entry is a usage error naming the file and entry: %j', async (section, first, second) => {
    const error = await build(section).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(2);
    expect((error as CliError).message).toContain(`${config}: ${first}`);
    expect((error as CliError).message).toContain(second);
  });

  it('tells npx, global and local installs apart and quotes odd folders', () => {
    expect(cliInstallKind('/home/u/.npm/_npx/1a2b/node_modules/mcp-bridge')).toBe('npx');
    expect(cliInstallKind('/usr/local/lib/node_modules/mcp-bridge')).toBe('global');
    expect(cliInstallKind('/opt/n/lib/node_modules/mcp-bridge', '/opt/n')).toBe('global');
    expect(cliInstallKind('/srv/app/node_modules/mcp-bridge')).toBe('local');
    expect(installHint('p', 'local', '/a b', [])).toBe("cd '/a b' && npm i p");
  });
});

describe('serve --stdio with a third-party plugin from the config', () => {
  it('loads it from the config folder and it acts on a client call', async () => {
    const file = tree.write('project/serve.json', {
      mcpServers: { mem: stdioTestServer({ name: 'mem', tools: ['echo'], resources: false, prompts: false }) },
      plugins: ['validation', { package: 'mcp-bridge-plugin-suffix', options: { suffix: ' [via serve]' } }],
    });
    const { command, args } = cliCommand(['--root', tree.root, 'serve', '--stdio', '--config', file]);
    const transport = new StdioClientTransport({ command, args, cwd: tree.root, env: tree.env(), stderr: 'pipe' });
    let stderr = '';
    transport.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const client = new Client({ name: 'plugin-test', version: '1.0.0' });
    try {
      await client.connect(transport);
      const result = await client.callTool({ name: 'echo', arguments: { text: 'hello' } });
      expect(result.content, stderr).toEqual([{ type: 'text', text: 'hello [via serve]' }]);
      expect(stderr).toContain('mcp-bridge-plugin-suffix');
    } finally {
      await client.close();
    }
  });

  it('a missing plugin stops serve with exit code 2 and the message on stderr', async () => {
    const file = tree.write('project/missing.json', { mcpServers: {}, plugins: ['mcp-bridge-plugin-missing'] });
    const { command, args } = cliCommand(['--root', tree.root, 'serve', '--stdio', '--config', file]);
    const r = await collect(spawn(command, args, { cwd: tree.root, env: tree.env(), stdio: ['pipe', 'pipe', 'pipe'] }), 30_000);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}: plugins[0]: plugin package "mcp-bridge-plugin-missing" not found`);
    expect(r.stderr).toContain(`npm i mcp-bridge-plugin-missing`);
    expect(r.stdout).toBe('');
  });
});
