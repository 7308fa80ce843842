// Honest status at start: a server still starting is `starting` (never `ok`) in list, doctor and
// /readyz; config problems and skipped servers are named on stderr; a port in use fails at once.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventually, processesWith, stdioFaultServer, stdioTestServer } from '@mcp-bridge/testing';
import { cliCommand, collect, runCli, tempTree, type Tree, firstLine } from './helpers.js';

const marker = `startup-${randomUUID().slice(0, 8)}`;
const trees: Tree[] = [];
const children: ChildProcess[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  expect(await eventually(() => processesWith(marker).length === 0, 10_000), `leftover: ${processesWith(marker).join(', ')}`).toBe(true);
});

afterAll(() => {
  for (const tree of trees) tree.remove();
});

/** A project with a fast server and one that takes 20 s to answer initialize. */
function slowTree(): Tree {
  const tree = tempTree();
  trees.push(tree);
  tree.write('project/.mcp.json', {
    mcpServers: {
      fast: stdioTestServer({ name: `fast-${marker}`, tools: ['echo'], resources: false, prompts: false }),
      slow: stdioFaultServer({ name: `slow-${marker}`, startDelayMs: 20_000 }),
    },
  });
  return tree;
}

describe('a server still starting', () => {
  it('is `starting` in `list` (exit 1), never ok', { timeout: 60_000 }, async () => {
    const tree = slowTree();
    const r = await runCli(tree, ['list', '--json', '--timeout', '3000']);
    expect(r.code, r.stderr).toBe(1);
    const servers = (JSON.parse(r.stdout) as { servers: { name: string; state: string; tools: number }[] }).servers;
    expect(servers.find((s) => s.name === 'fast')).toMatchObject({ state: 'ok', tools: 1 });
    expect(servers.find((s) => s.name === 'slow')).toMatchObject({ state: 'starting', tools: 0 });
  });

  it('is reported by `doctor` as still starting after --timeout (exit 1), never "All good"', { timeout: 60_000 }, async () => {
    const tree = slowTree();
    const started = Date.now();
    const r = await runCli(tree, ['doctor', '--timeout', '3000']);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).not.toContain('All good');
    expect(r.stdout).toMatch(/slow .*starting/);
    expect(r.stdout).toContain('still starting after 3000 ms');
    expect(r.stdout).toContain('1 still starting');
    // It waited for --timeout, not for the server's 20 s.
    expect(Date.now() - started).toBeLessThan(18_000);
  });

  it('answers /healthz at once and /readyz 503 naming what is still starting under `serve --http`', { timeout: 60_000 }, async () => {
    const tree = slowTree();
    const { command, args } = cliCommand(['--root', tree.root, 'serve', '--http', '0', '--no-plugins']);
    const child = spawn(command, args, { cwd: tree.project, env: tree.env(), stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const url = await firstLine(child, () => stderr);
    const base = new URL(url);
    const health = await fetch(new URL('/healthz', base));
    expect(health.status).toBe(200);
    // The fast server comes up; the slow one is still starting.
    let body: { ready: boolean; starting: string[]; servers: { name: string; state: string }[] } | undefined;
    for (const deadline = Date.now() + 15_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
      const res = await fetch(new URL('/readyz', base));
      body = (await res.json()) as typeof body;
      expect(res.status).toBe(body!.ready ? 200 : 503);
      if (body!.servers.find((s) => s.name === 'fast')?.state === 'ok') break;
    }
    expect(body!.servers.find((s) => s.name === 'fast')?.state, JSON.stringify(body)).toBe('ok');
    expect(body).toMatchObject({ ready: false, starting: ['slow'] });
    expect(body!.servers.find((s) => s.name === 'slow')?.state).toBe('starting');
    expect(stderr).toMatch(/starting: .*slow/);
    child.kill('SIGTERM');
    expect((await collect(child, 20_000)).code).toBe(0);
  });
});

describe('serve --http on a port in use', () => {
  let blocker: Server;
  let port: number;
  beforeAll(async () => {
    blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    port = (blocker.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => blocker.close(() => resolve())));

  it('fails at once with a clear message, before any upstream is spawned', { timeout: 60_000 }, async () => {
    const tree = tempTree();
    trees.push(tree);
    const spawned = join(tree.root, 'spawned');
    tree.write('project/.mcp.json', {
      mcpServers: {
        probe: { command: process.execPath, args: ['-e', `require('fs').writeFileSync(${JSON.stringify(spawned)}, '${marker}')`] },
      },
    });
    const r = await runCli(tree, ['serve', '--http', String(port), '--no-plugins']);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain(`cannot listen on 127.0.0.1:${port}: the port is already in use`);
    expect(existsSync(spawned), 'an upstream was started before the port was bound').toBe(false);
  });
});

describe('config problems and skipped servers', () => {
  let tree: Tree;
  beforeAll(() => {
    tree = tempTree();
    trees.push(tree);
    tree.write(
      'project/.mcp.json',
      JSON.stringify(
        {
          mcpServers: {
            fast: stdioTestServer({ name: `fast-${marker}`, tools: ['echo'], resources: false, prompts: false }),
            memory: { command: 'memory-server', disabled: true },
            gh: { command: 'gh-server', env: { TOKEN: '${MCPB_TEST_UNSET_TOKEN}' } },
          },
        },
        null,
        2,
      ),
    );
    tree.write('project/.cursor/mcp.json', '{ "mcpServers": { "broken": { "command": "x" } ');
  });

  it('are named on stderr by `list`, one line each with file, line and field', { timeout: 60_000 }, async () => {
    const r = await runCli(tree, ['list', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stderr.split('\n');
    expect(lines.some((l) => /\.cursor\/mcp\.json:\d+/.test(l))).toBe(true);
    expect(
      lines.some((l) => /\.mcp\.json:\d+: server "gh": env\.TOKEN: environment variable MCPB_TEST_UNSET_TOKEN is not set/.test(l)),
      r.stderr,
    ).toBe(true);
    expect(
      lines.some((l) => /\.mcp\.json:\d+: server "memory" skipped: it is disabled/.test(l)),
      r.stderr,
    ).toBe(true);
  });

  it('make `call` name why a configured server was skipped, not "no server named"', { timeout: 60_000 }, async () => {
    const disabled = await runCli(tree, ['call', 'memory/read']);
    expect(disabled.code).toBe(2);
    expect(disabled.stderr).toMatch(/server "memory" \(.*\.mcp\.json:\d+\) is skipped: it is disabled in its config/);
    expect(disabled.stderr).not.toContain('no server named');
    const invalid = await runCli(tree, ['call', 'gh/search']);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(
      /server "gh" .* is skipped: its entry is invalid \(env\.TOKEN: environment variable MCPB_TEST_UNSET_TOKEN is not set/,
    );
  });
});
