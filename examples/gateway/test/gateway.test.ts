import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const example = join(here, '..');
const require = createRequire(import.meta.url);

// The example's .mcp.json, checked the way a user would: `mcp-bridge doctor --config .mcp.json` in this folder.
it('the example config starts its three servers and reports the dead one with its stderr', async () => {
  const bin = join(dirname(require.resolve('mcp-bridge/package.json')), 'src', 'bin.ts');
  const tsx = pathToFileURL(require.resolve('tsx')).href;
  const child = spawn(
    process.execPath,
    ['--conditions=@mcp-bridge/source', '--import', tsx, bin, 'doctor', '--json', '--config', '.mcp.json'],
    {
      cwd: example,
      env: { PATH: process.env.PATH ?? '', HOME: example, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  expect(code, stderr).toBe(1); // `offline` is dead on purpose
  const report = JSON.parse(stdout) as {
    servers: { name: string; state: string; tools: number; stderr?: string }[];
    plugins: { key: string; status: string }[];
  };
  expect(report.servers.map((s) => [s.name, s.state, s.tools])).toEqual([
    ['notes', 'ok', 4],
    ['clock', 'ok', 3],
    ['flaky', 'ok', 2],
    ['offline', 'failed', 0],
  ]);
  expect(report.servers[3]!.stderr).toContain('ECONNREFUSED');
  expect(report.plugins.filter((p) => p.status === 'loaded').map((p) => p.key)).toEqual([
    'validation',
    'retry',
    'cache',
    'health',
    'loadbalancer',
  ]);
});
