import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ListJson } from '../src/index.js';
import { eventually } from '@mcp-bridge/testing';
import { cliCommand, collect, runCli, tempTree, type Tree } from './helpers.js';

// The raw stdio server and the saved lists of real servers live with core's tests.
const raw = fileURLToPath(new URL('../../core/test/fixtures/raw-list-server.mjs', import.meta.url));
const saved = (file: string): string => fileURLToPath(new URL(`../../core/test/fixtures/real-lists/${file}`, import.meta.url));

let tree: Tree;
beforeAll(() => {
  tree = tempTree();
  tree.write('project/.mcp.json', {
    mcpServers: {
      gitlab: { command: process.execPath, args: [raw, saved('server-gitlab-like.json')] },
      broken: { command: process.execPath, args: [raw, saved('server-broken.json')] },
      github: { command: process.execPath, args: [raw, saved('server-github.json')] },
    },
  });
});
afterAll(() => tree.remove());

describe('servers whose lists break the strict schema', () => {
  it('list --json: every repairable tool is listed, and each repair or drop is named per server', async () => {
    const result = await runCli(tree, ['list', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const json = JSON.parse(result.stdout) as ListJson;
    const gitlab = json.servers.find((s) => s.name === 'gitlab')!;
    expect(gitlab).toMatchObject({ state: 'ok', tools: 9 });
    expect(gitlab.warnings).toHaveLength(9);
    expect(gitlab.warnings).toContain('gitlab: tool "create_issue" repaired: inputSchema.type: missing, set to "object"');
    expect(json.servers.find((s) => s.name === 'github')).toMatchObject({ state: 'ok', tools: 6 });
    expect(json.servers.find((s) => s.name === 'github')!.warnings).toBeUndefined();
    const broken = json.servers.find((s) => s.name === 'broken')!;
    expect(broken).toMatchObject({ state: 'ok', tools: 2 });
    expect(broken.warnings).toEqual(
      expect.arrayContaining([expect.stringMatching(/^broken: tool "string_schema" dropped: inputSchema\.type: /)]),
    );
    expect(json.tools.filter((t) => t.server === 'gitlab')).toHaveLength(9);
  });

  it('a repaired tool is called, and validated against its repaired schema, like any other', async () => {
    const ok = await runCli(tree, ['call', 'gitlab/create_issue', '--args', '{"project_id":"1","title":"x"}']);
    expect(ok.stdout.trim(), ok.stderr).toBe('ran create_issue');
    const bad = await runCli(tree, ['call', 'gitlab/create_issue', '--args', '{"project_id":"1"}']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/\/title: must have required property 'title'/);
  });

  it('list and doctor show the warnings to people; serve logs them', async () => {
    const list = await runCli(tree, ['list']);
    expect(list.stdout).toMatch(/⚠ broken: tool "string_schema" dropped: inputSchema\.type:/);
    const doctor = await runCli(tree, ['doctor']);
    expect(doctor.stdout).toMatch(/⚠ gitlab: tool "fork_repository" repaired: inputSchema\.type: missing, set to "object"/);
    // Stdin stays open until the servers have come up (a closed stdin stops the gateway at once, even while they start).
    const { command, args } = cliCommand(['--root', tree.root, 'serve', '--stdio']);
    const child = spawn(command, args, { cwd: tree.project, env: tree.env(), stdio: ['pipe', 'pipe', 'pipe'] });
    const exited = collect(child, 30_000);
    let log = '';
    child.stderr.on('data', (d: Buffer) => (log += d.toString()));
    // Servers start in the background: wait for the catalog line that follows the last of them.
    await eventually(() => log.includes('catalog: '), 20_000);
    child.stdin.end();
    const serve = await exited;
    expect(serve.code).toBe(0);
    expect(serve.stderr).toMatch(/gitlab: tool "push_files" repaired: inputSchema\.type: missing/);
    expect(serve.stderr).toMatch(/✔ gitlab: 9 tools/);
  });
});
