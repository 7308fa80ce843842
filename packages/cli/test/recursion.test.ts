import { chmodSync, readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { eventually, processesWith } from '@mcp-bridge/testing';
import type { ListJson } from '../src/index.js';
import { runsMcpBridge } from '../src/recursion.js';
import { cliCommand, runCli, tempTree, type Tree } from './helpers.js';

const server = fileURLToPath(new URL('./fixtures/lifecycle-server.mjs', import.meta.url));
const marker = `recur-${randomUUID().slice(0, 8)}`;
let tree: Tree;
const quote = (s: string): string => `'${s}'`;

/** The MCP_BRIDGE_DEPTH a process was started with (0 when unset); undefined when it is gone. */
function depthOf(pid: number): number | undefined {
  try {
    const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    const entry = env.find((e) => e.startsWith('MCP_BRIDGE_DEPTH='));
    return entry === undefined ? 0 : Number(entry.slice('MCP_BRIDGE_DEPTH='.length));
  } catch {
    return undefined;
  }
}

beforeAll(() => {
  tree = tempTree();
  const self = cliCommand(['serve', '--stdio', `--marker=${marker}`]);
  tree.write('project/.mcp.json', {
    mcpServers: {
      echo: { command: process.execPath, args: [server, `${marker}-echo`] },
      // The natural "one entry in front of all the others", read back by the gateway it starts.
      bridge: { command: self.command, args: self.args },
      wrapped: { command: 'sh', args: ['-c', [self.command, ...self.args].map(quote).join(' ')] },
    },
  });
});
afterAll(() => tree.remove());

describe('a config that lists mcp-bridge itself', () => {
  it('recognises our own command in its usual spellings', () => {
    const cwd = tree.project;
    expect(runsMcpBridge('npx', ['-y', 'mcp-bridge', 'serve', '--stdio'], cwd)).toBe(true);
    expect(runsMcpBridge('npx', ['mcp-bridge@latest', 'serve'], cwd)).toBe(true);
    expect(runsMcpBridge('pnpm', ['dlx', 'mcp-bridge', 'serve'], cwd)).toBe(true);
    expect(runsMcpBridge('/usr/local/bin/mcp-bridge', ['serve'], cwd)).toBe(true);
    expect(runsMcpBridge('sh', ['-c', 'FOO=1 exec npx -y mcp-bridge serve --stdio'], cwd)).toBe(true);
    expect(runsMcpBridge('sh', ['-c', 'npx -y mcp-bridge serve --stdio'], cwd)).toBe(true);
    expect(runsMcpBridge(cliCommand([]).command, cliCommand(['serve']).args, cwd)).toBe(true);
    // Other servers are not ours, whatever they are called.
    expect(runsMcpBridge('npx', ['-y', '@modelcontextprotocol/server-filesystem', '.'], cwd)).toBe(false);
    expect(runsMcpBridge('npx', ['-y', 'mcp-bridge-plugin-foo'], cwd)).toBe(false);
    expect(runsMcpBridge(process.execPath, [server], cwd)).toBe(false);
  });

  it('list skips those entries with a clear message and lists the rest', async () => {
    const result = await runCli(tree, ['list', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const json = JSON.parse(result.stdout) as ListJson;
    expect(json.servers.find((s) => s.name === 'echo')).toMatchObject({ state: 'ok', tools: 1 });
    expect(json.servers.filter((s) => s.state === 'skipped').map((s) => [s.name, s.reason])).toEqual([
      ['bridge', 'recursive'],
      ['wrapped', 'recursive'],
    ]);
    expect(result.stderr).toMatch(/skipped server "bridge": it runs mcp-bridge itself/);
    expect(await eventually(() => processesWith(marker).length === 0, 5_000)).toBe(true);
  });

  it('serve --stdio spawned by a client: one gateway, the other servers served, no recursion', async () => {
    const { command, args } = cliCommand(['--root', tree.root, 'serve', '--stdio']);
    const transport = new StdioClientTransport({ command, args, cwd: tree.project, env: tree.env(), stderr: 'pipe' });
    let stderr = '';
    transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const client = new Client({ name: 'recursion-test', version: '1.0.0' });
    await client.connect(transport);
    try {
      expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['echo']);
      // Only the echo server runs: no gateway carrying the marker was started.
      expect(processesWith(marker).map(String)).toHaveLength(1);
      expect(stderr).toMatch(/skipped server "wrapped": it runs mcp-bridge itself/);
    } finally {
      await client.close();
    }
    expect(await eventually(() => processesWith(marker).length === 0, 5_000)).toBe(true);
  }, 30_000);

  it('a wrapper we cannot recognise is stopped by the depth marker: the number of gateways stays bounded', async () => {
    const nested = tempTree();
    try {
      // The marker rides in the config file's name, which every nested gateway is given.
      const config = nested.write(`project/${marker}-gw.json`, '{}');
      const self = cliCommand(['--root', nested.root, '--config', config, 'serve', '--stdio']);
      const script = nested.write('project/gateway.sh', `#!/bin/sh\nexec ${[self.command, ...self.args].map(quote).join(' ')}\n`);
      chmodSync(script, 0o755);
      nested.write(`project/${marker}-gw.json`, { mcpServers: { gw: { command: script } } });
      // Per depth (the MCP_BRIDGE_DEPTH each gateway was given), the most gateways seen at once.
      const mostAt = new Map<number, number>();
      const sample = (): void => {
        const seen = new Map<number, number>();
        for (const pid of processesWith(`${marker}-gw`)) {
          const depth = depthOf(pid);
          if (depth !== undefined) seen.set(depth, (seen.get(depth) ?? 0) + 1);
        }
        for (const [depth, n] of seen) mostAt.set(depth, Math.max(mostAt.get(depth) ?? 0, n));
      };
      const sampler = setInterval(sample, 50);
      const result = await runCli(nested, ['--config', config, 'list', '--json'], { timeoutMs: 60_000 }).finally(() =>
        clearInterval(sampler),
      );
      // The top gateway, then gw at depths 1, 2 and 3; the one at depth 3 starts nothing, so there is no depth 4.
      // At most two at one depth: under heavy load a nested gateway may miss its parent's connect
      // deadline and be replaced while the first is still exiting (seen once in CI with load ~17).
      expect([...mostAt.keys()].sort()).toEqual([0, 1, 2, 3]);
      for (const [depth, n] of mostAt) expect(n, `gateways at depth ${depth}`).toBeLessThanOrEqual(2);
      expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
      expect(result.stderr).not.toMatch(/MCP_BRIDGE_DEPTH/); // the top gateway itself is not limited
      const servers = (JSON.parse(result.stdout) as ListJson).servers;
      expect(servers).toEqual([expect.objectContaining({ name: 'gw', state: 'ok', tools: 0 })]);
      expect(await eventually(() => processesWith(`${marker}-gw`).length === 0, 10_000)).toBe(true);
    } finally {
      nested.remove();
    }
  }, 90_000);
});
