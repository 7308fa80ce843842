import { createBridge, type Bridge, type Plugin } from '@mcp-bridge/core';
import { inMemoryTestServer } from '@mcp-bridge/testing';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { serveHttp, type HttpGateway, type HttpGatewayOptions } from '../src/index.js';

interface Seen {
  method: string;
  caller: string | undefined;
  meta: unknown;
}

/** Records every call's caller and `_meta`, and lists only tools whose name starts with the caller's first letter (`all` and per-session handles see all). */
function probe(seen: Seen[], lists: (string | undefined)[]): Plugin {
  return {
    name: 'probe',
    version: '1.0.0',
    setup(api) {
      api.use({
        phase: 'observe',
        handle(ctx, next) {
          if (ctx.origin === 'caller') seen.push({ method: ctx.method, caller: ctx.caller, meta: ctx.params._meta });
          return next();
        },
      });
      api.filterList('tools', (entry, { caller }) => {
        lists.push(caller);
        // Per-session handles (`session-…`) see everything: a tool hidden from a caller's list is unknown to its calls.
        return caller === 'all' || caller === undefined || caller.startsWith('session-') || entry.upstreamName.startsWith(caller[0]!);
      });
    },
  };
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => undefined);
});

async function start(
  options: HttpGatewayOptions,
): Promise<{ bridge: Bridge; gw: HttpGateway; seen: Seen[]; lists: (string | undefined)[] }> {
  const seen: Seen[] = [];
  const lists: (string | undefined)[] = [];
  const bridge = createBridge({
    servers: { t: inMemoryTestServer({ name: 't' }) },
    plugins: [probe(seen, lists)],
    onError: () => undefined,
  });
  cleanups.push(() => bridge.close());
  const gw = await serveHttp(bridge, { onError: () => undefined, ...options });
  cleanups.push(() => gw.close());
  return { bridge, gw, seen, lists };
}

async function client(url: string, headers?: Record<string, string>): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(url), headers ? { requestInit: { headers } } : undefined);
  const c = new Client({ name: 'callers-test', version: '1.0.0' });
  await c.connect(transport);
  cleanups.push(() => c.close());
  return c;
}

const names = async (c: Client) => (await c.listTools()).tools.map((t) => t.name).sort();

describe('gateway callers', () => {
  it('named tokens: the token that opened a session names its caller, for lists and calls', async () => {
    const { gw, seen, lists } = await start({ tokens: { all: 'tok-all', echoer: 'tok-echo' } });
    const all = await client(gw.url, { authorization: 'Bearer tok-all' });
    const echoer = await client(gw.url, { authorization: 'Bearer tok-echo' });
    const allTools = await names(all);
    const echoTools = await names(echoer);
    expect(allTools.length).toBeGreaterThan(echoTools.length);
    expect(echoTools.length).toBeGreaterThan(0);
    expect(echoTools.every((n) => n.startsWith('e'))).toBe(true);
    expect(new Set(lists)).toEqual(new Set(['all', 'echoer']));

    await echoer.callTool({ name: 'echo', arguments: { text: 'hi' } });
    expect(seen.filter((s) => s.method === 'tools/call').map((s) => s.caller)).toEqual(['echoer']);

    // Unknown token: 401; a session's requests with another (valid) token: 403.
    const unknown = await fetch(gw.url, {
      method: 'POST',
      headers: { authorization: 'Bearer nope', 'content-type': 'application/json' },
      body: '{}',
    });
    expect(unknown.status).toBe(401);
    const sessionId = (echoer.transport as StreamableHTTPClientTransport).sessionId!;
    const hijack = await fetch(gw.url, {
      method: 'POST',
      headers: {
        authorization: 'Bearer tok-all',
        'mcp-session-id': sessionId,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list' }),
    });
    expect(hijack.status).toBe(403);
    expect(await hijack.text()).toContain('this session was opened with another token');
  });

  it('the caller option names the caller from the initialize request; the default is a per-session handle, not the session id', async () => {
    const { gw, seen } = await start({ caller: (req) => req.headers['x-caller'] as string | undefined });
    const named = await client(gw.url, { 'x-caller': 'echo-bot' });
    expect((await names(named)).every((n) => n.startsWith('e'))).toBe(true);
    const anonymous = await client(gw.url);
    await anonymous.callTool({ name: 'echo', arguments: {} });
    await named.callTool({ name: 'echo', arguments: {} });
    const callers = seen.filter((s) => s.method === 'tools/call').map((s) => s.caller);
    expect(callers[0]).toMatch(/^session-[0-9a-f]{12}$/);
    expect(callers[0]).not.toBe((anonymous.transport as StreamableHTTPClientTransport).sessionId);
    expect(callers[1]).toBe('echo-bot');
  });

  it("passes a request's W3C trace context (only that) on to the bridge call", async () => {
    const { gw, seen } = await start({});
    const c = await client(gw.url);
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    await c.request(
      {
        method: 'tools/call',
        params: {
          name: 'echo',
          arguments: { text: 'x' },
          _meta: { traceparent, tracestate: 'vendor=1', other: 'kept out', progressToken: 7 },
        },
      },
      CallToolResultSchema,
    );
    await c.callTool({ name: 'echo', arguments: { text: 'y' } });
    const calls = seen.filter((s) => s.method === 'tools/call');
    expect(calls[0]!.meta).toEqual({ traceparent, tracestate: 'vendor=1' });
    expect(calls[1]!.meta).toBeUndefined();
  });

  it('rejects two callers sharing one token, naming the field', async () => {
    const bridge = createBridge({ servers: {} });
    cleanups.push(() => bridge.close());
    await expect(serveHttp(bridge, { tokens: { a: 'same', b: 'same' } })).rejects.toThrow(
      /serveHttp: invalid options: tokens\.b: same token as "a"/,
    );
  });
});
