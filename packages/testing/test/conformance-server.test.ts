import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { CallToolResultSchema, CreateMessageRequestSchema, ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { conformanceServerCommand, createConformanceServer } from '../src/index.js';
import { textOf, until } from './support.js';

// The full suite runs against this fixture in packages/server/test/conformance.test.ts; these are
// the fixture's own checks: the extra tools the gateway tests rely on, and the stdio entry.
describe('createConformanceServer', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const fn of cleanups.splice(0)) await fn();
  });

  async function connect(): Promise<Client> {
    const server = createConformanceServer({ name: 'fixture-under-test' });
    const [a, b] = InMemoryTransport.createLinkedPair();
    const client = new Client({ name: 'c', version: '1' }, { capabilities: { sampling: {} } });
    client.setRequestHandler(CreateMessageRequestSchema, () => ({
      role: 'assistant',
      content: { type: 'text', text: 'sampled' },
      model: 'm',
    }));
    await server.connect(b);
    await client.connect(a);
    cleanups.push(async () => {
      await client.close();
      await server.close();
    });
    return client;
  }

  it('serves the conformance tools with the exact texts the suite checks', async () => {
    const client = await connect();
    expect(client.getServerVersion()).toEqual({ name: 'fixture-under-test', version: '1.0.0' });
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(
      expect.arrayContaining(['test_simple_text', 'test_sampling', 'test_elicitation_sep1330_enums', 'json_schema_2020_12_tool']),
    );
    expect(textOf(await client.callTool({ name: 'test_simple_text', arguments: {} }))).toBe('This is a simple text response for testing.');
    expect(textOf(await client.callTool({ name: 'test_sampling', arguments: { prompt: 'p' } }))).toBe('LLM response: sampled');
    const progress: number[] = [];
    await client.request({ method: 'tools/call', params: { name: 'test_tool_with_progress', arguments: {} } }, CallToolResultSchema, {
      onprogress: (p) => progress.push(p.progress),
    });
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect((await client.readResource({ uri: 'test://template/42/data' })).contents[0]).toMatchObject({
      text: expect.stringContaining('"id":"42"'),
    });
    await expect(client.readResource({ uri: 'test://missing' })).rejects.toThrow(/-32002/);
  });

  it('reports cancellation, sends resource updates to subscribers and adds a tool with list_changed', async () => {
    const client = await connect();
    const controller = new AbortController();
    const waiting = client.callTool({ name: 'test_wait_for_cancel', arguments: {} }, undefined, { signal: controller.signal });
    await new Promise((r) => setTimeout(r, 50));
    controller.abort();
    await expect(waiting).rejects.toThrow();
    await until(async () => JSON.parse(textOf(await client.callTool({ name: 'test_last_cancel', arguments: {} }))).cancelled === true);

    const updated: string[] = [];
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void updated.push(n.params.uri));
    expect(textOf(await client.callTool({ name: 'test_update_watched_resource', arguments: {} }))).toBe('not subscribed');
    await client.subscribeResource({ uri: 'test://watched-resource' });
    await client.callTool({ name: 'test_update_watched_resource', arguments: {} });
    await until(() => updated.length === 1);

    await client.callTool({ name: 'test_add_tool', arguments: {} });
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('test_added_tool');
  });

  it('conformanceServerCommand runs the fixture as a child process over stdio', async () => {
    const { command, args } = conformanceServerCommand({ name: 'over-stdio' });
    expect(command).toBe(process.execPath);
    const client = new Client({ name: 'c', version: '1' });
    await client.connect(new StdioClientTransport({ command, args, stderr: 'pipe' }));
    cleanups.push(() => client.close());
    expect(client.getServerVersion()?.name).toBe('over-stdio');
    expect(textOf(await client.callTool({ name: 'test_error_handling', arguments: {} }))).toContain('intentionally returns an error');
  });
});
