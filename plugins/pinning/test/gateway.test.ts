import { serveHttp } from '@mcp-bridge/server';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pinning } from '../src/index.js';
import { Scratch, tool } from './helpers.js';

let s: Scratch;
beforeEach(async () => {
  s = await new Scratch().open();
  await s.define([tool('search', 'Search the docs'), tool('fetch', 'Fetch one page')]);
});
afterEach(() => s.close());

describe('through the HTTP gateway', () => {
  it('a client sees a hidden tool leave its list, and a blocked call fail with the changed field named', async () => {
    const bridge = await s.bridge([pinning({ file: s.pins, onChange: 'block', onNew: 'hide', log: false })]);
    const gw = await serveHttp(bridge, { onError: () => undefined });
    s.cleanups.unshift(() => gw.close());
    const client = new Client({ name: 'pinning-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(gw.url)));
    s.cleanups.unshift(() => client.close());
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(['fetch', 'search']);

    const noticed = new Promise<void>((resolve) => {
      const off = bridge.on('pinning:drift', (e) => {
        if (e.name === 'search') resolve(off());
      });
    });
    await s.define([
      tool('search', 'Search the docs', { inputSchema: { type: 'object', properties: { q: { type: 'string' } } } }),
      tool('fetch', 'Fetch one page'),
      tool('wipe', 'Wipes the disk'),
    ]);
    await noticed;
    await bridge.listTools({ refresh: true });

    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(['fetch', 'search']);
    const outcome = await client.callTool({ name: 'search', arguments: {} }).then(
      (result) => JSON.stringify(result),
      (error: unknown) => String(error),
    );
    expect(outcome).toContain('changed since it was pinned (changed: inputSchema)');
    expect(outcome).toContain('mcp-bridge pins diff docs/search');
  });
});
