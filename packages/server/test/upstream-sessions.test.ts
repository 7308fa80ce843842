import { createBridge, OverloadedError, type Bridge, type BridgeOptions, type CallLink } from '@mcp-bridge/core';
import { conformanceServerCommand } from '@mcp-bridge/testing';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { gatewayClientCapabilities, serveHttp } from '../src/index.js';
import { httpClient, textOf, waitFor } from './support/clients.js';

// Core's per-caller upstream sessions (`sessions`, `maxSessionsPerUpstream`, `sessionIdleMs`):
// the cap, idle reaping of stdio children, the modes, and a request an upstream sends after its call returned.

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A small SDK server: `wait` (ms), and `ask_later`, which returns at once and asks for sampling `delayMs` later. */
function lateServer(outcomes: string[]): Server {
  const server = new Server({ name: 'late', version: '1.0.0' }, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, () => ({
    tools: [
      { name: 'wait', inputSchema: { type: 'object' as const } },
      { name: 'ask_later', inputSchema: { type: 'object' as const } },
    ],
  }));
  server.setRequestHandler(CallToolRequestSchema, async (request) => {
    const args = request.params.arguments ?? {};
    if (request.params.name === 'wait') await sleep(Number(args.ms ?? 0));
    else {
      setTimeout(
        () => {
          const ask = { messages: [{ role: 'user' as const, content: { type: 'text' as const, text: 'late question' } }], maxTokens: 5 };
          server.createMessage(ask).then(
            (r) => outcomes.push(`answered: ${JSON.stringify(r.content)}`),
            (e: Error) => outcomes.push(`refused: ${e.message}`),
          );
        },
        Number(args.delayMs ?? 1_000),
      );
    }
    return { content: [{ type: 'text', text: `${request.params.name} done` }] };
  });
  return server;
}

/** A caller's link as a gateway makes one: a client key, nothing to ask. */
function link(client: string): CallLink {
  return { signal: undefined, client, sent: () => undefined, settled: () => undefined, ask: () => Promise.reject(new Error('no')) };
}

describe('per-caller upstream sessions', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => undefined);
  });

  async function started(options: BridgeOptions): Promise<{ bridge: Bridge; connects: () => number }> {
    const bridge = createBridge({ clientCapabilities: gatewayClientCapabilities(), onError: () => undefined, ...options });
    let connects = 0;
    bridge.on('connect:after', () => void connects++);
    cleanups.push(() => bridge.close());
    await bridge.start();
    return { bridge, connects: () => connects };
  }

  it('maxSessionsPerUpstream: past it a call waits for a session within its deadline, then fails naming the server and the limit', async () => {
    const outcomes: string[] = [];
    const { bridge, connects } = await started({
      servers: { late: { type: 'in-memory', server: () => lateServer(outcomes), maxSessionsPerUpstream: 2 } },
    });
    const held = ['a', 'b'].map((c) => bridge.callTool('wait', { ms: 1_500 }, { link: link(c) }));
    await sleep(200);
    const refused = bridge.callTool('wait', { ms: 0 }, { link: link('c'), timeout: 300 });
    await expect(refused).rejects.toBeInstanceOf(OverloadedError);
    await expect(refused).rejects.toThrow(/server "late" has 2 upstream sessions \(maxSessionsPerUpstream\), all held by other callers/);
    // A patient caller gets the first session freed.
    expect(textOf(await bridge.callTool('wait', { ms: 0 }, { link: link('c') }))).toBe('wait done');
    await Promise.all(held);
    expect(connects()).toBe(2);
  });

  it('sessions: shared keeps one upstream session for every caller; per-client / per-principal give each client / principal its own, never lent', async () => {
    const outcomes: string[] = [];
    const shared = await started({ servers: { late: { type: 'in-memory', server: () => lateServer(outcomes), sessions: 'shared' } } });
    await Promise.all(['a', 'b', 'c'].map((c) => shared.bridge.callTool('wait', { ms: 100 }, { link: link(c) })));
    expect(shared.connects()).toBe(1);

    const own = await started({ servers: { late: { type: 'in-memory', server: () => lateServer(outcomes), sessions: 'per-client' } } });
    for (const c of ['a', 'b', 'a', 'b']) await own.bridge.callTool('wait', { ms: 0 }, { link: link(c) });
    // The catalog's session, then one per client (sequential calls included: never lent to another).
    expect(own.connects()).toBe(3);

    const principal = await started({
      servers: { late: { type: 'in-memory', server: () => lateServer(outcomes), sessions: 'per-principal' } },
    });
    // Two clients of principal "team", one of "other": one session each principal, besides the catalog's.
    const as = (client: string, caller: string) => ({ link: link(client), caller });
    await Promise.all([as('a', 'team'), as('b', 'team'), as('c', 'other')].map((o) => principal.bridge.callTool('wait', { ms: 50 }, o)));
    expect(principal.connects()).toBe(3);

    const auto = await started({ servers: { late: { type: 'in-memory', server: () => lateServer(outcomes) } } });
    for (const c of ['a', 'b', 'c']) {
      await auto.bridge.callTool('wait', { ms: 0 }, { link: link(c) });
      await sleep(1_100); // past the quiet period: the free session is lent to the next caller
    }
    expect(auto.connects()).toBe(1);
  });

  it('an idle caller session is closed: its stdio child ends', { timeout: 30_000 }, async () => {
    const pids: number[] = [];
    const { bridge } = await started({ servers: { fixture: { ...conformanceServerCommand(), sessionIdleMs: 300 } } });
    bridge.on('connect:after', ({ connection }) => void (connection.pid !== undefined && pids.push(connection.pid)));
    const stop = new AbortController();
    const busy = bridge.callTool('test_wait_for_cancel', { ms: 20_000 }, { link: link('a'), signal: stop.signal }).catch(() => undefined);
    await sleep(100);
    // The shared session is held by A: B gets a session (a process) of its own.
    expect(textOf(await bridge.callTool('test_simple_text', {}, { link: link('b') }))).toContain('This is a simple text response');
    expect(pids).toHaveLength(1);
    const alive = (pid: number): boolean => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    await waitFor("B's idle session's process to end", () => !alive(pids[0]!));
    stop.abort();
    await busy;
  });

  it("sampling an upstream sends 1 s after B's call returned is refused; A, with a call in flight, sees nothing", async () => {
    const outcomes: string[] = [];
    const bridge = createBridge({
      servers: { late: { type: 'in-memory', server: () => lateServer(outcomes) } },
      clientCapabilities: gatewayClientCapabilities(),
      onError: () => undefined,
    });
    cleanups.push(() => bridge.close());
    const gateway = await serveHttp(bridge, { onError: () => undefined });
    cleanups.push(() => gateway.close());
    const a = await httpClient('a', gateway.url);
    const b = await httpClient('b', gateway.url);
    cleanups.push(
      () => a.close(),
      () => b.close(),
    );
    expect(textOf(await b.client.callTool({ name: 'ask_later', arguments: { delayMs: 1_000 } }))).toBe('ask_later done');
    // A's call starts after B's returned, and is in flight when the upstream asks.
    await sleep(200);
    const waiting = a.client.callTool({ name: 'wait', arguments: { ms: 1_500 } });
    await waitFor('the late request to be answered or refused', () => outcomes.length === 1);
    expect(await waiting).toMatchObject({ content: [{ text: 'wait done' }] });
    expect(outcomes[0]).toMatch(/^refused: .*no call of any client is in flight on this upstream session/);
    expect(a.sampling).toHaveLength(0);
    expect(b.sampling).toHaveLength(0);
  });
});
