// `serve --examples` starts the example servers before it loads the gateway's code, and the stdio
// transports adopt them (packages/cli/src/early-spawn.ts, @mcp-bridge/transports/prespawn). Walked
// as a desktop client does: an SDK client spawns the gateway from source and lists its tools.
import { readdirSync, readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '@mcp-bridge/testing';
import { cliCommand, tempTree, type Tree } from './helpers.js';

const EXAMPLES_DIR = fileURLToPath(new URL('../src/examples/', import.meta.url));

/** Running (not zombie) processes whose command line runs one of this checkout's example servers, with their parent. */
function exampleProcesses(): { pid: number; ppid: number }[] {
  const found: { pid: number; ppid: number }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (!readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(EXAMPLES_DIR)) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] !== 'Z') found.push({ pid: Number(entry), ppid: Number(fields[1]) });
    } catch {
      // exited while we looked
    }
  }
  return found;
}

let tree: Tree;
beforeAll(() => void (tree = tempTree()));
afterAll(() => tree.remove());

describe('serve --examples spawns the example servers early', () => {
  it('serves the 9 example tools from exactly one process per example server, all gone after the client leaves', async () => {
    const before = new Set(exampleProcesses().map((p) => p.pid));
    const { command, args } = cliCommand(['serve', '--stdio', '--examples', '-q']);
    const transport = new StdioClientTransport({ command, args, cwd: tree.project, env: tree.env(), stderr: 'pipe' });
    let stderr = '';
    transport.stderr?.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
    const client = new Client({ name: 'early-spawn-test', version: '1.0.0' });
    await client.connect(transport);
    try {
      expect(await eventually(() => exampleProcesses().filter((p) => p.ppid === transport.pid).length >= 3, 15_000), stderr).toBe(true);
      const { tools } = await client.listTools();
      expect(tools.length, stderr).toBe(9);
      // An early child the transports did not adopt would be a fourth (then ended after a few seconds).
      const ours = exampleProcesses().filter((p) => p.ppid === transport.pid);
      expect(ours.length, stderr).toBe(3);
      const result = await client.callTool({ name: 'search_notes', arguments: { query: 'milk' } });
      expect(JSON.stringify(result.content)).toContain('Shopping');
    } finally {
      await client.close();
    }
    expect(await eventually(() => exampleProcesses().every((p) => before.has(p.pid)), 5_000)).toBe(true);
  }, 30_000);

  it('a serve that fails on its options leaves no early example server behind, and exits at once', async () => {
    const before = new Set(exampleProcesses().map((p) => p.pid));
    const { command, args } = cliCommand(['serve', '--examples', '--stdio', '--http', '0']);
    const child = spawn(command, args, { cwd: tree.project, env: tree.env(), stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
    child.stdout.resume();
    const startedAt = Date.now();
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code, stderr).toBe(2);
    expect(stderr).toMatch(/--stdio and --http cannot be used together/);
    expect(await eventually(() => exampleProcesses().every((p) => before.has(p.pid)), 3_000)).toBe(true);
    expect(Date.now() - startedAt).toBeLessThan(10_000);
  }, 30_000);
});
