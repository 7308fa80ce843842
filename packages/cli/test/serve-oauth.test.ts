/**
 * `serve` as an OAuth 2.1 resource server, as people set it up: `--oauth-issuer`/`--oauth-audience`/
 * `--oauth-scope`, or the config file's `gateway.auth`; against a real authorization server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { stdioTestServer } from '@mcp-bridge/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startAuthServer, type TestAuthServer } from '../../../test/support/oauth-server.js';
import { cliCommand, firstLine, runCli, tempTree, type Tree } from './helpers.js';

const marker = `oauth-${randomUUID().slice(0, 8)}`;
let tree: Tree;
let as: TestAuthServer;
const children: ChildProcess[] = [];
const clients: Client[] = [];

beforeAll(async () => {
  as = await startAuthServer();
  tree = tempTree();
  tree.write('project/.mcp.json', {
    mcpServers: { work: stdioTestServer({ name: `work-${marker}`, tools: ['echo'], resources: false, prompts: false }) },
  });
});
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close().catch(() => undefined);
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
});
afterAll(async () => {
  tree.remove();
  await as?.close();
});

async function serve(globals: string[], flags: string[] = []): Promise<string> {
  const { command, args: full } = cliCommand(['--root', tree.root, ...globals, 'serve', '--http', '0', '--no-watch', '-q', ...flags]);
  const child = spawn(command, full, { cwd: tree.project, env: tree.env(), stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return firstLine(child);
}

async function connect(url: string, token: string): Promise<Client> {
  const client = new Client({ name: 'oauth', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  clients.push(client);
  return client;
}

const initialize = (url: string, token?: string): Promise<Response> =>
  fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    }),
  });

describe('serve: OAuth resource server', () => {
  it('--oauth-issuer/--oauth-audience/--oauth-scope: 401 with the metadata challenge, a valid token gets in', async () => {
    const oauthUrl = await serve([], ['--oauth-issuer', as.issuer, '--oauth-audience', 'https://gw.test/mcp', '--oauth-scope', 'mcp']);
    const refused = await initialize(oauthUrl);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toBe(
      'Bearer realm="mcp-bridge", resource_metadata="https://gw.test/.well-known/oauth-protected-resource/mcp", scope="mcp"',
    );
    const wrongAudience = await initialize(oauthUrl, await as.token({ sub: 'alice', aud: oauthUrl, scope: 'mcp' }));
    expect(wrongAudience.status).toBe(401);
    const client = await connect(oauthUrl, await as.token({ sub: 'alice', aud: 'https://gw.test/mcp', scope: 'mcp' }));
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('echo');
  }, 60_000);

  it("the config's gateway.auth: tokens for the gateway's own URL get in", async () => {
    const file = tree.write('project/oauth.json', {
      mcpServers: { work: stdioTestServer({ name: `work2-${marker}`, tools: ['echo'], resources: false, prompts: false }) },
      gateway: { auth: { jwt: { issuer: as.issuer } } },
    });
    const url = await serve(['--config', file]);
    expect((await initialize(url)).status).toBe(401);
    const client = await connect(url, await as.token({ sub: 'bob', aud: url }));
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('echo');
  }, 60_000);

  it("a non-loopback --host counts the config's gateway.auth as auth (no --insecure-no-auth needed)", async () => {
    const file = tree.write('project/oauth-wide.json', {
      mcpServers: { work: stdioTestServer({ name: `work3-${marker}`, tools: ['echo'], resources: false, prompts: false }) },
      gateway: { auth: { jwt: { issuer: as.issuer } } },
    });
    const url = await serve(['--config', file], ['--host', '0.0.0.0']);
    expect((await initialize(url)).status).toBe(401);
  }, 60_000);

  it('bad OAuth settings are usage errors naming the field or flag', async () => {
    const file = tree.write('bad-oauth.json', { mcpServers: {}, gateway: { auth: { jwt: { issuer: 'http://issuer.example' } } } });
    const bad = await runCli(tree, ['--config', file, 'serve', '--http', '0', '--no-watch']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/gateway\.auth\.jwt\.issuer: must be an https URL/);
    const lonely = await runCli(tree, ['serve', '--http', '0', '--oauth-audience', 'https://gw.test/mcp']);
    expect(lonely.code).toBe(2);
    expect(lonely.stderr).toContain('--oauth-audience and --oauth-scope need --oauth-issuer');
  });
});
