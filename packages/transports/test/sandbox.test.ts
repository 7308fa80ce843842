import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect, parseServerConfig, type Connection, type StdioServerConfig } from '@mcp-bridge/transports';
import { BWRAP_VARIABLE, sandboxSupport } from '@mcp-bridge/transports/stdio';
import { rejection, textOf } from './helpers/fixture-server.js';
import { isRunning, killQuietly, runningDescendants, waitFor } from './helpers/processes.js';

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const filesystemServer = createRequire(import.meta.url).resolve('@modelcontextprotocol/server-filesystem/dist/index.js');

const support = sandboxSupport();
const CI = process.env['CI'] === 'true';
if (!support.ok && !CI) {
  console.warn(`\n*** SKIPPING the sandbox tests: ${support.reason} ***\n*** (install bubblewrap; under CI=true they fail instead) ***\n`);
}
/** Needs bwrap: runs where it works, fails under CI=true where it does not, skips (loudly, above) elsewhere. */
const withBwrap = support.ok || CI ? describe : describe.skip;

function probe(sandbox: StdioServerConfig['sandbox'], env?: Record<string, string>): StdioServerConfig {
  return { command: process.execPath, args: [fixture('sandbox-probe-server.mjs')], sandbox, ...(env ? { env } : {}) };
}

async function call(connection: Connection, name: string, args: Record<string, unknown> = {}): Promise<string> {
  return textOf(await connection.client.callTool({ name, arguments: args }));
}

describe('sandbox config', () => {
  it('names the field of every bad sandbox option', () => {
    const result = parseServerConfig('fs', { command: 'x', sandbox: { netwrk: true, read: ['rel'], memoryMb: 0, network: 'no' } });
    expect(result.ok).toBe(false);
    const issues = result.ok ? [] : result.issues.map((i) => `${i.path}: ${i.message}`);
    expect(issues).toEqual(
      expect.arrayContaining([
        "sandbox.read[0]: must be an absolute path, got 'rel'",
        'sandbox.memoryMb: must be at least 1',
        'sandbox.network: expected boolean, got string',
        expect.stringMatching(/^sandbox: unknown field 'netwrk' \(known: network, read, write/),
      ]),
    );
  });

  it('does not start a server whose sandbox cannot be had, and says why', async () => {
    const before = process.env[BWRAP_VARIABLE];
    process.env[BWRAP_VARIABLE] = '/nonexistent/bwrap';
    try {
      const marker = join(mkdtempSync(join(tmpdir(), 'sandbox-none-')), 'started');
      const error = await rejection(connect('boxed', probe({}, { FIXTURE_PID_FILE: marker })));
      expect(error.message).toMatch(/^MCP server "boxed": not started: sandbox unavailable: bubblewrap not found at \/nonexistent\/bwrap/);
      expect(error.message).toContain('never run unsandboxed');
      // The server never ran, sandboxed or not: no child was spawned, no pid file written.
      expect(process.getActiveResourcesInfo().filter((name) => name === 'ProcessWrap')).toEqual([]);
      expect(existsSync(marker)).toBe(false);
    } finally {
      if (before === undefined) delete process.env[BWRAP_VARIABLE];
      else process.env[BWRAP_VARIABLE] = before;
    }
  });
});

withBwrap('sandboxed stdio servers (bubblewrap)', () => {
  const connections: Connection[] = [];
  let scratch: string;
  let listener: Server;
  let port: number;

  beforeAll(async () => {
    if (CI) expect(support, 'CI=true needs bubblewrap for the sandbox tests').toMatchObject({ ok: true });
    scratch = mkdtempSync(join(tmpdir(), 'sandbox-test-'));
    listener = createServer((socket) => socket.end());
    listener.listen(0, '127.0.0.1');
    await once(listener, 'listening');
    port = (listener.address() as { port: number }).port;
  });
  afterAll(async () => {
    listener.close();
    rmSync(scratch, { recursive: true, force: true });
  });
  afterEach(async () => {
    await Promise.all(connections.splice(0).map((c) => c.close()));
  });

  async function open(name: string, config: StdioServerConfig): Promise<Connection> {
    const connection = await connect(name, config);
    connections.push(connection);
    return connection;
  }

  it('server-filesystem with read: [dirA] cannot read outside dirA, though its own allowed directory is the outer one', async () => {
    const outer = join(scratch, 'outer');
    const dirA = join(outer, 'dirA');
    mkdirSync(dirA, { recursive: true });
    writeFileSync(join(dirA, 'inside.txt'), 'inside');
    writeFileSync(join(outer, 'secret.txt'), 'secret');
    const base: StdioServerConfig = { command: process.execPath, args: [filesystemServer, outer] };
    const read = (c: Connection, path: string) => c.client.callTool({ name: 'read_text_file', arguments: { path } });

    // Control: unsandboxed, the server's own root lets it read the secret.
    const open_ = await open('fs-open', base);
    expect(textOf(await read(open_, join(outer, 'secret.txt')))).toBe('secret');

    const boxed = await open('fs-boxed', { ...base, sandbox: { read: [dirA] } });
    expect(textOf(await read(boxed, join(dirA, 'inside.txt')))).toBe('inside');
    const denied = await read(boxed, join(outer, 'secret.txt'));
    expect(denied.isError).toBe(true);
    expect(textOf(denied)).toMatch(/ENOENT/);
    // write: [dirB] is writable, and only it.
    const dirB = join(scratch, 'dirB');
    mkdirSync(dirB);
    const writer = await open('fs-writer', { ...base, args: [filesystemServer, outer, dirB], sandbox: { read: [dirA], write: [dirB] } });
    const wrote = await writer.client.callTool({ name: 'write_file', arguments: { path: join(dirB, 'out.txt'), content: 'written' } });
    expect(wrote.isError, textOf(wrote)).toBeFalsy();
    expect(readFileSync(join(dirB, 'out.txt'), 'utf8')).toBe('written');
    // Read-only: not even the listed directory can be written.
    const write = await boxed.client.callTool({ name: 'write_file', arguments: { path: join(dirA, 'new.txt'), content: 'x' } });
    expect(write.isError).toBe(true);
    expect(textOf(write)).toMatch(/EROFS|read-only/i);
  });

  it('network: false cannot reach 127.0.0.1:6379 nor any port of the host; network: true can', async () => {
    const open_ = await open('net-on', probe({ network: true }));
    expect(await call(open_, 'tcp_connect', { host: '127.0.0.1', port })).toBe('connected');

    const boxed = await open('net-off', probe({}));
    expect(await call(boxed, 'tcp_connect', { host: '127.0.0.1', port })).not.toBe('connected');
    expect(await call(boxed, 'tcp_connect', { host: '127.0.0.1', port: 6379 })).toMatch(/^(ECONNREFUSED|ENETUNREACH|ETIMEDOUT)$/);
    expect(await call(boxed, 'read_file', { path: '/etc/resolv.conf' })).toBe('error: ENOENT');
  });

  it('does not start a server whose read or write path does not exist', async () => {
    const missing = join(scratch, 'missing');
    const error = await rejection(connect('typo', probe({ read: [scratch], write: [missing] })));
    expect(error.message).toBe(
      `MCP server "typo": not started: sandbox unavailable: sandbox.write[0]: not found: ${missing} (never run unsandboxed; remove "sandbox" from its config to run it without one)`,
    );
  });

  it('gives a private /tmp and a read-only system, and keeps the stderr ring', async () => {
    writeFileSync(join(scratch, 'host-file'), 'host');
    const boxed = await open('view', probe({}));
    expect(await call(boxed, 'read_file', { path: join(scratch, 'host-file') })).toBe('error: ENOENT');
    expect(await call(boxed, 'read_file', { path: '/etc/shadow' })).toBe('error: ENOENT');
    expect(boxed.stderrTail?.()).toContain('probe ready in /tmp');
  });

  it('a memory hog dies at its memoryMb limit, and the connection says how', async () => {
    const boxed = await open('hog', probe({ memoryMb: 256 }));
    const error = await rejection(call(boxed, 'hog'));
    expect(error.message).toMatch(/closed|not connected/i);
    await boxed.closed;
    expect(boxed.endReason?.()).toMatch(
      /^process \d+ \(sandboxed; limits: memoryMb 256\) (died of SIG[A-Z]+ inside the sandbox|exited with code \d+)$/,
    );
  }, 30_000);

  it('a server spinning past cpuSeconds is killed, and the connection says how', async () => {
    const boxed = await open('spin', probe({ cpuSeconds: 1 }));
    await rejection(call(boxed, 'spin'));
    await boxed.closed;
    expect(boxed.endReason?.()).toMatch(/^process \d+ \(sandboxed; limits: cpuSeconds 1\) died of SIG(KILL|XCPU) inside the sandbox$/);
  }, 30_000);

  it('close() ends the whole sandbox, also when the server ignores stdin EOF and SIGTERM', async () => {
    for (const env of [undefined, { FIXTURE_IGNORE_EOF: '1' }]) {
      const connection = await connect('stop', { ...probe({}, env), shutdownGraceMs: 300 });
      const bwrap = connection.pid!;
      const inside = runningDescendants(bwrap);
      expect(inside.length, 'bwrap (pid 1 of the sandbox) and the server').toBeGreaterThanOrEqual(2);
      await connection.close();
      expect(isRunning(bwrap)).toBe(false);
      expect(inside.filter(isRunning), 'processes left').toEqual([]);
    }
  });

  it('SIGKILL of the host ends the sandboxed server though it ignores stdin EOF and SIGTERM (--die-with-parent)', async () => {
    const host = spawn(
      process.execPath,
      ['--conditions=@mcp-bridge/source', '--import', 'tsx', fixture('sandbox-host.mjs'), fixture('sandbox-probe-server.mjs')],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const [line] = (await once(host.stdout.setEncoding('utf8'), 'data')) as [string];
    const { pid, reaper } = JSON.parse(line) as { pid: number; reaper: number };
    const inside = runningDescendants(pid);
    try {
      expect(inside.length).toBeGreaterThanOrEqual(2);
      // No reaper: only the kernel (bwrap's parent-death signal) is left to end the sandbox.
      process.kill(reaper, 'SIGKILL');
      expect(await waitFor(() => !isRunning(reaper), 2_000)).toBe(true);
      host.kill('SIGKILL');
      await once(host, 'exit');
      expect(
        await waitFor(() => !isRunning(pid) && inside.every((p) => !isRunning(p)), 5_000),
        `left: ${inside.filter(isRunning).join(', ')}`,
      ).toBe(true);
    } finally {
      for (const p of [pid, ...inside]) killQuietly(p, false);
      host.kill('SIGKILL');
    }
  }, 15_000);
});
