import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { discover, formatDiscoveryIssue, interpolateString, redactConfig, scrubSecrets } from '../src/index.js';
import { cmd, useTree } from './helpers.js';

const tree = useTree();
const SECRET = 'sekret-Zq81-do-not-print';

function lineIn(file: string, needle: string): number {
  return (
    readFileSync(file, 'utf8')
      .split('\n')
      .findIndex((line) => line.includes(needle)) + 1
  );
}

describe('interpolation', () => {
  it('scrubSecrets hides every interpolated value in free text, such as an error quoting a command line', async () => {
    const t = tree();
    const other = 'another-Secret-77x';
    t.write(join(t.app, '.mcp.json'), {
      mcpServers: { a: { command: 'srv', args: ['--key', '${KEY}'] }, b: { url: 'https://h/mcp?k=${OTHER}' } },
    });
    await discover(t.options({ env: { KEY: SECRET, OTHER: other } }));
    const text = `MCP server "a": could not connect (stdio: srv --key ${SECRET}); b: fetch https://h/mcp?k=${other} failed`;
    expect(scrubSecrets(text)).toBe('MCP server "a": could not connect (stdio: srv --key ***); b: fetch https://h/mcp?k=*** failed');
    expect(scrubSecrets('nothing to hide')).toBe('nothing to hide');
  });

  it('fills ${VAR}, ${VAR:-default}, ${env:VAR} and builtins in command, args, env, url, headers and cwd', async () => {
    const t = tree();
    t.write(join(t.app, '.mcp.json'), {
      mcpServers: {
        local: {
          command: '${NODE_BIN:-node}',
          args: ['--token=${env:API_TOKEN}', '${MODE:-dev}', '${EMPTY:-fallback}', '${EMPTY}', 'plain $HOME text'],
          env: { TOKEN: '${API_TOKEN}', HOME_DIR: '${userHome}' },
          cwd: '${workspaceFolder}/srv',
        },
        remote: {
          url: 'https://${API_HOST}/mcp',
          headers: { Authorization: 'Bearer ${API_TOKEN}', 'X-Region': '${REGION:-eu}' },
          tags: ['${NOT_INTERPOLATED}'],
        },
      },
    });
    const env = { API_TOKEN: SECRET, API_HOST: 'api.example.com', MODE: 'prod', EMPTY: '' };
    const result = await discover(t.options({ env }));
    expect(result.issues).toEqual([]);
    const [local, remote] = result.servers;
    expect(local?.config).toEqual({
      command: 'node',
      args: [`--token=${SECRET}`, 'prod', 'fallback', '', 'plain $HOME text'],
      env: { TOKEN: SECRET, HOME_DIR: t.home },
      cwd: `${t.app}/srv`,
    });
    expect(remote?.config).toEqual({
      url: 'https://api.example.com/mcp',
      headers: { Authorization: `Bearer ${SECRET}`, 'X-Region': 'eu' },
      tags: ['${NOT_INTERPOLATED}'],
    });

    // Shown redacted: env and header values, secret flags, and every interpolated secret wherever it went.
    const shown = JSON.stringify(result.servers.map((s) => redactConfig(s.config)));
    expect(shown).not.toContain(SECRET);
    expect(redactConfig(local!.config)).toEqual({
      command: 'node',
      // Any value from the environment is hidden ('prod' too); defaults and builtins are in the file, so they show.
      args: ['--token=***', '***', 'fallback', '', 'plain $HOME text'],
      env: { TOKEN: '***', HOME_DIR: '***' },
      cwd: `${t.app}/srv`,
    });
    expect(redactConfig(remote!.config)['headers']).toEqual({ Authorization: '***', 'X-Region': '***' });
    expect(redactConfig(remote!.config)['url']).toBe('https://***/mcp');
    // The original config is untouched by redaction.
    expect(local!.config['env']).toEqual({ TOKEN: SECRET, HOME_DIR: t.home });
  });

  it("fills a stdio sandbox's read, write and env, so its paths can sit next to the config", async () => {
    const t = tree();
    t.write(join(t.app, '.mcp.json'), {
      mcpServers: {
        files: {
          command: 'node',
          args: ['server.js'],
          sandbox: { read: ['${workspaceFolder}/data'], write: ['${SCRATCH:-/tmp}'], env: { HOME: '${workspaceFolder}' }, network: false },
        },
      },
    });
    const result = await discover(t.options({ env: {} }));
    expect(result.issues).toEqual([]);
    expect(result.servers[0]?.config['sandbox']).toEqual({
      read: [`${t.app}/data`],
      write: ['/tmp'],
      env: { HOME: t.app },
      network: false,
    });
  });

  it('reports a missing variable naming server, field and file; that server is skipped, the others load', async () => {
    const t = tree();
    const file = t.write(join(t.app, '.mcp.json'), {
      mcpServers: {
        github: { command: 'npx', args: ['-y', 'server-github'], env: { GITHUB_TOKEN: '${GITHUB_TOKEN}' } },
        remote: { url: 'https://x.example/mcp', headers: { 'x-api-key': '${env:X_KEY}' } },
        fine: cmd('fine', { env: { A: '${A}' } }),
      },
    });
    const result = await discover(t.options({ env: { A: 'a' } }));
    expect(result.servers.map((s) => s.name)).toEqual(['fine']);
    expect(result.skipped.map((s) => [s.name, s.reason])).toEqual([
      ['github', 'invalid'],
      ['remote', 'invalid'],
    ]);
    expect(result.issues).toEqual([
      {
        file,
        line: lineIn(file, '"GITHUB_TOKEN"'),
        server: 'github',
        field: 'env.GITHUB_TOKEN',
        message: 'environment variable GITHUB_TOKEN is not set (write ${GITHUB_TOKEN:-default} to give a default)',
      },
      {
        file,
        line: lineIn(file, '"x-api-key"'),
        server: 'remote',
        field: 'headers["x-api-key"]',
        message: expect.stringContaining('X_KEY is not set'),
      },
    ]);
    expect(formatDiscoveryIssue(result.issues[0]!)).toBe(
      `${file}:${lineIn(file, '"GITHUB_TOKEN"')}: server "github": env.GITHUB_TOKEN: environment variable GITHUB_TOKEN is not set (write \${GITHUB_TOKEN:-default} to give a default)`,
    );
  });

  it('never puts an interpolated value in a message, even when the value itself is what is wrong', async () => {
    const t = tree();
    t.write(join(t.app, '.mcp.json'), {
      mcpServers: {
        badUrl: { url: '${SERVICE_URL}' },
        badScheme: { url: 'ftp://${SECRET_HOST}/x' },
        conflicting: { url: 'https://x.example/mcp', bearerToken: '${TOKEN}', headers: { Authorization: 'Bearer ${TOKEN}' } },
        unsupported: { command: 'node', args: ['${command:pick}'] },
        vs: { command: 'node', env: { KEY: '${input:missing-key}' } },
      },
    });
    const result = await discover(t.options({ env: { SERVICE_URL: `not a url ${SECRET}`, SECRET_HOST: SECRET, TOKEN: SECRET } }));
    expect(result.servers).toEqual([]);
    const messages = result.issues.map((i) => [i.server, i.field, i.message]);
    expect(messages).toEqual([
      ['badUrl', 'url', "invalid URL '***'"],
      ['badScheme', 'url', "unsupported URL scheme 'ftp:' in 'ftp://***/x' (expected http: or https:)"],
      ['conflicting', 'bearerToken', 'set either bearerToken or headers.Authorization, not both'],
      ['unsupported', 'args[0]', 'unsupported placeholder ${command:pick}'],
      ['vs', 'env.KEY', 'input "missing-key" has no value (pass it in the inputs option)'],
    ]);
    expect(JSON.stringify(result)).not.toContain(SECRET);
  });

  it("reads VS Code's envFile under the entry's env, and reports one that is missing", async () => {
    const t = tree();
    t.write(join(t.app, '.env'), `# comment\nexport FROM_FILE=${SECRET}\nQUOTED="a b"\nSHARED=file # trailing comment\n`);
    const file = t.write(join(t.app, '.vscode', 'mcp.json'), {
      servers: {
        withEnv: { command: 'node', envFile: '${workspaceFolder}/.env', env: { SHARED: 'own' } },
        relative: { command: 'node', envFile: '.env' },
        missing: { command: 'node', envFile: '${workspaceFolder}/nope.env' },
      },
    });
    const result = await discover(t.options());
    expect(result.servers.map((s) => [s.name, s.config['env']])).toEqual([
      ['withEnv', { FROM_FILE: SECRET, QUOTED: 'a b', SHARED: 'own' }],
      ['relative', { FROM_FILE: SECRET, QUOTED: 'a b', SHARED: 'file' }],
    ]);
    expect(result.issues).toEqual([
      {
        file,
        line: lineIn(file, 'nope.env'),
        server: 'missing',
        field: 'envFile',
        message: `cannot read env file ${join(t.app, 'nope.env')}: ENOENT`,
      },
    ]);
    expect(JSON.stringify(result.servers.map((s) => redactConfig(s.config)))).not.toContain(SECRET);
  });

  it('hides interpolated values only in the fields they went into, and short values only when whole', async () => {
    const t = tree();
    t.write(join(t.app, '.mcp.json'), {
      mcpServers: { s: { command: 'node', args: ['--mode=${MODE}', '${N}', '--level=${N}', 'prod-notes.txt'], cwd: '/srv/production' } },
    });
    const result = await discover(t.options({ env: { MODE: 'prod', N: '1' } }));
    expect(redactConfig(result.servers[0]!.config)).toEqual({
      command: 'node',
      args: ['--mode=***', '***', '--level=1', 'prod-notes.txt'],
      cwd: '/srv/production',
    });
  });

  it('redacts configs that did not come from discovery by their shape', () => {
    expect(
      redactConfig({
        command: 'server',
        args: ['--api-key', 'abc', '--password=hunter2', '--verbose', 'ok'],
        env: { PATH: '/bin' },
        bearerToken: 'tok',
        url: 'https://user:pw@example.com/mcp?token=t1&page=2',
        clientSecret: 'cs',
        nested: { apiKey: 'nk', name: 'kept' },
        replicas: ['https://a.example/mcp?key=k1', { url: 'https://b.example/mcp', headers: { 'x-key': 'k2' } }],
      }),
    ).toEqual({
      command: 'server',
      args: ['--api-key', '***', '--password=***', '--verbose', 'ok'],
      env: { PATH: '***' },
      bearerToken: '***',
      url: 'https://user:***@example.com/mcp?token=***&page=2',
      clientSecret: '***',
      nested: { apiKey: '***', name: 'kept' },
      replicas: ['https://a.example/mcp?key=***', { url: 'https://b.example/mcp', headers: { 'x-key': '***' } }],
    });
  });

  it('interpolateString resolves and reports without throwing', () => {
    const ctx = { env: { A: '1' }, inputs: { id: 'v' }, workspaceFolder: '/w/app', home: '/h' };
    expect(interpolateString('${A}-${B:-2}-${input:id}-${workspaceFolderBasename}-${/}', ctx)).toEqual({
      value: '1-2-v-app-/',
      secrets: ['1', 'v'],
      problems: [],
    });
    expect(interpolateString('${B}', ctx)).toMatchObject({ value: '${B}', problems: [expect.stringContaining('B is not set')] });
  });
});
