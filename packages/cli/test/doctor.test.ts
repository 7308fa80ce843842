import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually, processesWith, stdioTestServer } from '@mcp-bridge/testing';
import type { DoctorJson, ListJson } from '../src/index.js';
import { brokenServer, runCli, tempTree } from './helpers.js';

// One marker per run, in every upstream's command line: after the file, none may be left.
const marker = `doctor-${randomUUID().slice(0, 8)}`;

afterAll(async () => {
  expect(
    await eventually(() => processesWith(marker).length === 0),
    `leftover upstream processes: ${processesWith(marker).join(', ')}`,
  ).toBe(true);
});

describe('doctor', () => {
  it('reports files found and missing, the broken server with its stderr tail, and exits 1', async () => {
    const broken = tempTree();
    try {
      const file = broken.write('project/.mcp.json', {
        mcpServers: {
          good: stdioTestServer({ name: `good-${marker}`, tools: ['echo'], resources: false, prompts: false }),
          broken: brokenServer('FATAL: DATABASE_URL is not set'),
        },
      });
      const human = await runCli(broken, ['doctor']);
      expect(human.code, human.stderr).toBe(1);
      expect(human.stdout).toContain(file);
      expect(human.stdout).toMatch(/missing/); // the other candidate files
      expect(human.stdout).toMatch(/✔ good 1 tool \d+ ms/);
      expect(human.stdout).toMatch(/✖ broken failed/);
      expect(human.stdout).toContain('FATAL: DATABASE_URL is not set');
      expect(human.stdout).toMatch(/1 of 2 servers failed/);

      const json = await runCli(broken, ['doctor', '--json']);
      expect(json.code).toBe(1);
      const report = JSON.parse(json.stdout) as DoctorJson;
      expect(report.ok).toBe(false);
      expect(report.files.find((f) => f.file === file)).toMatchObject({ status: 'loaded', kind: 'project', servers: ['good', 'broken'] });
      expect(report.files.some((f) => f.status === 'missing')).toBe(true);
      const byName = Object.fromEntries(report.servers.map((s) => [s.name, s]));
      expect(byName.good).toMatchObject({ state: 'ok', tools: 1 });
      expect(byName.good!.ms).toBeGreaterThan(0);
      expect(byName.broken).toMatchObject({ state: 'failed', kind: 'stdio' });
      expect(byName.broken!.error).toMatch(/exited with code 3/);
      expect(byName.broken!.stderr).toContain('FATAL: DATABASE_URL is not set');
    } finally {
      broken.remove();
    }
  });

  it('never prints a secret interpolated into a config, even when an error quotes the command line', async () => {
    const t = tempTree();
    try {
      const secret = `tok-${randomUUID()}`;
      t.write('project/.mcp.json', {
        mcpServers: {
          // A server that dies at once and echoes its argument: both the connect error and its stderr carry the secret.
          leaky: {
            command: process.execPath,
            args: ['-e', 'process.stderr.write(process.argv[1] + "\\n"); process.exit(3)', '${LEAKY_TOKEN}'],
          },
        },
      });
      const human = await runCli(t, ['doctor'], { env: { LEAKY_TOKEN: secret } });
      expect(human.code, human.stderr).toBe(1);
      expect(human.stdout + human.stderr).toContain('***');
      expect(human.stdout + human.stderr).not.toContain(secret);
      const json = await runCli(t, ['doctor', '--json'], { env: { LEAKY_TOKEN: secret } });
      expect(json.stdout).not.toContain(secret);
      const list = await runCli(t, ['list'], { env: { LEAKY_TOKEN: secret } });
      expect(list.stdout + list.stderr).not.toContain(secret);
    } finally {
      t.remove();
    }
  });

  // A key that is not built in names a third-party package now: one installed nowhere is "not found".
  it('names an unknown plugin in the config file and exits 2 for commands that need it', async () => {
    const bad = tempTree();
    try {
      const file = bad.write('project/gateway.json', {
        mcpServers: { alpha: stdioTestServer({ name: `p-${marker}`, tools: ['echo'] }) },
        plugins: { 'no-such-plugin-7f3a': {} },
      });
      const r = await runCli(bad, ['call', 'alpha/echo', '--config', file]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`${file}: plugins.no-such-plugin-7f3a: plugin package "no-such-plugin-7f3a" not found`);
      const missing = await runCli(bad, ['list', '--config', 'nowhere.json']);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain('config file not found');
    } finally {
      bad.remove();
    }
  });
});

describe('bundled examples', () => {
  it('with no config anywhere, list shows the bundled example servers', async () => {
    const empty = tempTree();
    try {
      const r = await runCli(empty, ['list', '--json']);
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout) as ListJson;
      expect(out.examples).toBe(true);
      expect(out.servers.map((s) => [s.name, s.state, s.source?.kind])).toEqual([
        ['notes', 'ok', 'bundled'],
        ['clock', 'ok', 'bundled'],
        ['flaky', 'ok', 'bundled'],
      ]);
      const tools = out.tools.map((t) => t.name);
      expect(tools).toEqual(expect.arrayContaining(['search_notes', 'countdown', 'capital', 'notes__about', 'clock__about']));
    } finally {
      empty.remove();
    }
  });
});
