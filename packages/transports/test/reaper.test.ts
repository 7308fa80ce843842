import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { connect } from '@mcp-bridge/transports';
import { reaperPid } from '@mcp-bridge/transports/stdio';
import { isRunning, killQuietly, runningGroupMembers, waitFor } from './helpers/processes.js';

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

describe('the reaper: no orphan survives a SIGKILLed host', () => {
  it('ends the group of a server that ignores stdin EOF and SIGTERM, behind sh -c, after SIGKILL of the host', async () => {
    const marker = `reaper-${randomUUID().slice(0, 8)}`;
    const host = spawn(
      process.execPath,
      ['--conditions=@mcp-bridge/source', '--import', 'tsx', fixture('reaper-host.mjs'), fixture('stubborn-server.mjs'), marker],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const [line] = (await once(host.stdout.setEncoding('utf8'), 'data')) as [string];
    const { pgid, reaper } = JSON.parse(line) as { pgid: number; reaper: number };
    try {
      expect(await waitFor(() => runningGroupMembers(pgid).length === 2, 3_000)).toBe(true);
      expect(isRunning(reaper)).toBe(true);
      host.kill('SIGKILL');
      await once(host, 'exit');
      const t0 = Date.now();
      // SIGTERM at once (the wrapper goes), SIGKILL after the reaper's 2 s grace (the server goes).
      expect(await waitFor(() => runningGroupMembers(pgid).length === 1, 1_000), 'the wrapper is gone at once').toBe(true);
      expect(await waitFor(() => runningGroupMembers(pgid).length === 0, 4_000), `left: ${runningGroupMembers(pgid).join(', ')}`).toBe(
        true,
      );
      expect(Date.now() - t0).toBeGreaterThanOrEqual(1_500);
      expect(await waitFor(() => !isRunning(reaper), 1_000)).toBe(true);
    } finally {
      killQuietly(pgid);
      host.kill('SIGKILL');
    }
  }, 15_000);

  it('exists only while some stdio child runs, and leaves when the last one is closed', async () => {
    expect(reaperPid()).toBeUndefined();
    const connection = await connect('echo', { command: process.execPath, args: [fixture('echo-server.mjs')] });
    const reaper = reaperPid()!;
    expect(isRunning(reaper)).toBe(true);
    await connection.close();
    expect(reaperPid()).toBeUndefined();
    expect(await waitFor(() => !isRunning(reaper), 2_000)).toBe(true);
  });
});
