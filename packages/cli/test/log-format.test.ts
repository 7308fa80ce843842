import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { stdioTestServer } from '@mcp-bridge/testing';
import { brokenServer, cliCommand, collect, runCli, tempTree, type CliResult, type Tree, firstLine } from './helpers.js';

// serve's stderr in its two formats (--log-format), and what --quiet still says.

const marker = `logs-${randomUUID().slice(0, 8)}`;
let tree: Tree;
const children: ChildProcess[] = [];

beforeAll(() => {
  tree = tempTree();
  tree.write('project/.mcp.json', {
    mcpServers: {
      alpha: stdioTestServer({ name: `alpha-${marker}`, tools: ['echo'], resources: false, prompts: false }),
      dead: brokenServer(`dead server ${marker}`),
    },
  });
});
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});
afterAll(() => tree.remove());

/** Starts `serve --http 0 ...args`, makes one tool call through it with an SDK client, stops it with SIGTERM. */
async function serveOneCall(args: string[]): Promise<CliResult> {
  const { command, args: argv } = cliCommand(['--root', tree.root, 'serve', '--http', '0', '--no-watch', ...args]);
  const child = spawn(command, argv, { cwd: tree.project, env: tree.env(), stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const exited = collect(child, 45_000);
  const url = await firstLine(child);
  const client = new Client({ name: 'log-format-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  const result = await client.callTool({ name: 'echo', arguments: { text: 'hello' } });
  expect(result.content).toEqual([{ type: 'text', text: 'hello' }]);
  await client.close();
  child.kill('SIGTERM');
  const done = await exited;
  expect(done.code, done.stderr).toBe(0);
  return done;
}

describe('serve --log-format', () => {
  it('json: every stderr line is one JSON object, the request log and a server that did not start included', async () => {
    const { stderr } = await serveOneCall(['--log-format', 'json']);
    const lines = stderr.split('\n').filter((l) => l !== '');
    expect(lines.length).toBeGreaterThan(3);
    const records = lines.map((l) => {
      expect(() => JSON.parse(l), `not JSON: ${l}`).not.toThrow();
      return JSON.parse(l) as Record<string, unknown>;
    });
    for (const r of records) {
      expect(typeof r.time).toBe('string');
      expect(['info', 'warn', 'error']).toContain(r.level);
      expect(typeof r.msg).toBe('string');
      // eslint-disable-next-line no-control-regex -- matches terminal escape sequences (ESC) on purpose
      expect(r.msg).not.toMatch(/\u001b\[/);
    }
    const call = records.find((r) => r.event === 'call');
    expect(call).toMatchObject({ level: 'info', method: 'tools/call', target: 'alpha/echo', outcome: 'ok' });
    expect(typeof call!.ms).toBe('number');
    expect(records.find((r) => String(r.msg).includes('✖ dead'))).toMatchObject({ level: 'error' });
    expect(records.some((r) => String(r.msg).startsWith('stopping'))).toBe(true);
  }, 60_000);

  it('pretty (the default): human lines, the request log among them', async () => {
    const { stderr } = await serveOneCall([]);
    expect(stderr).toMatch(/^\[mcp-bridge\] call tools\/call alpha\/echo ok \d+ms$/m);
    expect(stderr).toMatch(/^\[mcp-bridge\] ✖ dead: down: /m);
    expect(stderr).not.toMatch(/^\{/m);
  }, 60_000);

  it('an unknown format is a usage error naming the option and the choices', async () => {
    const result = await runCli(tree, ['serve', '--http', '0', '--log-format', 'yaml']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--log-format <format>' argument 'yaml' is invalid\. Allowed choices are pretty, json/);
  }, 60_000);
});

describe('serve -q', () => {
  it('hides the request log and status lines, but still reports a server that fails to start', async () => {
    const { stderr } = await serveOneCall(['-q']);
    expect(stderr).toMatch(/✖ dead: down: .*dead server/);
    expect(stderr).not.toMatch(/call tools\/call|plugins:|catalog:|serving over|stopping/);
  }, 60_000);

  it('with --log-format json, the report is a JSON line with level error', async () => {
    const { stderr } = await serveOneCall(['-q', '--log-format', 'json']);
    const lines = stderr.split('\n').filter((l) => l !== '');
    expect(lines.length).toBeGreaterThan(0);
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records.some((r) => r.level === 'error' && String(r.msg).includes('✖ dead: down'))).toBe(true);
    expect(records.some((r) => r.event === 'call')).toBe(false);
  }, 60_000);
});
