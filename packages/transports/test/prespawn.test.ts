import { fileURLToPath } from 'node:url';
import { getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect, type Connection } from '@mcp-bridge/transports';
import { StdioTransport } from '@mcp-bridge/transports/stdio';
import { adoptPrespawned, endPrespawned, prespawnedCount, prespawnStdio } from '@mcp-bridge/transports/prespawn';
import { defaultEnvironment } from '../src/stdio/child-env.js';
import { leakSnapshot } from './helpers/leaks.js';
import { textOf } from './helpers/fixture-server.js';
import { groupExists, isRunning, killQuietly, waitFor } from './helpers/processes.js';

const echo = { command: process.execPath, args: [fileURLToPath(new URL('./fixtures/echo-server.mjs', import.meta.url))] };
/** Writes one stderr line at once, then idles (never answers: it is only held, never connected). */
const idler = { command: process.execPath, args: ['-e', "process.stderr.write('early words\\n'); setInterval(() => {}, 1000)"] };

async function whoamiPid(connection: Connection): Promise<number> {
  return (JSON.parse(textOf(await connection.client.callTool({ name: 'whoami', arguments: {} }))) as { pid: number }).pid;
}

describe('prespawn (early stdio children adopted by the transport)', () => {
  const connections: Connection[] = [];
  const pids: number[] = [];
  let checkLeaks: () => Promise<void>;
  beforeEach(() => void (checkLeaks = leakSnapshot()));
  afterEach(async () => {
    await Promise.all(connections.splice(0).map((c) => c.close()));
    endPrespawned();
    for (const pid of pids.splice(0)) killQuietly(pid);
    // Ended children are gone once their handles are (the reap of their group follows).
    await waitFor(() => !process.getActiveResourcesInfo().includes('ProcessWrap'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    await checkLeaks();
  });

  it('uses the default environment of the SDK', () => {
    expect(defaultEnvironment()).toEqual(getDefaultEnvironment());
  });

  it('hands a child started early to the transport of the same command, which serves and ends it as its own', async () => {
    expect(prespawnStdio([{ ...echo, env: { FIXTURE_NAME: 'early' } }])).toBe(1);
    expect(prespawnedCount()).toBe(1);
    const connection = await connect('early', { ...echo, env: { FIXTURE_NAME: 'early' } });
    connections.push(connection);
    expect(prespawnedCount()).toBe(0);
    const pid = connection.pid!;
    pids.push(pid);
    expect(await whoamiPid(connection)).toBe(pid);
    const { tools } = await connection.client.listTools();
    expect(tools.map((t) => t.name)).toContain('echo');
    await connection.close();
    // Ended with its group, like any child the transport spawned.
    expect(await waitFor(() => !isRunning(pid) && !groupExists(pid))).toBe(true);
  });

  it('keeps what the child wrote to stderr before it was claimed', async () => {
    prespawnStdio([idler]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const transport = new StdioTransport({ server: 'idler', ...idler });
    await transport.start();
    expect(prespawnedCount()).toBe(0);
    pids.push(transport.pid!);
    expect(transport.stderrTail()).toContain('early words');
    await transport.close();
    expect(isRunning(transport.pid!)).toBe(false);
  });

  it('does not hand a child to a different command (env, args or cwd differ)', async () => {
    prespawnStdio([{ ...echo, env: { FIXTURE_NAME: 'a' } }]);
    const early = adoptPrespawned({ ...echo, env: { FIXTURE_NAME: 'b' } });
    expect(early).toBeUndefined();
    expect(adoptPrespawned({ ...echo, cwd: '/' })).toBeUndefined();
    expect(adoptPrespawned({ ...echo, args: [...echo.args, 'x'] })).toBeUndefined();
    const connection = await connect('b', { ...echo, env: { FIXTURE_NAME: 'b' } });
    connections.push(connection);
    pids.push(connection.pid!);
    // The transport spawned its own; the early child still waits for its match.
    expect(prespawnedCount()).toBe(1);
  });

  it('ends a child nobody claims within claimWithinMs, with its group', async () => {
    prespawnStdio([idler], { claimWithinMs: 200 });
    expect(prespawnedCount()).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const pid = (await import('node:child_process'))
      .execFileSync('pgrep', ['-f', 'early words'])
      .toString()
      .trim()
      .split('\n')
      .map(Number)[0]!;
    expect(isRunning(pid)).toBe(true);
    expect(await waitFor(() => prespawnedCount() === 0 && !isRunning(pid), 3000)).toBe(true);
  });

  it('drops a child that exits before it is claimed: the transport spawns and reports as always', async () => {
    const dies = { command: process.execPath, args: ['-e', "process.stderr.write('boom\\n'); process.exit(3)"] };
    prespawnStdio([dies]);
    expect(await waitFor(() => prespawnedCount() === 0)).toBe(true);
    expect(adoptPrespawned(dies)).toBeUndefined();
  });

  it('never throws for a command that cannot start', async () => {
    expect(prespawnStdio([{ command: '/nonexistent/mcp-server' }])).toBe(0);
    const error = await connect('missing', { command: '/nonexistent/mcp-server' }).catch((e: unknown) => e as Error);
    expect((error as Error).message).toMatch(/not found|ENOENT/);
  });
});
