/**
 * Issue 13 item 2: core's request bounds (`requestLimits`) are set from the gateway's config file, next
 * to `plugins` and `naming`; a bad value is the user's config error naming the field; the stdio door
 * (`serve --stdio`, raw JSON-RPC lines) refuses hostile depth as the HTTP door does.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { eventually, processesWith, stdioTestServer } from '@mcp-bridge/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliCommand, runCli, tempTree, type Tree } from './helpers.js';

const marker = `limits-${randomUUID().slice(0, 8)}`;
let tree: Tree;
const server = () => ({ alpha: stdioTestServer({ name: `alpha-${marker}`, tools: ['echo'], resources: false, prompts: false }) });

beforeAll(() => {
  tree = tempTree();
  tree.write('project/tight.json', { mcpServers: server(), requestLimits: { maxDepth: 4 } });
  tree.write('project/bad.json', { mcpServers: server(), requestLimits: { maxDepth: 0 } });
  tree.write('project/plain.json', { mcpServers: server() });
});

afterAll(async () => {
  expect(
    await eventually(() => processesWith(marker).length === 0),
    `leftover upstream processes: ${processesWith(marker).join(', ')}`,
  ).toBe(true);
  tree.remove();
});

describe('requestLimits in the config file', () => {
  it('bounds the calls: past maxDepth the call fails naming the limit and the path; within it, it passes', async () => {
    // params (1) → arguments (2) → p (3) → a (4) → b (5).
    const [deep, flat] = await Promise.all([
      runCli(tree, ['--config', 'tight.json', 'call', 'alpha/echo', '--no-plugins', '--args', '{"text":"x","p":{"a":{"b":{}}}}']),
      runCli(tree, ['--config', 'tight.json', 'call', 'alpha/echo', '--no-plugins', '--args', '{"text":"flat","p":{"a":1}}']),
    ]);
    expect(deep.code).not.toBe(0);
    expect(deep.stderr).toContain('nested deeper than the limit of 4 levels (requestLimits.maxDepth), at params.arguments.p.a.b (depth 5)');
    expect(flat.code, flat.stderr).toBe(0);
    expect(flat.stdout.trim()).toBe('flat');
  });

  it('a bad value exits 2 naming the field', async () => {
    const r = await runCli(tree, ['--config', 'bad.json', 'call', 'alpha/echo', '--no-plugins', '--args', '{"text":"x"}']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/requestLimits\.maxDepth/);
  });

  it('the stdio door has the same default bound: 20,000-deep arguments get -32602, the next call passes', async () => {
    const { command, args } = cliCommand(['--root', tree.root, 'serve', '--stdio', '--config', 'plain.json']);
    const child = spawn(command, args, { cwd: tree.project, env: tree.env(), stdio: ['pipe', 'pipe', 'ignore'] });
    const answers = new Map<number, (answer: { result?: unknown; error?: { code: number; message: string } }) => void>();
    createInterface({ input: child.stdout }).on('line', (line) => {
      const message = JSON.parse(line) as { id?: number; result?: unknown; error?: { code: number; message: string } };
      if (typeof message.id === 'number') answers.get(message.id)?.(message);
    });
    const ask = (id: number, method: string, params: string) =>
      new Promise<{ result?: unknown; error?: { code: number; message: string } }>((resolve) => {
        answers.set(id, resolve);
        child.stdin.write(`{"jsonrpc":"2.0","id":${id},"method":"${method}","params":${params}}\n`);
      });
    try {
      await ask(1, 'initialize', '{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"hostile","version":"1"}}');
      child.stdin.write('{"jsonrpc":"2.0","method":"notifications/initialized"}\n');
      const deep = '{"a":'.repeat(20_000) + '1' + '}'.repeat(20_000);
      const hostile = await ask(2, 'tools/call', `{"name":"alpha/echo","arguments":{"text":${deep}}}`);
      expect(hostile.error?.code).toBe(-32602);
      expect(hostile.error?.message).toMatch(/nested deeper than the limit of 64 levels \(requestLimits\.maxDepth\)/);
      const honest = await ask(3, 'tools/call', '{"name":"alpha/echo","arguments":{"text":"still here"}}');
      expect(honest.result).toMatchObject({ content: [{ text: 'still here' }] });
    } finally {
      child.stdin.end();
      if (child.exitCode === null && child.signalCode === null) await new Promise((resolve) => child.once('exit', resolve));
    }
  }, 60_000);
});
