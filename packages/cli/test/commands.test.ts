import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, processesWith, stdioTestServer } from '@mcp-bridge/testing';
import type { ListJson } from '../src/index.js';
import { runCli, tempTree, type Tree } from './helpers.js';

// One marker per run, in every upstream's command line: after each command, none may be left.
const marker = `cli-${randomUUID().slice(0, 8)}`;
let tree: Tree;
let projectFile: string;
let userFile: string;

beforeAll(() => {
  tree = tempTree();
  projectFile = tree.write('project/.mcp.json', {
    mcpServers: { alpha: stdioTestServer({ name: `alpha-${marker}`, tools: ['echo', 'fail', 'add'], resources: false, prompts: false }) },
  });
  // Claude Code's user scope: a second server from another file, with a colliding `echo`.
  userFile = tree.write('home/.claude.json', {
    mcpServers: { beta: stdioTestServer({ name: `beta-${marker}`, tools: ['echo'], resources: false, prompts: false }) },
  });
});

afterAll(async () => {
  expect(
    await eventually(() => processesWith(marker).length === 0),
    `leftover upstream processes: ${processesWith(marker).join(', ')}`,
  ).toBe(true);
  tree.remove();
});

describe('help and usage', () => {
  it('--help lists the commands, the global options and the exit codes', async () => {
    const r = await runCli(tree, ['--help']);
    expect(r.code).toBe(0);
    for (const word of ['serve', 'list', 'call', 'doctor', '--json', '--config', '--no-claude-desktop', 'Exit codes'])
      expect(r.stdout).toContain(word);
    expect(r.stderr).toBe('');
  });

  it('--help works on every command', async () => {
    const results = await Promise.all(['serve', 'list', 'call', 'doctor'].map((cmd) => runCli(tree, [cmd, '--help'])));
    expect(results.map((r) => r.code)).toEqual([0, 0, 0, 0]);
    expect(results[0]!.stdout).toContain('--stdio');
    expect(results[0]!.stdout).toContain('--http <port>');
    expect(results[2]!.stdout).toContain('--args <json>');
    expect(results[3]!.stdout).toContain('--stderr-lines');
  });

  it('--version prints the package version; an unknown option exits 2', async () => {
    const [version, unknown] = await Promise.all([runCli(tree, ['--version']), runCli(tree, ['list', '--bogus'])]);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown option '--bogus'");
    expect(unknown.stdout).toBe('');
  });
});

describe('list', () => {
  it('--json: every server with its source file and state, and the merged tools', async () => {
    const r = await runCli(tree, ['list', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as ListJson;
    expect(out.examples).toBe(false);
    const byName = Object.fromEntries(out.servers.map((s) => [s.name, s]));
    expect(byName.alpha).toMatchObject({ state: 'ok', kind: 'stdio', tools: 3, source: { file: projectFile, kind: 'project' } });
    expect(byName.beta).toMatchObject({ state: 'ok', kind: 'stdio', tools: 1, source: { file: userFile, kind: 'claude-code-user' } });
    const names = out.tools.map((t) => `${t.name}=${t.server}/${t.upstreamName}`).sort();
    // `echo` is on both servers: the catalog prefixes it; the rest keep their names.
    expect(names).toEqual(['add=alpha/add', 'alpha__echo=alpha/echo', 'beta__echo=beta/echo', 'fail=alpha/fail']);
  });

  it('human output names the servers, their state and files; --no-<source> switches a source off', async () => {
    const r = await runCli(tree, ['list', '--no-claude-code-user']);
    expect(r.code, r.stderr).toBe(0);
    // The transport kind and the protocol version the server speaks (a 2025 server under protocol auto).
    expect(r.stdout).toMatch(/alpha\s+ok\s+stdio 2025-11-25\s+3 tools\s+.*\.mcp\.json/);
    expect(r.stdout).not.toContain('beta');
    // Without beta there is no collision: `echo` keeps its name.
    expect(r.stdout).toMatch(/^\s+echo\s+alpha\s/m);
    expect(r.stdout).not.toContain('\u001b['); // NO_COLOR and not a TTY
  });
});

describe('call', () => {
  it('SERVER/TOOL with --args prints the result and exits 0', async () => {
    const r = await runCli(tree, ['call', 'alpha/echo', '--args', '{"text":"hello from the cli"}', '--no-plugins']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('hello from the cli');
  });

  it('accepts an exposed tool name and prints the whole result with --json', async () => {
    const r = await runCli(tree, ['--json', 'call', 'add', '--args', '{"a":2,"b":40}']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ content: [{ type: 'text', text: '42' }], structuredContent: { sum: 42 } });
  });

  it('a tool that returns isError exits 1, its message on stderr and nothing on stdout', async () => {
    const r = await runCli(tree, ['call', 'alpha/fail', '--args', '{"mode":"isError","message":"the tool said no"}']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('the tool said no');
  });

  it('bad --args JSON exits 2 with a clear message, before starting anything', async () => {
    const started = Date.now();
    const r = await runCli(tree, ['call', 'alpha/echo', '--args', '{text: hi}']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/--args is not valid JSON: .*example: --args/);
    expect(Date.now() - started).toBeLessThan(20_000);
    const notObject = await runCli(tree, ['call', 'alpha/echo', '--args', '[1,2]']);
    expect(notObject.code).toBe(2);
    expect(notObject.stderr).toContain('--args must be a JSON object, got an array');
  });

  it('an unknown server or tool exits 2 and says what is known', async () => {
    const [server, tool] = await Promise.all([runCli(tree, ['call', 'nope/echo']), runCli(tree, ['call', 'ech'])]);
    expect(server.code).toBe(2);
    expect(server.stderr).toContain('no server named "nope" (known: alpha, beta)');
    expect(tool.code).toBe(2);
    expect(tool.stderr).toContain('no tool named "ech"');
  });
});
