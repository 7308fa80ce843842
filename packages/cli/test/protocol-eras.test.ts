import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { stdioTestServer } from '@mcp-bridge/testing';
import type { DoctorJson, ListJson } from '../src/index.js';
import { runCli, tempTree } from './helpers.js';

// A 2026-07-28-only stdio server on the SDK v2 (the transports tests' fixture).
const modernServer = fileURLToPath(new URL('../../transports/test/fixtures/modern-server.mjs', import.meta.url));

describe('the negotiated protocol era in list and doctor', () => {
  it('shows modern and legacy upstreams with the version each speaks', async () => {
    const t = tempTree();
    try {
      t.write('project/.mcp.json', {
        mcpServers: {
          modern: { command: process.execPath, args: [modernServer], env: { MODERN_LEGACY: 'reject' } },
          legacy: {
            ...stdioTestServer({ name: 'legacy-eras', tools: ['echo'], resources: false, prompts: false }),
            protocol: '2025-11-25',
          },
        },
      });
      const list = await runCli(t, ['list', '--json']);
      expect(list.code, list.stderr).toBe(0);
      const listed = Object.fromEntries((JSON.parse(list.stdout) as ListJson).servers.map((s) => [s.name, s]));
      expect(listed.modern).toMatchObject({ state: 'ok', era: 'modern', protocolVersion: '2026-07-28' });
      expect(listed.legacy).toMatchObject({ state: 'ok', era: 'legacy', protocolVersion: '2025-11-25' });

      const doctor = await runCli(t, ['doctor', '--json']);
      const report = Object.fromEntries((JSON.parse(doctor.stdout) as DoctorJson).servers.map((s) => [s.name, s]));
      expect(report.modern).toMatchObject({ state: 'ok', era: 'modern', protocolVersion: '2026-07-28' });
      const human = await runCli(t, ['doctor']);
      expect(human.stdout).toMatch(/modern .*stdio 2026-07-28/);
      expect(human.stdout).toMatch(/legacy .*stdio 2025-11-25/);
    } finally {
      t.remove();
    }
  });

  it('reports a bad protocol value with the file and field', async () => {
    const t = tempTree();
    try {
      t.write('project/.mcp.json', { mcpServers: { odd: { command: 'node', protocol: '2024-11-05' } } });
      const list = await runCli(t, ['list', '--json']);
      const odd = (JSON.parse(list.stdout) as ListJson).servers.find((s) => s.name === 'odd');
      // Discovery skips a bad entry and says why, with the file and line.
      expect(odd).toMatchObject({ state: 'skipped' });
      expect(`${list.stderr}\n${odd?.reason ?? ''}`).toMatch(/protocol.*expected 'auto', '2025-11-25' or '2026-07-28', got "2024-11-05"/);
    } finally {
      t.remove();
    }
  });
});
