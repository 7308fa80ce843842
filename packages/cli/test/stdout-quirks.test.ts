import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { eventually, processesWith } from '@mcp-bridge/testing';
import { cliCommand, tempTree, type Tree } from './helpers.js';

// Real servers that break the stdio rules, from the transports package's fixtures.
const fixture = (name: string): string => fileURLToPath(new URL(`../../transports/test/fixtures/${name}`, import.meta.url));
const marker = `quirk-${randomUUID().slice(0, 8)}`;
let tree: Tree;

beforeAll(() => {
  tree = tempTree();
  tree.write('project/.mcp.json', {
    mcpServers: {
      big: { command: process.execPath, args: [fixture('big-answer-server.mjs'), marker], maxMessageBytes: 65_536 },
      half: { command: process.execPath, args: [fixture('stdout-closing-server.mjs'), marker], shutdownGraceMs: 300 },
    },
  });
});
afterAll(() => tree.remove());

/** Text of a failed call, whether the gateway answered with a JSON-RPC error or an isError result. */
async function failure(call: Promise<unknown>): Promise<string> {
  try {
    const result = (await call) as { isError?: boolean; content?: { text?: string }[] };
    expect(result.isError).toBe(true);
    return result.content?.map((c) => c.text).join(' ') ?? '';
  } catch (error) {
    return (error as Error).message;
  }
}

describe('serve --stdio in front of servers that break stdout', () => {
  it('fails an oversize answer and a call to a server that closed stdout at once, logs both, and restarts that server', async () => {
    // The pool plugin supervises the stdio servers: it restarts the one whose stdout ended.
    const { command, args } = cliCommand(['--root', tree.root, 'serve', '--stdio', '--plugins', 'pool']);
    const transport = new StdioClientTransport({ command, args, cwd: tree.project, env: tree.env(), stderr: 'pipe' });
    let stderr = '';
    transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const client = new Client({ name: 'quirks-test', version: '1.0.0' });
    await client.connect(transport);
    try {
      let started = Date.now();
      expect(await failure(client.callTool({ name: 'big', arguments: { bytes: 100_000 } }))).toMatch(/exceeds maxMessageBytes \(65536\)/);
      expect(Date.now() - started).toBeLessThan(3_000);
      const ok = await client.callTool({ name: 'big', arguments: { bytes: 1_000 } });
      expect(JSON.stringify(ok)).toContain('x'.repeat(1_000));

      started = Date.now();
      // The client is told the server and the kind of failure; the details go to the serve log.
      expect(await failure(client.callTool({ name: 'close_stdout', arguments: {} }, undefined, { timeout: 30_000 }))).toMatch(
        /server "half" is unavailable/,
      );
      expect(Date.now() - started).toBeLessThan(3_000);
      // A fresh process is started: the server answers again.
      expect(await eventually(() => stderr.includes('pool:restart server=half'), 5_000), stderr).toBe(true);
      let echoed = await client.callTool({ name: 'echo', arguments: { text: 'back' } });
      for (let i = 0; i < 50 && echoed.isError; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        echoed = await client.callTool({ name: 'echo', arguments: { text: 'back' } });
      }
      expect(echoed.content, stderr).toEqual([{ type: 'text', text: 'back' }]);
      expect(stderr).toMatch(/MCP server "half" closed its stdout but is still running; ending it/);
      expect(stderr).toMatch(/server "half": process \d+ closed its stdout but is still running while the call was in flight/);
      expect(stderr).toMatch(/MCP server "big": a message of \d+ bytes exceeds maxMessageBytes \(65536\)/);
    } finally {
      await client.close();
    }
    expect(await eventually(() => processesWith(marker).length === 0, 5_000)).toBe(true);
  }, 40_000);
});
