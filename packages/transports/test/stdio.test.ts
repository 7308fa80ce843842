import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect, type Connection, type StdioServerConfig } from '@mcp-bridge/transports';
import { StdioTransport } from '@mcp-bridge/transports/stdio';
import { leakSnapshot } from './helpers/leaks.js';
import { rejection, textOf } from './helpers/fixture-server.js';
import { groupExists, isRunning, killQuietly, processGroupOf, runningGroupMembers, waitFor } from './helpers/processes.js';

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const node = process.execPath;

/** A stdio config running a fixture with this very node binary. */
function server(name: string, extra: Partial<StdioServerConfig> = {}): StdioServerConfig {
  return { command: node, args: [fixture(name)], ...extra };
}

interface Whoami {
  pid: number;
  ppid: number;
  cwd: string;
  env: Record<string, string>;
}

async function whoami(connection: Connection): Promise<Whoami> {
  return JSON.parse(textOf(await connection.client.callTool({ name: 'whoami', arguments: {} }))) as Whoami;
}

/** Process handles this worker holds (child processes show up as ProcessWrap). */
function processHandles(): number {
  return process.getActiveResourcesInfo().filter((name) => name === 'ProcessWrap').length;
}

describe('stdio', () => {
  const connections: Connection[] = [];
  const pids: number[] = [];
  let scratch: string;
  let checkLeaks: () => Promise<void>;

  beforeEach(() => {
    scratch = mkdtempSync(join(tmpdir(), 'mcp-bridge-transports-'));
    checkLeaks = leakSnapshot();
  });

  afterEach(async () => {
    await Promise.all(connections.splice(0).map((connection) => connection.close()));
    for (const pid of pids.splice(0)) killQuietly(pid);
    rmSync(scratch, { recursive: true, force: true });
    await checkLeaks();
  });

  async function open(name: string, config: StdioServerConfig, options = {}): Promise<Connection> {
    const connection = await connect(name, config, options);
    connections.push(connection);
    if (connection.pid !== undefined) pids.push(connection.pid);
    return connection;
  }

  it('calls a tool on a real child process and exposes its pid', async () => {
    const connection = await open('echo', server('echo-server.mjs'));
    expect(connection.kind).toBe('stdio');
    expect(connection.server).toBe('echo');
    const result = await connection.client.callTool({ name: 'echo', arguments: { text: 'hello' } });
    expect(textOf(result)).toBe('hello');
    const me = await whoami(connection);
    expect(me.pid).toBe(connection.pid);
    // Its own process group: the child leads it.
    expect(processGroupOf(me.pid)).toBe(me.pid);
    expect(processGroupOf(me.pid)).not.toBe(processGroupOf(process.pid));
  });

  it('applies env over the safe default environment, and cwd', async () => {
    process.env['MCP_BRIDGE_TEST_SECRET'] = 'must-not-leak';
    try {
      const connection = await open('env', server('echo-server.mjs', { env: { FIXTURE_GREETING: 'hi' }, cwd: scratch }));
      const me = await whoami(connection);
      expect(me.env['FIXTURE_GREETING']).toBe('hi');
      expect(me.env['PATH']).toBe(process.env['PATH']);
      expect(me.env['MCP_BRIDGE_TEST_SECRET']).toBeUndefined();
      expect(me.cwd).toBe(scratch);
    } finally {
      delete process.env['MCP_BRIDGE_TEST_SECRET'];
    }
  });

  it('close() ends stdin and the process exits promptly; the group is gone; close is idempotent', async () => {
    const connection = await open('echo', server('echo-server.mjs'));
    const pid = connection.pid!;
    const started = Date.now();
    const first = connection.close();
    const second = connection.close();
    await Promise.all([first, second]);
    expect(Date.now() - started).toBeLessThan(1_900); // exited on EOF, no signal needed
    expect(isRunning(pid)).toBe(false);
    expect(groupExists(pid)).toBe(false);
    await connection.closed;
    await connection.close();
  });

  it('ends grandchildren started through a sh -c wrapper (the npx pattern)', async () => {
    const wrapper: StdioServerConfig = { command: 'sh', args: ['-c', `"${node}" "${fixture('echo-server.mjs')}"; exit $?`] };
    const connection = await open('wrapped', wrapper);
    const me = await whoami(connection);
    // The real server is a grandchild: its parent is the sh the transport spawned.
    expect(me.pid).not.toBe(connection.pid);
    expect(me.ppid).toBe(connection.pid);
    expect(processGroupOf(me.pid)).toBe(connection.pid);
    await connection.close();
    expect(isRunning(me.pid)).toBe(false);
    expect(isRunning(connection.pid!)).toBe(false);
    expect(runningGroupMembers(connection.pid!)).toEqual([]);
    // Shut down in order (server on EOF, then sh), so nothing was orphaned and the group is truly empty.
    expect(groupExists(connection.pid!)).toBe(false);
  });

  it('kills the grandchild when the wrapper is killed from outside, and closed resolves', async () => {
    const wrapper: StdioServerConfig = {
      command: 'sh',
      args: ['-c', `"${node}" "${fixture('echo-server.mjs')}"; exit $?`],
      shutdownGraceMs: 300,
    };
    const connection = await open('wrapped', wrapper);
    const me = await whoami(connection);
    process.kill(connection.pid!, 'SIGKILL');
    await connection.closed;
    await connection.close();
    expect(isRunning(me.pid)).toBe(false);
    expect(runningGroupMembers(connection.pid!)).toEqual([]);
  });

  it('ends helpers left in the group after the server itself exited', async () => {
    const connection = await open('helper', server('helper-spawning-server.mjs', { shutdownGraceMs: 300 }));
    const helperPid = Number(textOf(await connection.client.callTool({ name: 'helper', arguments: {} })));
    pids.push(helperPid);
    expect(isRunning(helperPid)).toBe(true);
    expect(processGroupOf(helperPid)).toBe(connection.pid);
    await connection.close();
    // The helper ignores SIGTERM, so this took the group SIGKILL.
    expect(isRunning(helperPid)).toBe(false);
    expect(runningGroupMembers(connection.pid!)).toEqual([]);
  });

  it('escalates to SIGKILL when the server ignores stdin EOF and SIGTERM', async () => {
    const connection = await open('stubborn', server('ignore-sigterm-server.mjs', { shutdownGraceMs: 300 }));
    const pid = connection.pid!;
    const started = Date.now();
    await connection.close();
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(550); // EOF grace + SIGTERM grace
    expect(took).toBeLessThan(3_000);
    expect(isRunning(pid)).toBe(false);
    expect(groupExists(pid)).toBe(false);
    expect(connection.stderrTail!()).toContain('ignoring SIGTERM');
  });

  it('resolves closed when the child dies unexpectedly, and later calls fail', async () => {
    const connection = await open('echo', server('echo-server.mjs'));
    let settled = false;
    void connection.closed.then(() => (settled = true));
    await connection.client.callTool({ name: 'echo', arguments: { text: 'before' } });
    expect(settled).toBe(false);
    process.kill(connection.pid!, 'SIGKILL');
    await connection.closed;
    await expect(connection.client.callTool({ name: 'echo', arguments: { text: 'after' } })).rejects.toThrow();
  });

  it('skips non-JSON stdout lines, reports them through onerror, and keeps working', async () => {
    const errors: Error[] = [];
    const connection = await open('garbage', server('garbage-server.mjs'), {
      configure: (client: Connection['client']) => {
        client.onerror = (error) => errors.push(error);
      },
    });
    expect(textOf(await connection.client.callTool({ name: 'echo', arguments: { text: 'ok' } }))).toBe('ok');
    expect(textOf(await connection.client.callTool({ name: 'noisy', arguments: {} }))).toBe('still fine');
    await waitFor(() => errors.length >= 4, 2_000);
    const messages = errors.map((error) => error.message);
    expect(messages.filter((message) => message.includes('skipped a stdout line that is not JSON-RPC'))).toHaveLength(4);
    expect(messages.every((message) => message.startsWith('MCP server "garbage"'))).toBe(true);
  });

  it('drains a >1 MiB stderr flood without blocking and keeps only a bounded tail', async () => {
    const connection = await open('flood', server('stderr-flood-server.mjs'), { timeoutMs: 10_000 });
    // stderr and stdout are separate pipes: the initialize answer may overtake the flood's last chunks.
    await waitFor(() => connection.stderrTail!().includes('END-OF-FLOOD'), 2_000);
    const tail = connection.stderrTail!();
    expect(Buffer.byteLength(tail)).toBeLessThanOrEqual(64 * 1024);
    expect(Buffer.byteLength(tail)).toBeGreaterThan(60 * 1024);
    expect(tail.trimEnd().endsWith('END-OF-FLOOD')).toBe(true);
    // Still drained mid-session.
    expect(textOf(await connection.client.callTool({ name: 'flood', arguments: {} }))).toBe('flooded');
    await waitFor(() => connection.stderrTail!().includes('END-OF-SECOND-FLOOD'), 2_000);
    expect(Buffer.byteLength(connection.stderrTail!())).toBeLessThanOrEqual(64 * 1024);
  });

  it('honours stderrBufferBytes', async () => {
    const connection = await open('flood', server('stderr-flood-server.mjs', { stderrBufferBytes: 1_000 }));
    await waitFor(() => connection.stderrTail!().includes('END-OF-FLOOD'), 2_000);
    const tail = connection.stderrTail!();
    expect(Buffer.byteLength(tail)).toBeLessThanOrEqual(1_000);
    expect(tail).toContain('END-OF-FLOOD');
  });

  it('gives a clear error naming server and command for ENOENT, and leaks nothing', async () => {
    await expect(connect('ghost', { command: 'definitely-not-a-command-xyz', args: ['--stdio'] })).rejects.toThrow(
      /^MCP server "ghost": command not found: 'definitely-not-a-command-xyz'/,
    );
    expect(processHandles()).toBe(0);
  });

  it('says so when the working directory does not exist', async () => {
    await expect(connect('nowhere', server('echo-server.mjs', { cwd: join(scratch, 'missing') }))).rejects.toThrow(
      /working directory not found/,
    );
  });

  it('reports exit code and stderr when the server dies during startup', async () => {
    const error = await rejection(connect('crashy', server('crash-server.mjs')));
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toMatch(/^MCP server "crashy": could not connect \(stdio: /);
    expect(error.message).toContain('exited with code 3');
    expect(error.message).toContain('fatal: GITHUB_TOKEN is not set');
  });

  it('times out a server that never answers initialize, and ends the child', async () => {
    const pidFile = join(scratch, 'pid');
    const started = Date.now();
    // 2 s, not less: a loaded host can take over half a second to start node and write the pid file.
    const error = await rejection(
      connect('silent', server('silent-server.mjs', { env: { FIXTURE_PID_FILE: pidFile }, shutdownGraceMs: 200 }), {
        timeoutMs: 2_000,
      }),
    );
    expect(error.message).toMatch(/^MCP server "silent": connect timed out after 2000 ms \(stdio: /);
    expect(error.message).not.toContain('exited'); // it was us who ended it
    expect(Date.now() - started).toBeLessThan(8_000);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    pids.push(pid);
    // connect() only rejects after the child is gone.
    expect(isRunning(pid)).toBe(false);
    expect(groupExists(pid)).toBe(false);
  });

  it('honours an abort signal during connect, and ends the child', async () => {
    const pidFile = join(scratch, 'pid');
    const controller = new AbortController();
    // Late enough for a loaded host to have started the child and written its pid file.
    const timer = setTimeout(() => controller.abort(new Error('user cancelled')), 1_500);
    const error = await rejection(
      connect('silent', server('silent-server.mjs', { env: { FIXTURE_PID_FILE: pidFile }, shutdownGraceMs: 200 }), {
        signal: controller.signal,
      }),
    );
    clearTimeout(timer);
    expect(error.message).toMatch(/^MCP server "silent": connect aborted/);
    expect((error.cause as Error).message).toBe('user cancelled');
    const pid = Number(readFileSync(pidFile, 'utf8'));
    pids.push(pid);
    expect(isRunning(pid)).toBe(false);
  });

  it('rejects an already aborted signal without spawning anything', async () => {
    await expect(connect('echo', server('echo-server.mjs'), { signal: AbortSignal.abort() })).rejects.toThrow(/connect aborted/);
    expect(processHandles()).toBe(0);
  });

  it('calls configure before the client connects', async () => {
    let transportAtConfigure: unknown = 'not called';
    const connection = await open('echo', server('echo-server.mjs'), {
      configure: (client: Connection['client']) => {
        transportAtConfigure = client.transport;
      },
    });
    expect(transportAtConfigure).toBeUndefined();
    expect(connection.client.transport).toBeDefined();
  });
});

describe('StdioTransport', () => {
  it('close() before start() still fires onclose, and start() afterwards is refused', async () => {
    const transport = new StdioTransport({ command: node, args: [fixture('echo-server.mjs')] });
    let closes = 0;
    transport.onclose = () => closes++;
    await transport.close();
    await transport.close();
    expect(closes).toBe(1);
    await expect(transport.start()).rejects.toThrow(/already closed/);
  });

  it('refuses to send before start and after close', async () => {
    const transport = new StdioTransport({ server: 'x', command: node, args: [fixture('echo-server.mjs')] });
    await expect(transport.send({ jsonrpc: '2.0', method: 'ping', id: 1 })).rejects.toThrow('MCP server "x": not connected');
    await transport.start();
    const pid = transport.pid!;
    await transport.close();
    await expect(transport.send({ jsonrpc: '2.0', method: 'ping', id: 2 })).rejects.toThrow(/not connected/);
    expect(isRunning(pid)).toBe(false);
    expect(transport.exit).toEqual({ code: 0, signal: null, requested: true });
  });
});
