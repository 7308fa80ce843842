import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, request as httpRequest, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { stdioTestServer } from '@mcp-bridge/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cliCommand, runCli, tempTree, type Tree, firstLine } from './helpers.js';

/**
 * `serve --http` as an operator exposes it: beyond loopback only with a token (or an explicit
 * opt-out), `--allowed-host` adding to the names it answers, and no secret from the config reaching
 * an MCP client.
 */

let tree: Tree;
const children: ChildProcess[] = [];
const closers: (() => Promise<unknown>)[] = [];

beforeAll(() => {
  tree = tempTree();
  tree.write('project/.mcp.json', {
    mcpServers: { alpha: stdioTestServer({ name: 'alpha', tools: ['echo'], resources: false, prompts: false }) },
  });
});
afterEach(async () => {
  for (const fn of closers.splice(0).reverse()) await fn().catch(() => undefined);
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});
afterAll(() => tree.remove());

/** Starts `serve` and resolves with its URL (first stdout line) and its stderr so far. */
async function serve(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ url: string; stderr: () => string; child: ChildProcess }> {
  const { command, args: argv } = cliCommand(['--root', tree.root, 'serve', ...args]);
  const child = spawn(command, argv, { cwd: tree.project, env: tree.env(env), stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const url = await firstLine(child, () => stderr);
  return { url, stderr: () => stderr, child };
}

function statusFor(url: string, headers: Record<string, string>): Promise<number> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port: u.port, path: u.pathname, method: 'GET', headers: { accept: 'text/event-stream', ...headers } },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('serve --http beyond loopback', () => {
  it('refuses a non-loopback --host without a token, naming both ways out', async () => {
    const result = await runCli(tree, ['serve', '--http', '0', '--host', '0.0.0.0']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--token');
    expect(result.stderr).toContain('--insecure-no-auth');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('serves with --insecure-no-auth, warns, and still checks the Host header', async () => {
    const { url, stderr } = await serve(['--http', '0', '--host', '0.0.0.0', '--insecure-no-auth', '-q']);
    expect(stderr()).toMatch(/warning: --insecure-no-auth/);
    const port = new URL(url).port;
    expect(await statusFor(url, { host: 'evil.example.com' })).toBe(403);
    // A GET without a session is refused by the MCP layer (400), past the Host check.
    expect(await statusFor(url, { host: `127.0.0.1:${port}` })).toBe(400);
  });

  it('serves a non-loopback --host with a token from MCP_BRIDGE_TOKEN', async () => {
    const { url } = await serve(['--http', '0', '--host', '0.0.0.0', '-q'], { MCP_BRIDGE_TOKEN: 'tok-env' });
    expect(await statusFor(url, { host: `127.0.0.1:${new URL(url).port}` })).toBe(401);
  });

  it('--allowed-host adds to the loopback names instead of replacing them', async () => {
    const { url } = await serve(['--http', '0', '--allowed-host', 'gateway.internal', '-q']);
    const port = new URL(url).port;
    expect(await statusFor(url, { host: `gateway.internal:${port}` })).toBe(400);
    expect(await statusFor(url, { host: `127.0.0.1:${port}` })).toBe(400);
    expect(await statusFor(url, { host: `localhost:${port}` })).toBe(400);
    expect(await statusFor(url, { host: `other.internal:${port}` })).toBe(403);
  });
});

describe('no configured secret reaches an MCP client of serve', () => {
  it('with ${SECRET} in a stdio server args, an HTTP server header and URL query', async () => {
    const SECRET = 'sk-cli-8d7e6f5a4b3c';
    const page: HttpServer = createServer((req, res) => {
      req.resume();
      res.writeHead(502, { 'content-type': 'text/html' }).end(`<pre>bad gateway for ${req.url} (auth ${req.headers.authorization})</pre>`);
    });
    await new Promise<void>((resolve) => page.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise((resolve) => page.close(resolve)));
    const pagePort = (page.address() as AddressInfo).port;
    tree.write('secret/.mcp.json', {
      mcpServers: {
        alpha: stdioTestServer({ name: 'alpha', tools: ['echo'], resources: false, prompts: false }),
        mute: { command: process.execPath, args: ['-e', 'setInterval(() => {}, 1000)', 'token=${SECRET}'] },
        web: { type: 'http', url: `http://127.0.0.1:${pagePort}/mcp?key=\${SECRET}`, headers: { Authorization: 'Bearer ${SECRET}' } },
      },
    });
    const { url, stderr } = await serve(['--config', `${tree.root}/secret/.mcp.json`, '--http', '0', '--timeout', '1500'], { SECRET });
    const client = new Client({ name: 'secret-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(url)));
    closers.push(() => client.close());

    const seen: string[] = [];
    const record = async (what: () => Promise<unknown>): Promise<void> => {
      try {
        seen.push(JSON.stringify(await what()));
      } catch (error) {
        seen.push(`${(error as Error).message} ${JSON.stringify((error as { data?: unknown }).data ?? null)}`);
      }
    };
    await record(() => client.listTools());
    await record(() => client.callTool({ name: 'nope', arguments: {} }));
    // (A call to `mute` would wait out the pool's connect timeout; the library test covers its command line.)
    await record(() => client.callTool({ name: 'web/x', arguments: {} }));
    const everything = seen.join('\n');
    expect(everything).toContain('"web"');
    expect(everything).not.toContain(SECRET);
    expect(everything).not.toContain('setInterval');
    expect(everything).not.toContain('bad gateway for');
    // The operator's log has the details, scrubbed.
    expect(stderr()).not.toContain(SECRET);
  }, 30_000);
});
