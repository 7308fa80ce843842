/**
 * The gateway's limits and deadlines as people set them: the `gateway` section of the config file
 * and the `serve` flags (flags over the file), checked against a running `serve --http`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { stdioTestServer } from '@mcp-bridge/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cliCommand, firstLine, runCli, tempTree, type Tree } from './helpers.js';

const marker = `limits-${randomUUID().slice(0, 8)}`;
let tree: Tree;
const children: ChildProcess[] = [];
const clients: Client[] = [];

beforeAll(() => {
  tree = tempTree();
  tree.write('project/.mcp.json', {
    mcpServers: { work: stdioTestServer({ name: `work-${marker}`, tools: ['slow', 'echo'], resources: false, prompts: false }) },
    // From the file: one session per caller; the flag below sets the call deadline.
    gateway: { maxSessionsPerCaller: 1, requestTimeout: 60_000 },
  });
});
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close().catch(() => undefined);
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
});
afterAll(() => tree.remove());

async function connect(url: string): Promise<Client> {
  const client = new Client({ name: 'limits', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  clients.push(client);
  return client;
}

describe('serve: gateway limits from the config file and flags', () => {
  it("applies the config's gateway section, with --request-timeout over it", async () => {
    const { command, args } = cliCommand(['--root', tree.root, 'serve', '--http', '0', '--no-watch', '-q', '--request-timeout', '400']);
    const child = spawn(command, args, { cwd: tree.project, env: tree.env(), stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    const url = await firstLine(child);

    // maxSessionsPerCaller 1 (from the file): a second session from this address ends the first, idle one.
    const first = await connect(url);
    const second = await connect(url);
    await expect(first.listTools()).rejects.toThrow(/404|Session not found/);
    expect((await second.listTools()).tools.map((t) => t.name)).toContain('echo');

    // --request-timeout 400 (over the file's 60 s): a 20 s call ends in well under 20 s.
    const started = Date.now();
    const outcome = await second.callTool({ name: 'slow', arguments: { ms: 20_000 } }).catch((error: unknown) => error);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(JSON.stringify(outcome)).toMatch(/time/i);
  }, 60_000);

  it('a bad gateway section is a usage error naming the file and the field', async () => {
    const file = tree.write('bad.json', { mcpServers: {}, gateway: { maxSessions: 0, maxSesions: 5 } });
    const r = await runCli(tree, ['--config', file, 'serve', '--http', '0', '--no-watch']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`invalid config file ${file}`);
    expect(r.stderr).toMatch(/gateway\.maxSessions: /);
    expect(r.stderr).toMatch(/maxSesions/);
  });

  it('a bad flag value is a usage error naming the flag', async () => {
    const r = await runCli(tree, ['serve', '--http', '0', '--max-sessions-per-caller', 'many']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--max-sessions-per-caller needs a positive whole number, got "many"');
  });
});
