import { describe, expect, it, vi } from 'vitest';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { LATEST_PROTOCOL_VERSION, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { createBridge, InvalidResponseError, type Namer, type Plugin } from '../src/index.js';
import { fixtureServer, inMemory, text, useBridges } from './fixtures.js';

const { started, track } = useBridges();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A hand-written upstream (no SDK server, which would refuse to send an invalid result): answers
 * initialize and tools/list properly, and tools/call with `callResult` as it is.
 */
function rawServer(callResult: unknown) {
  let transport: Transport | undefined;
  return {
    async connect(t: Transport) {
      transport = t;
      t.onmessage = (message) => {
        const m = message as { id?: number; method?: string };
        if (m.id === undefined) return;
        const result =
          m.method === 'initialize'
            ? { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: { tools: {} }, serverInfo: { name: 'raw', version: '1' } }
            : m.method === 'tools/list'
              ? { tools: [{ name: 'bad', inputSchema: { type: 'object' } }] }
              : m.method === 'tools/call'
                ? callResult
                : {};
        void t.send({ jsonrpc: '2.0', id: m.id, result } as never);
      };
      await t.start();
    },
    async close() {
      await transport?.close();
    },
  };
}

/** An in-memory server config that counts connections and live instances. */
function counted(build: () => McpServer | Server) {
  const counts = { connects: 0, live: 0 };
  const config = {
    type: 'in-memory' as const,
    server: () => {
      const inner = build();
      counts.connects++;
      return {
        connect: async (t: Parameters<McpServer['connect']>[0]) => {
          counts.live++;
          const onclose = () => counts.live--;
          await inner.connect(t);
          const previous = t.onclose;
          t.onclose = () => {
            previous?.();
            onclose();
          };
        },
        close: () => inner.close(),
      };
    },
  };
  return { counts, config };
}

describe('connection and catalog lifecycle', () => {
  it('a server that dies on every list backs off instead of reconnecting in a loop', async () => {
    let crashing = false;
    let last: Server | undefined;
    const { counts, config } = counted(() => {
      const s = (last = new Server({ name: 'crashy', version: '1' }, { capabilities: { tools: {} } }));
      s.setRequestHandler(ListToolsRequestSchema, async () => {
        if (crashing) {
          setTimeout(() => void s.close(), 0);
          return new Promise(() => undefined); // never answers: the connection dies first
        }
        return { tools: [{ name: 't', inputSchema: { type: 'object' } }] };
      });
      return s;
    });
    const bridge = await started({ servers: { c: config }, reconnectMinMs: 200 });
    crashing = true;
    // The connection is gone, so the refresh below reconnects first, then the server dies on the list.
    await last!.close();
    await sleep(10);
    const t = Date.now();
    const { _meta } = await bridge.listTools({ refresh: true });
    expect(Date.now() - t).toBeLessThan(3_000);
    expect(_meta['mcp-bridge/servers'].c!.status).not.toBe('ok');
    await sleep(300);
    expect(counts.connects).toBeLessThanOrEqual(3);
  });

  it('a server that was down at start joins the catalog when it comes up', async () => {
    let up = false;
    const bridge = await started({
      servers: {
        late: {
          type: 'in-memory',
          server: () => {
            if (!up) throw new Error('not yet');
            return fixtureServer('late', ['late_tool']).server;
          },
        },
        a: inMemory('a'),
      },
      reconnectMinMs: 10,
    });
    expect((await bridge.listTools()).tools.map((t) => t.name)).toEqual(['echo']);
    const changed = new Promise((resolve) => bridge.on('catalog:changed', resolve));
    up = true;
    await sleep(20);
    await bridge.ping('late');
    expect(await changed).toEqual({ server: 'late', kinds: ['tools'] });
    expect(bridge.tools().map((t) => t.name)).toEqual(['late_tool', 'echo']);
  });

  it('a list that lands after its server was removed is dropped, and re-adding reports the tools again', async () => {
    const slowCache: Plugin = {
      name: 'slow-cache-write',
      version: '1.0.0',
      setup: (api) =>
        api.use({
          phase: 'cache',
          methods: ['tools/list'],
          async handle(_ctx, next) {
            const r = await next();
            await sleep(50);
            return r;
          },
        }),
    };
    const bridge = await started({ servers: { a: inMemory('a', ['t']) }, plugins: [slowCache] });
    const events: string[] = [];
    bridge.on('catalog:changed', ({ server, kinds }) => events.push(`${server}:${kinds.join(',')}`));
    const refreshing = bridge.listTools({ refresh: true });
    await sleep(10);
    await bridge.removeServer('a');
    await refreshing;
    await sleep(60);
    expect(events).toEqual(['a:tools,prompts,resources']);
    await bridge.addServer('a', inMemory('a', ['t']));
    expect(events).toEqual(['a:tools,prompts,resources', 'a:tools']);
    expect(bridge.tools().map((t) => t.name)).toEqual(['t']);
  });

  it('a call routed before its server was removed does not reopen it, and no health event follows the removal', async () => {
    const { counts, config } = counted(() => fixtureServer('a', ['t']).server);
    // The call waits in the upstream phase (routed, not yet sent) until the removal is done.
    let routed!: () => void;
    const inUpstreamPhase = new Promise<void>((resolve) => (routed = resolve));
    let letGo!: () => void;
    const removed = new Promise<void>((resolve) => (letGo = resolve));
    const holdUpstream: Plugin = {
      name: 'hold',
      version: '1.0.0',
      setup: (api) =>
        api.use({
          phase: 'upstream',
          methods: ['tools/call'],
          async handle(_ctx, next) {
            routed();
            await removed;
            return next();
          },
        }),
    };
    const bridge = await started({ servers: { a: config }, plugins: [holdUpstream] });
    const events: string[] = [];
    bridge.on('upstream:health', ({ server, state }) => events.push(`health ${server} ${state}`));
    bridge.on('upstream:remove', ({ server }) => events.push(`remove ${server}`));
    const call = bridge.callTool('t').catch((e: Error) => e.message);
    await inUpstreamPhase;
    await bridge.removeServer('a');
    letGo();
    expect(await call).toMatch(/server "a" was removed/);
    await sleep(20);
    expect(counts.live).toBe(0);
    expect(events).toEqual(['remove a']);
  });

  it('an invalid result is an InvalidResponseError and leaves the upstream healthy', async () => {
    const bridge = await started({
      servers: {
        odd: { type: 'in-memory', server: () => rawServer({ content: 'not an array' }) },
      },
    });
    const error = await bridge.callTool('bad').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect((error as Error).message).toMatch(/tool "bad" of server "odd" answered with an invalid result/);
    expect(bridge.status()[0]).toMatchObject({ state: 'ok', upstreams: [{ health: 'healthy' }] });
  });

  it('a namer that throws is reported to onError, never as an unhandled rejection', async () => {
    let broken = false;
    const reported: unknown[] = [];
    const base = {
      names: (_k: string, items: readonly { name: string }[]) => items.map((i) => i.name),
      uris: (_k: string, items: readonly { name: string }[]) => items.map((i) => i.name),
    };
    const namer: Plugin = {
      name: 'fragile-namer',
      version: '1.0.0',
      provides: ['namer'],
      setup: (api) =>
        api.provide('namer', {
          names: (kind, items) => {
            if (broken) throw new Error('namer bug');
            return base.names(kind, items);
          },
          uris: base.uris,
        } satisfies Namer),
    };
    let live: McpServer | undefined;
    const bridge = await started({
      servers: { a: { type: 'in-memory', server: () => (live = fixtureServer('a').server) } },
      plugins: [namer],
      onError: (e) => reported.push(e),
    });
    broken = true;
    live!.registerTool('more', {}, async () => ({ content: [] }));
    // The list_changed notification makes the bridge list again, and the namer throws then.
    await vi.waitFor(() => expect(reported.length).toBeGreaterThan(0), { timeout: 10_000, interval: 10 });
    expect(String(reported[0])).toMatch(/namer bug/);
    broken = false;
    expect(text(await bridge.callTool('echo', { text: 'still fine' }))).toBe('a:echo:still fine');
  });

  it('emits no connect or health events after host:close', async () => {
    const bridge = track(createBridge({ servers: { a: inMemory('a') } }));
    await bridge.start();
    const events: string[] = [];
    bridge.on('host:close', () => events.push('host:close'));
    bridge.on('connect:error', () => events.push('connect:error'));
    bridge.on('upstream:health', () => events.push('upstream:health'));
    const adding = bridge
      .addServer('slow', {
        type: 'in-memory',
        server: async () => {
          await sleep(100);
          return fixtureServer('slow').server;
        },
      })
      .catch(() => undefined);
    await sleep(20);
    await bridge.close();
    await adding;
    await sleep(150);
    expect(events).toEqual(['host:close']);
  });
});
