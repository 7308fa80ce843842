import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { eventually, processesWith, stdioTestServer } from '@mcp-bridge/testing';
import { brokenServer, cliCommand, collect, tempTree, type CliResult, type Tree, firstLine } from './helpers.js';

const marker = `serve-${randomUUID().slice(0, 8)}`;
let tree: Tree;
const children: ChildProcess[] = [];
const clients: Client[] = [];

beforeAll(() => {
  tree = tempTree();
  tree.write('project/.mcp.json', {
    mcpServers: {
      alpha: stdioTestServer({ name: `alpha-${marker}`, tools: ['echo', 'progress'], resources: false, prompts: false }),
      beta: stdioTestServer({ name: `beta-${marker}`, tools: ['echo'], resources: false, prompts: false }),
      // A dead server: the gateway must serve the others anyway.
      dead: { ...brokenServer(`dead server ${marker}`) },
    },
  });
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

afterAll(() => tree.remove());

describe('serve --http', () => {
  it('answers an SDK client over Streamable HTTP, serves past a dead server, and exits 0 on SIGTERM leaving no process behind', async () => {
    const { command, args } = cliCommand(['--root', tree.root, 'serve', '--http', '0']);
    const child = spawn(command, args, { cwd: tree.project, env: tree.env(), stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const url = await firstLine(child, () => stderr);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    const exited = collect(child, 30_000);

    const client = new Client({ name: 'cli-test', version: '1.0.0' });
    clients.push(client);
    await client.connect(new StreamableHTTPClientTransport(new URL(url)));
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['alpha__echo', 'beta__echo', 'progress']);
    const result = await client.callTool({ name: 'beta__echo', arguments: { text: 'through the gateway' } });
    expect(result.content).toEqual([{ type: 'text', text: 'through the gateway' }]);
    const steps: number[] = [];
    await client.callTool({ name: 'progress', arguments: { steps: 3 } }, undefined, { onprogress: (p) => steps.push(p.progress) });
    expect(steps.length).toBeGreaterThan(0);
    // The default plugins are composed: validation answers a bad call without reaching the server.
    const rejected = await client.callTool({ name: 'beta__echo', arguments: { text: 5 } });
    expect(rejected.isError).toBe(true);
    expect(JSON.stringify(rejected.content)).toContain('/text');
    await client.close();

    // The request log, the plugins' events and the dead server's report are on stderr.
    expect(stderr).toMatch(/plugins: validation, cache, retry/);
    expect(stderr).toMatch(/validation:rejected beta\/echo/);
    expect(stderr).toMatch(/call tools\/call beta\/echo ok \d+ms/);
    expect(stderr).toMatch(/✖ dead: down/);
    expect(processesWith(`alpha-${marker}`).length).toBe(1);

    child.kill('SIGTERM');
    const r: CliResult = await exited;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('stopping (SIGTERM)');
    expect(await eventually(() => processesWith(marker).length === 0, 5_000), `leftover: ${processesWith(marker).join(', ')}`).toBe(true);
  });

  it('composes the plugins in plugins/ from the config and serves the metrics plugin at /metrics', async () => {
    tree.write('metrics/.mcp.json', {
      mcpServers: { solo: stdioTestServer({ name: `solo-${marker}`, tools: ['echo'], resources: false, prompts: false }) },
      plugins: { metrics: true, access: { deny: ['solo/whoami'] } },
    });
    const { command, args } = cliCommand(['--root', tree.root, 'serve', '--http', '0', '--config', '.mcp.json']);
    const child = spawn(command, args, { cwd: `${tree.root}/metrics`, env: tree.env(), stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const url = await firstLine(child, () => stderr);
    const exited = collect(child, 30_000);
    const client = new Client({ name: 'cli-test', version: '1.0.0' });
    clients.push(client);
    await client.connect(new StreamableHTTPClientTransport(new URL(url)));
    await client.callTool({ name: 'echo', arguments: { text: 'counted' } });
    const response = await fetch(new URL('/metrics', url));
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toMatch(/mcp_bridge_calls_total\{[^}]*server="solo"[^}]*tool="echo"[^}]*outcome="ok"[^}]*\} 1/);
    expect(stderr).toMatch(/plugins: metrics, access/);
    expect(stderr).toContain('metrics at http://127.0.0.1:');
    await client.close();
    child.kill('SIGTERM');
    expect((await exited).code).toBe(0);
  });

  it('a bad port is a usage error', async () => {
    const { command, args } = cliCommand(['--root', tree.root, 'serve', '--http', 'eighty']);
    const r = await collect(spawn(command, args, { cwd: tree.project, env: tree.env(), stdio: ['ignore', 'pipe', 'pipe'] }), 30_000);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--http needs a port number');
  });
});

describe('serve --stdio', () => {
  it('speaks only MCP on stdout to an SDK stdio client and exits when stdin ends', async () => {
    const { command, args } = cliCommand(['--root', tree.root, 'serve', '--stdio']);
    const transport = new StdioClientTransport({ command, args, cwd: tree.project, env: tree.env(), stderr: 'pipe' });
    let stderr = '';
    transport.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const errors: Error[] = [];
    const client = new Client({ name: 'cli-test', version: '1.0.0' });
    client.onerror = (e) => errors.push(e);
    clients.push(client);
    await client.connect(transport);
    const pid = transport.pid!;
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['alpha__echo', 'beta__echo', 'progress']);
    const result = await client.callTool({ name: 'alpha__echo', arguments: { text: 'over stdio' } });
    expect(result.content).toEqual([{ type: 'text', text: 'over stdio' }]);
    // Anything but protocol on stdout would have surfaced as a parse error here.
    expect(errors).toEqual([]);
    expect(stderr).toContain('serving over stdio');

    await client.close();
    expect(await eventually(() => !isAlive(pid), 10_000), 'the gateway outlived its stdin').toBe(true);
    expect(await eventually(() => processesWith(marker).length === 0, 5_000), `leftover: ${processesWith(marker).join(', ')}`).toBe(true);
  });
});

function isAlive(pid: number): boolean {
  try {
    // A zombie has exited; only its parent's bookkeeping is left.
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
