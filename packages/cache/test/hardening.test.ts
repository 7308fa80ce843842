import { describe, expect, it } from 'vitest';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { cache } from '../src/index.js';
import { text, trustedServer, useBridges } from './helpers.js';

const bridges = useBridges();

async function slowServer(extra: Parameters<typeof cache>[0] = {}) {
  const server = trustedServer({ name: 'a', annotations: { slow: { readOnlyHint: true } } });
  const bridge = await bridges.started({ servers: { a: server }, plugins: [cache({ tools: { slow: true }, ...extra })] });
  return { bridge, ledger: server.ledger };
}

/** A trusted server whose tools are all read-only and answer with their name and a per-server call count. */
function namedToolsServer(names: string[]) {
  let calls = 0;
  const make = () => {
    const srv = new Server({ name: 'raw', version: '1.0.0' }, { capabilities: { tools: {} } });
    srv.setRequestHandler(ListToolsRequestSchema, async () => ({
      tools: names.map((name) => ({ name, inputSchema: { type: 'object' as const }, annotations: { readOnlyHint: true } })),
    }));
    srv.setRequestHandler(CallToolRequestSchema, async (req) => ({
      content: [{ type: 'text' as const, text: `${req.params.name} call ${++calls}` }],
    }));
    return srv;
  };
  return { type: 'in-memory' as const, server: make, trusted: true };
}

describe('hardening', () => {
  it('a call cancelled by its only caller is not joined by the next identical call', async () => {
    const { bridge, ledger } = await slowServer();
    const a = new AbortController();
    const first = bridge.callTool('slow', { ms: 200 }, { signal: a.signal });
    await ledger.waitFor((l) => l.tally('slow').inFlight === 1);
    a.abort(new Error('A cancelled'));
    // Arrives right after the only waiter left: it must get a call of its own, not A's cancellation.
    const second = bridge.callTool('slow', { ms: 200 });
    await expect(first).rejects.toThrow('A cancelled');
    expect(text(await second)).toBe('slept 200 ms');
    expect(ledger.calls('slow')).toBe(2);
    expect(bridge.cache.stats().tools.slow).toMatchObject({ misses: 2, coalesced: 0, stores: 1 });
  });

  it('tools named like Object.prototype members are cached only when enabled, and their stats are reported', async () => {
    // Only `echo` is enabled by name; `__proto__` by server/upstream name (an options record cannot hold it as a key).
    const bridge = await bridges.started({
      servers: { a: namedToolsServer(['echo', 'constructor', 'toString', '__proto__']) },
      plugins: [cache({ tools: { echo: true, 'a/__proto__': true } })],
    });
    const answers = async (name: string): Promise<string[]> => {
      const out: string[] = [];
      for (let i = 0; i < 2; i++) out.push(text(await bridge.callTool(name, {})));
      return out;
    };
    expect(await answers('constructor')).toEqual(['constructor call 1', 'constructor call 2']);
    expect(await answers('toString')).toEqual(['toString call 3', 'toString call 4']);
    expect(await answers('__proto__')).toEqual(['__proto__ call 5', '__proto__ call 5']);
    const tools = bridge.cache.stats().tools;
    expect(Object.keys(tools).sort()).toEqual(['__proto__']);
    expect(Object.hasOwn(tools, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(tools)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(tools, '__proto__')?.value).toMatchObject({ misses: 1, hits: 1, stores: 1 });
  });

  it('a caller with a later deadline extends the shared call; the first caller still stops at its own', async () => {
    const { bridge, ledger } = await slowServer();
    const short = bridge.callTool('slow', { ms: 300 }, { timeout: 50 });
    const long = bridge.callTool('slow', { ms: 300 }, { timeout: 10_000 });
    await expect(short).rejects.toMatchObject({ code: 'TIMEOUT' });
    // It left at its own deadline, while the shared call still runs.
    expect(ledger.tally('slow').inFlight).toBe(1);
    expect(text(await long)).toBe('slept 300 ms');
    expect(ledger.tally('slow')).toMatchObject({ calls: 1, ok: 1 });
  });

  it('callers sharing a result that is not held in memory get it frozen', async () => {
    const { bridge, ledger } = await slowServer({ l1: false, store: false });
    const [r1, r2] = await Promise.all([bridge.callTool('slow', { ms: 50 }), bridge.callTool('slow', { ms: 50 })]);
    expect(ledger.calls('slow')).toBe(1);
    expect(Object.isFrozen(r1)).toBe(true);
    expect(Object.isFrozen(r1.content[0])).toBe(true);
    expect(() => {
      (r1.content[0] as { text: string }).text = 'caller 1 redacted this';
    }).toThrow(TypeError);
    expect(text(r2)).toBe('slept 50 ms');
  });

  it('an invalidation pushed out by more than 10,000 later ones still stops the call it outdated from storing', async () => {
    const { bridge, ledger } = await slowServer({ store: false });
    const before = bridge.callTool('slow', { ms: 300 });
    await ledger.waitFor((l) => l.tally('slow').inFlight === 1);
    bridge.cache.invalidate({ tool: 'slow' }); // the answer in flight now predates a change
    for (let i = 0; i < 10_001; i++) bridge.cache.invalidate({ uri: `test://x/${i}` }); // a flood of resources/updated
    await before;
    await bridge.callTool('slow', { ms: 300 });
    // The call after the invalidation must not get the answer from before it.
    expect(ledger.calls('slow')).toBe(2);
    expect(bridge.cache.stats().tools.slow).toMatchObject({ misses: 2, hits: 0, stores: 1 });
  });
});
