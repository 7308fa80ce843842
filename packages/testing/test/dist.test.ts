import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { StdioClientTransport as ModernStdioTransport } from '@modelcontextprotocol/client/stdio';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { describe, expect, it } from 'vitest';
import { modernClient } from './modern-support.js';
import { newClient, textOf, until } from './support.js';

type Api = typeof import('../src/index.js');

const distIndex = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const distBin = fileURLToPath(new URL('../dist/bin/stdio-server.js', import.meta.url));
const built = existsSync(distIndex) && existsSync(distBin);

// Runs only after `pnpm build` (the root `pnpm test` builds first): proves the published layout works.
describe.skipIf(!built)('built package', () => {
  const formats: [string, () => Promise<Api>][] = [
    ['ESM', async () => (await import(pathToFileURL(distIndex).href)) as Api],
    ['CJS', async () => createRequire(import.meta.url)('../dist/index.cjs') as Api],
  ];

  it.each(formats)('%s: stdioTestServer runs dist/bin/stdio-server.js with plain node', async (_format, load) => {
    const { stdioTestServer } = await load();
    const { command, args } = stdioTestServer({ name: 'built' });
    expect(command).toBe(process.execPath);
    expect(args).toEqual([distBin, '--options', '{"name":"built"}']);

    const transport = new StdioClientTransport({ command, args, stderr: 'pipe' });
    const client = newClient();
    await client.connect(transport);
    const pid = transport.pid;
    try {
      expect(textOf(await client.callTool({ name: 'echo', arguments: { text: 'dist' } }))).toBe('dist');
      expect(JSON.parse(textOf(await client.callTool({ name: 'whoami', arguments: {} })))).toEqual({ server: 'built', pid });
    } finally {
      await client.close();
    }
    if (pid !== null) {
      await until(() => {
        try {
          process.kill(pid, 0);
          return false;
        } catch {
          return true;
        }
      });
    }
  });
  it.each(formats)('%s: modernStdioTestServer runs dist/bin/modern-server.js with plain node', async (_format, load) => {
    const { modernStdioTestServer } = await load();
    const { command, args } = modernStdioTestServer({ era: 'modern-only' });
    expect(args[0]).toBe(fileURLToPath(new URL('../dist/bin/modern-server.js', import.meta.url)));
    const { client } = modernClient({ pin: '2026-07-28' });
    await client.connect(new ModernStdioTransport({ command, args, stderr: 'pipe' }));
    try {
      expect(textOf(await client.callTool({ name: 'echo', arguments: { text: 'dist' } }))).toBe('dist');
    } finally {
      await client.close();
    }
  });
  it.each(formats)(
    '%s: modernConformanceServerCommand runs dist/bin/modern-conformance-server.js with plain node',
    async (_format, load) => {
      const { modernConformanceServerCommand } = await load();
      const { command, args } = modernConformanceServerCommand({ era: 'modern-only' });
      expect(args[0]).toBe(fileURLToPath(new URL('../dist/bin/modern-conformance-server.js', import.meta.url)));
      const { client } = modernClient({ pin: '2026-07-28' });
      await client.connect(new ModernStdioTransport({ command, args, stderr: 'pipe' }));
      try {
        expect(textOf(await client.callTool({ name: 'test_simple_text', arguments: {} }))).toBe(
          'This is a simple text response for testing.',
        );
      } finally {
        await client.close();
      }
    },
  );
});
