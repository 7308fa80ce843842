/**
 * A rolling restart as people run it: `mcp-bridge serve --http` stopped with SIGTERM while a client's
 * call is in progress. The gateway drains for `--drain-ms`, then tells the client the call may have
 * run (JSON-RPC -32603), never `404 Session not found` (which a client reads as "never sent" and resends).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { eventually, processesWith, stdioTestServer } from '@mcp-bridge/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cliCommand, collect, tempTree, type CliResult, type Tree, firstLine } from './helpers.js';

const marker = `drain-${randomUUID().slice(0, 8)}`;
let tree: Tree;
const children: ChildProcess[] = [];

beforeAll(() => {
  tree = tempTree();
  tree.write('project/.mcp.json', {
    mcpServers: { pay: stdioTestServer({ name: `pay-${marker}`, tools: ['slow', 'echo'], resources: false, prompts: false }) },
  });
});
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});
afterAll(() => tree.remove());

describe('serve --http stopped mid-call', () => {
  it('drains for --drain-ms, then tells the client its call may have run, and exits 0 leaving no process', async () => {
    const { command, args } = cliCommand(['--root', tree.root, 'serve', '--http', '0', '--no-watch', '--drain-ms', '300']);
    const child = spawn(command, args, { cwd: tree.project, env: tree.env(), stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    const url = await firstLine(child);
    const exited = collect(child, 30_000);

    const client = new Client({ name: 'payer', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(url)));
    const call = client.callTool({ name: 'slow', arguments: { ms: 20_000 } }).then(
      () => undefined,
      (error: unknown) => error as { code?: number; message: string },
    );
    // The call is with the upstream (the slow tool has started) before the stop.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const stoppedAt = Date.now();
    child.kill('SIGTERM');
    const error = await call;
    expect(error?.code).toBe(-32603);
    expect(error?.message).toMatch(/may have run/);
    expect(error?.message).not.toMatch(/Session not found|404/);
    expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(250);
    const r: CliResult = await exited;
    expect(r.code, r.stderr).toBe(0);
    await client.close().catch(() => undefined);
    expect(await eventually(() => processesWith(marker).length === 0, 5_000), `leftover: ${processesWith(marker).join(', ')}`).toBe(true);
  });
});
