import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBridge } from '@mcp-bridge/core';
import { accessRules } from '@mcp-bridge/plugin-access';
import { serveHttp } from '@mcp-bridge/server';
import { validation } from '@mcp-bridge/validation';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { toolSearch, type ListedHit } from '../src/index.js';

const require = createRequire(import.meta.url);
const memoryBin = join(require.resolve('@modelcontextprotocol/server-memory/package.json'), '..', 'dist/index.js');

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

/** The published server-memory over stdio (a real child process) behind an HTTP gateway, and an SDK client per token. */
async function gateway() {
  const dir = mkdtempSync(join(tmpdir(), 'tool-search-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const bridge = createBridge({
    servers: { memory: { command: process.execPath, args: [memoryBin], env: { MEMORY_FILE_PATH: join(dir, 'memory.jsonl') } } },
    plugins: [
      accessRules({ callers: { reader: { deny: ['memory/delete_*', 'memory/create_*', 'memory/add_*'] } } }),
      validation(),
      toolSearch(),
    ],
    onError: () => undefined,
  });
  cleanups.push(() => bridge.close());
  const gw = await serveHttp(bridge, { tokens: { writer: 'tok-writer', reader: 'tok-reader' }, onError: () => undefined });
  cleanups.push(() => gw.close());
  const client = async (token: string): Promise<Client> => {
    const c = new Client({ name: 'tool-search-test', version: '1.0.0' });
    await c.connect(new StreamableHTTPClientTransport(new URL(gw.url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
    cleanups.push(() => c.close());
    return c;
  };
  return { writer: await client('tok-writer'), reader: await client('tok-reader') };
}

const text = (r: unknown): string => ((r as CallToolResult).content[0] as { text: string }).text;
const found = async (c: Client, query: string): Promise<string[]> =>
  ((await c.callTool({ name: 'search_tools', arguments: { query } })).structuredContent as { tools: ListedHit[] }).tools.map((t) => t.name);

describe('toolSearch behind a gateway, in front of the published server-memory (stdio)', () => {
  it('lists the meta-tools; a client finds, describes and calls the real tools through them, per caller', async () => {
    const { writer, reader } = await gateway();
    expect((await writer.listTools()).tools.map((t) => t.name)).toEqual(['search_tools', 'describe_tool', 'call_tool']);

    expect((await found(writer, 'remember that Alice works at Acme')).slice(0, 3)).toContain('create_entities');
    const schema = JSON.parse(text(await writer.callTool({ name: 'describe_tool', arguments: { name: 'create_entities' } }))) as {
      inputSchema: { required: string[] };
    };
    expect(schema.inputSchema.required).toEqual(['entities']);

    // Bad arguments: the validation plugin's answer, before server-memory sees the call.
    const bad = await writer.callTool({ name: 'call_tool', arguments: { name: 'create_entities', arguments: { entities: 'Alice' } } });
    expect(bad.isError).toBe(true);
    expect(text(bad)).toMatch(/entities/);

    const entity = { name: 'Alice', entityType: 'person', observations: ['works at Acme'] };
    await writer.callTool({ name: 'call_tool', arguments: { name: 'create_entities', arguments: { entities: [entity] } } });
    const graph = await writer.callTool({ name: 'call_tool', arguments: { name: 'read_graph', arguments: {} } });
    expect(text(graph)).toContain('works at Acme');

    // The reader may not write: the writing tools are neither found nor callable for it.
    expect(await found(reader, 'remember that Bob works at Initech')).not.toContain('create_entities');
    expect(await found(reader, 'forget Alice')).not.toContain('delete_entities');
    const refused = await reader.callTool({
      name: 'call_tool',
      arguments: { name: 'delete_entities', arguments: { entityNames: ['Alice'] } },
    });
    expect(refused.isError).toBe(true);
    expect(text(await reader.callTool({ name: 'call_tool', arguments: { name: 'read_graph', arguments: {} } }))).toContain('Alice');
  });
});
