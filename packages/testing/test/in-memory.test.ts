import { describe, expect, it } from 'vitest';
import { createTestServer, getLedger, inMemoryTestServer, LONG_TOOL_NAME, TestLedger } from '../src/index.js';
import { connectInMemory, exerciseDefaultServer, textOf } from './support.js';

describe('createTestServer over an in-memory transport', () => {
  it('serves every tool, resource and prompt', async () => {
    const server = createTestServer();
    const { client, close } = await connectInMemory(server);
    try {
      const ledger = getLedger(server);
      await exerciseDefaultServer(client, async () => ledger.snapshot());
      expect(ledger.calls('echo')).toBe(1);
      expect(ledger.cancelled('slow')).toBe(1);
    } finally {
      await close();
    }
  });

  it('names the server and reports its pid', async () => {
    const server = createTestServer({ name: 'alpha', version: '2.0.0' });
    const { client, close } = await connectInMemory(server);
    try {
      expect(client.getServerVersion()).toMatchObject({ name: 'alpha', version: '2.0.0' });
      const who = JSON.parse(textOf(await client.callTool({ name: 'whoami', arguments: {} }))) as unknown;
      expect(who).toEqual({ server: 'alpha', pid: process.pid });
    } finally {
      await close();
    }
  });

  it('prefixes every tool name, including extra and runtime-added tools', async () => {
    const server = createTestServer({ toolPrefix: 'a_', tools: ['echo', 'add_tool'], extraTools: ['copy'] });
    const { client, close } = await connectInMemory(server);
    try {
      expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['a_echo', 'a_add_tool', 'a_copy']);
      expect(textOf(await client.callTool({ name: 'a_add_tool', arguments: { name: 'x' } }))).toBe('added a_x');
      expect(textOf(await client.callTool({ name: 'a_x', arguments: { text: 't' } }))).toBe('t');
      expect(getLedger(server).snapshot()).toMatchObject({ a_add_tool: { calls: 1 }, a_x: { calls: 1 } });
    } finally {
      await close();
    }
  });

  it('turns tools, resources and prompts off', async () => {
    const server = createTestServer({ tools: false, resources: false, prompts: false, extraTools: ['echo'] });
    const { client, close } = await connectInMemory(server);
    try {
      expect(client.getServerCapabilities()?.resources).toBeUndefined();
      expect(client.getServerCapabilities()?.prompts).toBeUndefined();
      expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['echo']);
    } finally {
      await close();
    }
    const bare = createTestServer({ tools: false, resources: false, prompts: false });
    const second = await connectInMemory(bare);
    try {
      expect(second.client.getServerCapabilities()?.tools).toBeUndefined();
    } finally {
      await second.close();
    }
  });

  it('two servers can expose colliding names, and a name past the 64-character client limit', async () => {
    const a = createTestServer({ name: 'a', tools: ['echo'], extraTools: [LONG_TOOL_NAME] });
    const b = createTestServer({ name: 'b', tools: ['echo'] });
    const ca = await connectInMemory(a);
    const cb = await connectInMemory(b);
    try {
      expect(LONG_TOOL_NAME.length).toBeGreaterThan(64);
      expect(LONG_TOOL_NAME.length).toBeLessThanOrEqual(128);
      expect((await ca.client.listTools()).tools.map((t) => t.name)).toEqual(['echo', LONG_TOOL_NAME]);
      expect((await cb.client.listTools()).tools.map((t) => t.name)).toEqual(['echo']);
      expect(textOf(await ca.client.callTool({ name: LONG_TOOL_NAME, arguments: { text: 'long' } }))).toBe('long');
    } finally {
      await ca.close();
      await cb.close();
    }
  });

  it('takes tool annotations per tool, replacing the defaults', async () => {
    const server = createTestServer({
      annotations: { echo: { readOnlyHint: false, idempotentHint: true }, slow: { readOnlyHint: true }, copy: { title: 'Copy' } },
      extraTools: ['copy'],
    });
    const { client, close } = await connectInMemory(server);
    try {
      const tools = new Map((await client.listTools()).tools.map((t) => [t.name, t.annotations]));
      expect(tools.get('echo')).toEqual({ readOnlyHint: false, idempotentHint: true });
      expect(tools.get('add')).toEqual({ readOnlyHint: true });
      expect(tools.get('slow')).toEqual({ readOnlyHint: true });
      expect(tools.get('copy')).toEqual({ title: 'Copy' });
    } finally {
      await close();
    }
  });

  it('cancels running tools when the connection closes', async () => {
    const server = createTestServer();
    const { client, close } = await connectInMemory(server);
    const pending = client.callTool({ name: 'slow', arguments: { ms: 60_000 } }).catch(() => 'rejected');
    await getLedger(server).waitFor((l) => l.tally('slow').inFlight === 1);
    await close();
    expect(await pending).toBe('rejected');
    await getLedger(server).waitFor((l) => l.cancelled('slow') === 1);
  });

  it('rejects invalid and unknown options with a message naming the field', () => {
    expect(() => createTestServer({ tools: ['nope' as 'echo'] })).toThrow(/tools: expected a boolean or a list of: echo, add/);
    expect(() => createTestServer({ toolprefix: 'x' } as never)).toThrow(/toolprefix|Unrecognized/);
    expect(() => getLedger({} as never)).toThrow(TypeError);
  });
});

describe('inMemoryTestServer', () => {
  it('returns an in-memory config whose servers share one ledger', async () => {
    const config = inMemoryTestServer({ name: 'mem' });
    expect(config.type).toBe('in-memory');
    const first = config.server();
    const second = config.server();
    expect(first).not.toBe(second);
    const c1 = await connectInMemory(first);
    const c2 = await connectInMemory(second);
    try {
      await c1.client.callTool({ name: 'echo', arguments: { text: '1' } });
      await c2.client.callTool({ name: 'echo', arguments: { text: '2' } });
      expect(config.ledger.calls('echo')).toBe(2);
      expect(getLedger(first)).toBe(config.ledger);
    } finally {
      await c1.close();
      await c2.close();
    }
  });

  it('uses a given ledger and validates options eagerly', () => {
    const ledger = new TestLedger();
    expect(inMemoryTestServer({ ledger }).ledger).toBe(ledger);
    expect(() => inMemoryTestServer({ name: '' })).toThrow(/name/);
  });
});
