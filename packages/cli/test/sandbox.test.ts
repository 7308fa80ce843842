import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { eventually, processesWith, stdioTestServer } from '@mcp-bridge/testing';
import { sandboxSupport } from '@mcp-bridge/transports/stdio';
import type { DoctorJson } from '../src/index.js';
import { cliCommand, collect, firstLine, runCli, tempTree, type Tree } from './helpers.js';

const marker = `sandbox-${randomUUID().slice(0, 8)}`;
const hogServer = fileURLToPath(new URL('./fixtures/hog-server.mjs', import.meta.url));
const support = sandboxSupport();
const CI = process.env['CI'] === 'true';
if (!support.ok && !CI) console.warn(`\n*** SKIPPING the gateway sandbox test: ${support.reason} ***\n`);
const withBwrap = support.ok || CI ? it : it.skip;

const trees: Tree[] = [];
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const tree of trees.splice(0)) tree.remove();
});
afterAll(async () => {
  expect(await eventually(() => processesWith(marker).length === 0), `leftover: ${processesWith(marker).join(', ')}`).toBe(true);
});

function project(): Tree {
  const tree = tempTree();
  trees.push(tree);
  tree.write('project/.mcp.json', {
    mcpServers: {
      good: stdioTestServer({ name: `good-${marker}`, tools: ['echo'], resources: false, prompts: false }),
      hog: { command: process.execPath, args: [hogServer, marker], sandbox: { memoryMb: 256 } },
    },
  });
  return tree;
}

describe('sandboxed servers behind the gateway', () => {
  it('doctor says why a server whose sandbox cannot be had was not started', async () => {
    const tree = project();
    const json = await runCli(tree, ['doctor', '--json'], { env: { MCP_BRIDGE_BWRAP: '/nonexistent/bwrap' } });
    expect(json.code, json.stderr).toBe(1);
    const byName = Object.fromEntries((JSON.parse(json.stdout) as DoctorJson).servers.map((s) => [s.name, s]));
    expect(byName.good).toMatchObject({ state: 'ok' });
    expect(byName.hog).toMatchObject({ state: 'failed' });
    expect(byName.hog!.error).toMatch(/not started: sandbox unavailable: bubblewrap not found at \/nonexistent\/bwrap/);
    const human = await runCli(tree, ['doctor'], { env: { MCP_BRIDGE_BWRAP: '/nonexistent/bwrap' } });
    expect(human.stdout).toMatch(/✖ hog failed/);
    expect(human.stdout).toContain('sandbox unavailable');
    expect(processesWith(marker)).toEqual([]);
  });

  withBwrap(
    'a memory hog dies at its limit and is reported, while the gateway serves the other server',
    async () => {
      const tree = project();
      const { command, args } = cliCommand(['--root', tree.root, 'serve', '--http', '0']);
      const child = spawn(command, args, { cwd: tree.project, env: tree.env(), stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const url = await firstLine(child, () => stderr);
      const exited = collect(child, 30_000);
      const client = new Client({ name: 'sandbox-test', version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL(url)));
      try {
        const { tools } = await client.listTools();
        expect(tools.map((t) => t.name).sort()).toEqual(['echo', 'hog']);
        const hog = await client.callTool({ name: 'hog', arguments: {} }).then(
          (result) => JSON.stringify(result),
          (error: Error) => error.message,
        );
        // The client hears that the server is unavailable (the gateway never tells clients more); the log says why.
        expect(hog).toMatch(/UPSTREAM_UNAVAILABLE.*server \\"hog\\" is unavailable/);
        const why = /\(sandboxed; limits: memoryMb 256\) (died of SIG[A-Z]+ inside the sandbox|exited with code \d+)/;
        expect(await eventually(() => why.test(stderr)), stderr).toBe(true);
        const echo = await client.callTool({ name: 'echo', arguments: { text: 'still here' } });
        expect(echo.content).toEqual([{ type: 'text', text: 'still here' }]);
      } finally {
        await client.close();
        child.kill('SIGTERM');
      }
      expect((await exited).code).toBe(0);
    },
    60_000,
  );
});
