import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterEach, describe, expect, it } from 'vitest';
import { stdioTestServer } from '../src/index.js';
import { exerciseDefaultServer, ledgerResource, newClient, textOf, until } from './support.js';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const spawned: number[] = [];
const clients: Client[] = [];
afterEach(async () => {
  await Promise.allSettled(clients.splice(0).map((c) => c.close()));
  // Nothing may outlive a test: every child seen must be gone.
  for (const pid of spawned.splice(0)) {
    await until(() => !isAlive(pid), 5000).catch(() => {
      process.kill(pid, 'SIGKILL');
      throw new Error(`stdio test server ${pid} outlived its test`);
    });
  }
});

async function connectChild(options: Parameters<typeof stdioTestServer>[0], cwd?: string) {
  const { command, args } = stdioTestServer(options);
  const transport = new StdioClientTransport({ command, args, stderr: 'pipe', ...(cwd ? { cwd } : {}) });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const client = newClient();
  clients.push(client);
  await client.connect(transport);
  const pid = transport.pid;
  if (pid === null) throw new Error('no pid');
  spawned.push(pid);
  return { client, pid, stderr: () => stderr };
}

describe('stdioTestServer', () => {
  it('runs the source entry through tsx when there is no build next to the module', () => {
    const { command, args } = stdioTestServer({ name: 'x' });
    expect(command).toBe(process.execPath);
    expect(args[0]).toBe('--import');
    expect(args[1]).toMatch(/^file:\/\/.*tsx/);
    expect(args[2]).toMatch(/src[/\\]bin[/\\]stdio-server\.ts$/);
    expect(args.slice(3)).toEqual(['--options', '{"name":"x"}']);
  });

  it('serves every tool, resource and prompt from a real child process', async () => {
    const { client, pid, stderr } = await connectChild({ name: 'child' });
    expect(pid).not.toBe(process.pid);
    const who = JSON.parse(textOf(await client.callTool({ name: 'whoami', arguments: {} }))) as { pid: number };
    expect(who.pid).toBe(pid);
    await exerciseDefaultServer(client, ledgerResource(client, 'child'), 'child');
    await client.close();
    await until(() => !isAlive(pid));
    expect(stderr()).toBe('');
  });

  it('works from any cwd and passes options through', async () => {
    const { client, pid } = await connectChild({ name: 'elsewhere', toolPrefix: 'p_', tools: ['echo'] }, tmpdir());
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['p_echo']);
    await client.close();
    await until(() => !isAlive(pid));
  });

  it('exits when stdin closes, even with a call still running', async () => {
    const { command, args } = stdioTestServer();
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    if (child.pid === undefined) throw new Error('spawn failed');
    spawned.push(child.pid);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const send = (message: object): void => {
      child.stdin.write(`${JSON.stringify(message)}\n`);
    };
    send({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '0' } },
    });
    await until(() => out.includes('"id":1'));
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'slow', arguments: { ms: 60_000 } } });
    send({ jsonrpc: '2.0', id: 3, method: 'resources/read', params: { uri: 'test://test-server/ledger' } });
    await until(() => out.includes('"id":3'));
    const started = Date.now();
    child.stdin.end();
    expect(await exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('rejects bad options: eagerly in the parent, with exit code 2 in the child', async () => {
    expect(() => stdioTestServer({ nope: true } as never)).toThrow(/nope/);
    expect(() => stdioTestServer({ ledger: {} } as never)).toThrow(/ledger/);
    const { command, args } = stdioTestServer();
    const child = spawn(command, [...args.slice(0, -1), '{"tools":"all"}'], { stdio: ['pipe', 'ignore', 'pipe'] });
    if (child.pid !== undefined) spawned.push(child.pid);
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(stderr).toMatch(/invalid test server options: tools/);
  });
});
