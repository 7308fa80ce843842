import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { McpError, ToolListChangedNotificationSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { expect } from 'vitest';
import { BUILTIN_TOOLS, testResourceUris, type ToolTally } from '../src/index.js';

/** Reads a server's ledger, whichever side of a process boundary it is on. */
export type LedgerReader = () => Promise<Record<string, ToolTally>>;

export function newClient(): Client {
  return new Client({ name: 'testing-tests', version: '0.0.0' });
}

export async function connectInMemory(server: McpServer): Promise<{ client: Client; close(): Promise<void> }> {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const client = newClient();
  await server.connect(serverSide);
  await client.connect(clientSide);
  return {
    client,
    close: async () => {
      await client.close();
      await server.close();
    },
  };
}

/** The ledger as the `test://{name}/ledger` resource reports it (works across processes). */
export function ledgerResource(client: Client, name = 'test-server'): LedgerReader {
  return async () => {
    const read = await client.readResource({ uri: testResourceUris(name).ledger });
    const first = read.contents[0];
    if (!first || !('text' in first)) throw new Error('ledger resource has no text');
    return JSON.parse(first.text) as Record<string, ToolTally>;
  };
}

export async function until(check: () => Promise<boolean> | boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function textOf(result: unknown): string {
  const content = (result as CallToolResult).content;
  const first = content[0];
  if (!first || first.type !== 'text') throw new Error(`expected text content, got ${JSON.stringify(result)}`);
  return first.text;
}

/**
 * Exercises every tool, resource and prompt of a default test server through `client`, the same
 * way for every transport. `name` is the server name; `ledger` reads its execution counters.
 */
export async function exerciseDefaultServer(client: Client, ledger: LedgerReader, name = 'test-server'): Promise<void> {
  // tools/list
  const { tools } = await client.listTools();
  expect(tools.map((t) => t.name).sort()).toEqual([...BUILTIN_TOOLS].sort());
  const byName = new Map(tools.map((t) => [t.name, t]));
  expect(byName.get('echo')?.annotations?.readOnlyHint).toBe(true);
  expect(byName.get('add')?.annotations?.readOnlyHint).toBe(true);
  expect(byName.get('add')?.outputSchema).toBeDefined();
  expect(byName.get('fail')?.annotations).toBeUndefined();

  // echo, add
  expect(textOf(await client.callTool({ name: 'echo', arguments: { text: 'hello' } }))).toBe('hello');
  const sum = await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } });
  expect(sum.structuredContent).toEqual({ sum: 5 });
  expect(textOf(sum)).toBe('5');

  // fail
  const isError = await client.callTool({ name: 'fail', arguments: { mode: 'isError', message: 'nope' } });
  expect(isError.isError).toBe(true);
  expect(textOf(isError)).toBe('nope');
  const thrown = await client.callTool({ name: 'fail', arguments: { mode: 'throw', message: 'boom', code: -32050 } }).then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(thrown).toBeInstanceOf(McpError);
  expect((thrown as McpError).code).toBe(-32050);
  expect((thrown as McpError).message).toContain('boom');
  const thrownDefault = await client.callTool({ name: 'fail', arguments: { mode: 'throw' } }).catch((error: unknown) => error);
  expect((thrownDefault as McpError).code).toBe(-32603);

  // progress: one notification per step, in order, before the result
  const progress: number[] = [];
  const done = await client.callTool({ name: 'progress', arguments: { steps: 3, delayMs: 20 } }, undefined, {
    onprogress: (p) => progress.push(p.progress),
  });
  expect(textOf(done)).toBe('completed 3 steps');
  expect(progress).toEqual([1, 2, 3]);

  // slow + cancellation reaching the server
  expect(textOf(await client.callTool({ name: 'slow', arguments: { ms: 5 } }))).toBe('slept 5 ms');
  const controller = new AbortController();
  const pending = client.callTool({ name: 'slow', arguments: { ms: 60_000 } }, undefined, { signal: controller.signal });
  const rejected = pending.then(
    () => false,
    () => true,
  );
  await until(async () => (await ledger()).slow?.inFlight === 1);
  controller.abort('test cancels');
  expect(await rejected).toBe(true);
  await until(async () => (await ledger()).slow?.cancelled === 1);
  const slow = (await ledger()).slow;
  expect(slow).toMatchObject({ calls: 2, ok: 1, cancelled: 1, inFlight: 0 });

  // add_tool -> tools/list_changed
  let listChanged = 0;
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
    listChanged++;
  });
  expect(textOf(await client.callTool({ name: 'add_tool', arguments: { name: 'dynamic' } }))).toBe('added dynamic');
  await until(() => listChanged > 0);
  expect((await client.listTools()).tools.map((t) => t.name)).toContain('dynamic');
  expect(textOf(await client.callTool({ name: 'dynamic', arguments: { text: 'again' } }))).toBe('again');
  const duplicate = await client.callTool({ name: 'add_tool', arguments: { name: 'dynamic' } });
  expect(duplicate.isError).toBe(true);

  // whoami
  const who = JSON.parse(textOf(await client.callTool({ name: 'whoami', arguments: {} }))) as { server: string; pid: number };
  expect(who.server).toBe(name);
  expect(typeof who.pid).toBe('number');

  // ledger counted everything above
  const counts = await ledger();
  expect(counts.echo).toMatchObject({ calls: 1, ok: 1 });
  expect(counts.fail).toMatchObject({ calls: 3, errors: 3 });
  expect(counts.dynamic).toMatchObject({ calls: 1, ok: 1 });

  // resources
  const uris = testResourceUris(name);
  const { resources } = await client.listResources();
  expect(resources.map((r) => r.uri).sort()).toEqual([uris.ledger, uris.readme].sort());
  const { resourceTemplates } = await client.listResourceTemplates();
  expect(resourceTemplates.map((t) => t.uriTemplate)).toEqual([uris.itemTemplate]);
  const readme = await client.readResource({ uri: uris.readme });
  expect(readme.contents[0]).toMatchObject({ uri: uris.readme, mimeType: 'text/plain' });
  const item = await client.readResource({ uri: uris.item('7') });
  expect(item.contents[0]).toMatchObject({ uri: uris.item('7'), text: `item 7 of ${name}` });
  const completion = await client.complete({ ref: { type: 'ref/resource', uri: uris.itemTemplate }, argument: { name: 'id', value: '' } });
  expect(completion.completion.values).toEqual(['1', '2', '3']);

  // prompts
  const { prompts } = await client.listPrompts();
  expect(prompts.map((p) => p.name)).toEqual(['greet']);
  const greet = await client.getPrompt({ name: 'greet', arguments: { who: 'alice' } });
  expect(greet.messages[0]?.content).toEqual({ type: 'text', text: 'Say hello to alice.' });
  const names = await client.complete({ ref: { type: 'ref/prompt', name: 'greet' }, argument: { name: 'who', value: 'a' } });
  expect(names.completion.values).toEqual(['alice']);
}
