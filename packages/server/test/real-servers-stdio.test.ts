import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testClient, textOf, waitFor, type TestClient } from './support/clients.js';
import { realServers } from './support/servers.js';

const require = createRequire(import.meta.url);
const entry = fileURLToPath(new URL('./support/gateway-entry.ts', import.meta.url));

// The gateway as a desktop client meets it: a child process speaking MCP on its stdio, in front
// of the published servers (themselves child processes of the gateway).
describe('gateway over stdio in front of real published servers', () => {
  let dir: string;
  let transport: StdioClientTransport;
  let c: TestClient;

  beforeAll(async () => {
    dir = await realpath(await mkdtemp(join(tmpdir(), 'mcp-bridge-server-stdio-')));
    await mkdir(join(dir, 'files'));
    await mkdir(join(dir, 'root'));
    await writeFile(join(dir, 'files', 'a.txt'), 'stdio works');
    await writeFile(join(dir, 'root', 'a.txt'), 'stdio works');
    transport = new StdioClientTransport({
      command: process.execPath,
      args: [
        '--conditions=@mcp-bridge/source',
        '--import',
        pathToFileURL(require.resolve('tsx')).href,
        entry,
        JSON.stringify(realServers(join(dir, 'files'), join(dir, 'memory.jsonl'))),
      ],
      stderr: 'pipe',
    });
    transport.stderr?.on('data', () => undefined);
    c = await testClient('desktop', transport, { roots: [{ uri: pathToFileURL(join(dir, 'root')).href, name: 'root' }] });
  }, 60_000);

  afterAll(async () => {
    await c?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('serves every server and calls each of them', async () => {
    const names = (await c.client.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['echo', 'read_text_file', 'create_entities', 'test_simple_text']));
    // At connect server-filesystem swaps its directories for the client's roots (see below): read from there once
    // it has, or the read races with that swap.
    await waitFor('server-filesystem to adopt the client roots at connect', async () =>
      textOf(await c.client.callTool({ name: 'list_allowed_directories', arguments: {} })).includes(join(dir, 'root')),
    );
    expect(textOf(await c.client.callTool({ name: 'read_text_file', arguments: { path: join(dir, 'root', 'a.txt') } }))).toBe(
      'stdio works',
    );
    await c.client.callTool({
      name: 'create_entities',
      arguments: { entities: [{ name: 'stdio', entityType: 'transport', observations: ['line-delimited JSON'] }] },
    });
    expect(textOf(await c.client.callTool({ name: 'search_nodes', arguments: { query: 'stdio' } }))).toContain('line-delimited JSON');
  });

  it('forwards progress, sampling, elicitation and logging to the client', async () => {
    const progress: number[] = [];
    await c.client.request(
      { method: 'tools/call', params: { name: 'trigger-long-running-operation', arguments: { duration: 0.3, steps: 3 } } },
      CallToolResultSchema,
      {
        onprogress: (p) => progress.push(p.progress),
      },
    );
    // The SDK client itself may drop the last one when it reads it in the same chunk as the response
    // (it handles notifications a microtask late); the gateway gives it its own write, which usually suffices.
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress).toEqual([1, 2, 3].slice(0, progress.length));

    expect(
      textOf(await c.client.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'over stdio', maxTokens: 5 } })),
    ).toContain('sampled by desktop');
    expect(c.sampling).toHaveLength(1);
    expect(textOf(await c.client.callTool({ name: 'trigger-elicitation-request', arguments: {} }))).toMatch(/decline/i);
    expect(c.elicitation).toHaveLength(1);

    await c.client.setLoggingLevel('info');
    await c.client.callTool({ name: 'test_tool_with_logging', arguments: {} });
    await waitFor('three log messages', () => c.logs.filter((l) => l.logger === 'conformance-fixture').length >= 3);
  });

  it('roots and list_changed travel both ways', async () => {
    const root = join(dir, 'root');
    // At connect the gateway tells the upstreams to ask for roots again: the desktop client's roots win.
    await waitFor('server-filesystem to adopt the client roots at connect', async () =>
      textOf(await c.client.callTool({ name: 'list_allowed_directories', arguments: {} })).includes(root),
    );
    const other = join(dir, 'files');
    c.roots.splice(0, c.roots.length, { uri: pathToFileURL(other).href, name: 'files' });
    await waitFor('server-filesystem to adopt the changed roots', async () => {
      await c.client.sendRootsListChanged();
      await new Promise((r) => setTimeout(r, 100));
      const listed = textOf(await c.client.callTool({ name: 'list_allowed_directories', arguments: {} }));
      return listed.includes(other) && !listed.includes(root);
    });
    expect(c.rootsAsked).toBeGreaterThan(0);
    await c.client.callTool({ name: 'test_add_tool', arguments: {} });
    await waitFor('tools/list_changed', () => c.listChanged.includes('tools'));
  });

  it('the gateway process exits when the client closes its stdin', async () => {
    const pid = transport.pid;
    expect(pid).toBeTypeOf('number');
    await c.close();
    await waitFor('the gateway process to exit', () => {
      try {
        process.kill(pid!, 0);
        return false;
      } catch {
        return true;
      }
    });
  });
});
