import { describe, expect, it, vi } from 'vitest';
import { BridgeError, type BridgeEvents, type Plugin } from '@mcp-bridge/core';
import { inMemoryFaultServer, inMemoryTestServer, testResourceUris } from '@mcp-bridge/testing';
import { cache, type CacheOptions } from '../src/index.js';
import { controllableServer, manualClock, text, trustedServer, useBridges } from './helpers.js';

const bridges = useBridges();

/** One trusted test server `a` with the cache in front. */
async function oneServer(options: CacheOptions, serverOptions: Parameters<typeof trustedServer>[0] = {}) {
  const server = trustedServer({ name: 'a', ...serverOptions });
  const bridge = await bridges.started({ servers: { a: server }, plugins: [cache(options)] });
  return { bridge, ledger: server.ledger };
}

describe('what is cached', () => {
  it('tools/call only when enabled for the tool, read-only, and the server trusted', async () => {
    const trusted = trustedServer({ name: 't', toolPrefix: 't_', annotations: { slow: {} } });
    const untrusted = inMemoryTestServer({ name: 'u', toolPrefix: 'u_' });
    const bridge = await bridges.started({
      servers: { t: trusted, u: untrusted },
      plugins: [cache({ jitter: 0, tools: { t_echo: true, u_echo: true, t_slow: true } })],
    });
    for (let i = 0; i < 3; i++) {
      await bridge.callTool('t_echo', { text: 'x' });
      await bridge.callTool('u_echo', { text: 'x' }); // read-only, but its server is not trusted
      await bridge.callTool('t_slow', { ms: 0 }); // trusted, but not read-only
      await bridge.callTool('t_add', { a: 1, b: 2 }); // read-only and trusted, but not enabled
    }
    expect(trusted.ledger.calls('t_echo')).toBe(1);
    expect(untrusted.ledger.calls('u_echo')).toBe(3);
    expect(trusted.ledger.calls('t_slow')).toBe(3);
    expect(trusted.ledger.calls('t_add')).toBe(3);
    expect(bridge.cache.stats().tools).toEqual({ t_echo: expect.objectContaining({ hits: 2, l1: 2, misses: 1, stores: 1 }) });
  });

  it('trust can come from the plugin options instead of the server config', async () => {
    for (const options of [{ trusted: ['a'] }, { servers: { a: { trusted: true } } }] as CacheOptions[]) {
      const server = inMemoryTestServer({ name: 'a' });
      const bridge = await bridges.started({ servers: { a: server }, plugins: [cache({ ...options, tools: { echo: true } })] });
      await bridge.callTool('echo', { text: 'x' });
      await bridge.callTool('echo', { text: 'x' });
      expect(server.ledger.calls('echo')).toBe(1);
    }
  });

  it('tools can be enabled by exposed name, by server/upstream name, or per server', async () => {
    for (const options of [
      { tools: { p_echo: true } },
      { tools: { 'a/p_echo': 60_000 } },
      { servers: { a: { tools: { p_echo: { ttl: 60_000 } } } } },
    ] as CacheOptions[]) {
      const { bridge, ledger } = await oneServer(options, { toolPrefix: 'p_' });
      await bridge.callTool('p_echo', { text: 'x' });
      await bridge.callTool('p_echo', { text: 'x' });
      expect(ledger.calls('p_echo')).toBe(1);
    }
  });

  it('caches lists and resources/read by default; a method can be turned off', async () => {
    const { bridge } = await oneServer({});
    // The catalog listed at start, through the cache: asking again is a hit.
    await bridge.request('a', 'tools/list');
    const uri = testResourceUris('a').readme;
    const first = await bridge.readResource(uri);
    const second = await bridge.readResource(uri);
    expect(second.contents).toEqual(first.contents);
    const stats = bridge.cache.stats();
    expect(stats.servers.a).toMatchObject({ hits: 2, l1: 2 });
    expect(stats.tools).toEqual({});

    const off = await oneServer({ methods: { 'resources/read': false, 'tools/list': 0 } });
    await off.bridge.readResource(uri);
    await off.bridge.readResource(uri);
    await off.bridge.request('a', 'tools/list');
    expect(off.bridge.cache.stats().servers.a).toMatchObject({ hits: 0 });
  });

  it('never stores errors or isError results', async () => {
    const { bridge, ledger } = await oneServer({ tools: { fail: true } }, { annotations: { fail: { readOnlyHint: true } } });
    for (let i = 0; i < 2; i++) {
      await expect(bridge.callTool('fail', { mode: 'throw', message: 'boom' })).rejects.toThrow('boom');
      const result = await bridge.callTool('fail', { mode: 'isError', message: 'bad' });
      expect(result.isError).toBe(true);
    }
    expect(ledger.calls('fail')).toBe(4);
    expect(bridge.cache.stats().tools.fail).toMatchObject({ hits: 0, stores: 0, errors: 2, misses: 4 });
  });

  it('caches a deterministic "not found" for negativeTtl when asked to', async () => {
    const clock = manualClock();
    const { bridge, ledger } = await oneServer(
      { tools: { fail: true }, negativeTtl: 1_000, jitter: 0, now: clock.now },
      { annotations: { fail: { readOnlyHint: true } } },
    );
    const call = () => bridge.callTool('fail', { mode: 'throw', code: -32002, message: 'no such thing' });
    const first = await call().catch((e: unknown) => e);
    const second = await call().catch((e: unknown) => e);
    expect(ledger.calls('fail')).toBe(1);
    expect(second).toMatchObject({ code: -32002, message: (first as Error).message });
    expect(bridge.cache.stats().tools.fail).toMatchObject({ negativeHits: 1 });
    clock.advance(1_001);
    await call().catch(() => undefined);
    expect(ledger.calls('fail')).toBe(2);
    // Other codes are never cached.
    await bridge.callTool('fail', { mode: 'throw', code: -32603 }).catch(() => undefined);
    await bridge.callTool('fail', { mode: 'throw', code: -32603 }).catch(() => undefined);
    expect(ledger.calls('fail')).toBe(4);
  });

  it('a bad option fails start() naming the plugin, the path and the expected type', async () => {
    const attempt = bridges.started({ servers: { a: trustedServer() }, plugins: [cache({ ttl: 'soon' } as unknown as CacheOptions)] });
    await expect(attempt).rejects.toMatchObject({ code: 'PLUGIN_OPTIONS_INVALID' });
    await expect(attempt).rejects.toThrow(/\[@mcp-bridge\/cache\] invalid options: ttl: expected number, got string/);
    const bad = bridges.started({ servers: {}, plugins: [cache({ tools: { x: { ttl: -1 } }, store: {} } as unknown as CacheOptions)] });
    await expect(bad).rejects.toThrow(/tools\.x/);
    await expect(bad).rejects.toThrow(/store: expected a keyv instance or store/);
  });
});

describe('keys and partitions', () => {
  it('key order and _meta do not matter', async () => {
    const { bridge, ledger } = await oneServer({ tools: { add: true } });
    await bridge.callTool('add', { a: 1, b: 2 });
    await bridge.callTool('add', { b: 2, a: 1 });
    await bridge.request('a', 'tools/call', { name: 'add', arguments: { b: 2, a: 1 }, _meta: { progressToken: 7 } });
    await bridge.callTool('add', { a: 2, b: 1 });
    expect(ledger.calls('add')).toBe(2);
  });

  it('tools/call results are private to their caller unless the tool is shared', async () => {
    const { bridge, ledger } = await oneServer({ tools: { echo: true, add: { scope: 'shared' } } });
    for (const caller of ['alice', 'bob', 'alice', 'bob']) {
      await bridge.callTool('echo', { text: 'x' }, { caller });
      await bridge.callTool('add', { a: 1, b: 1 }, { caller });
    }
    expect(ledger.calls('echo')).toBe(2);
    expect(ledger.calls('add')).toBe(1);
  });

  it('anonymous calls to private tools share one partition, or bypass the cache', async () => {
    const cached = await oneServer({ tools: { echo: true } });
    await cached.bridge.callTool('echo', { text: 'x' });
    await cached.bridge.callTool('echo', { text: 'x' });
    await cached.bridge.callTool('echo', { text: 'x' }, { caller: 'alice' });
    expect(cached.ledger.calls('echo')).toBe(2);
    const bypass = await oneServer({ tools: { echo: true }, anonymous: 'bypass' });
    await bypass.bridge.callTool('echo', { text: 'x' });
    await bypass.bridge.callTool('echo', { text: 'x' });
    expect(bypass.ledger.calls('echo')).toBe(2);
  });
});

describe('time to live', () => {
  it('expires after ttl; 0 means do not store; jitter shortens', async () => {
    const clock = manualClock();
    let random = 0;
    const { bridge, ledger } = await oneServer({
      tools: { echo: 1_000, add: 0 },
      jitter: 0.5,
      random: () => random,
      now: clock.now,
    });
    await bridge.callTool('echo', { text: 'x' });
    clock.advance(999);
    await bridge.callTool('echo', { text: 'x' });
    expect(ledger.calls('echo')).toBe(1);
    clock.advance(2);
    random = 0.999; // the next entry lives 1000 * (1 - 0.5 * 0.999) ≈ 500 ms
    await bridge.callTool('echo', { text: 'x' });
    expect(ledger.calls('echo')).toBe(2);
    clock.advance(499);
    await bridge.callTool('echo', { text: 'x' });
    expect(ledger.calls('echo')).toBe(2);
    clock.advance(2);
    await bridge.callTool('echo', { text: 'x' });
    expect(ledger.calls('echo')).toBe(3);

    await bridge.callTool('add', { a: 1, b: 1 });
    await bridge.callTool('add', { a: 1, b: 1 });
    expect(ledger.calls('add')).toBe(2);
  });

  it('cached results are frozen: a caller cannot corrupt what others get', async () => {
    const { bridge } = await oneServer({ tools: { echo: true } });
    const result = await bridge.callTool('echo', { text: 'x' });
    expect(() => {
      (result.content[0] as { text: string }).text = 'changed';
    }).toThrow(TypeError);
    expect(text(await bridge.callTool('echo', { text: 'x' }))).toBe('x');
  });
});

describe('stale serving', () => {
  it('stale-while-revalidate answers at once and refreshes once in the background', async () => {
    const clock = manualClock();
    const { bridge, ledger } = await oneServer({
      tools: { echo: { ttl: 1_000, staleWhileRevalidate: 10_000 } },
      jitter: 0,
      now: clock.now,
    });
    await bridge.callTool('echo', { text: 'x' });
    clock.advance(1_500);
    const stale = await Promise.all([bridge.callTool('echo', { text: 'x' }), bridge.callTool('echo', { text: 'x' })]);
    expect(stale.map(text)).toEqual(['x', 'x']);
    await vi.waitFor(() => expect(bridge.cache.stats().tools.echo?.stores).toBe(2));
    await bridge.callTool('echo', { text: 'x' });
    expect(ledger.calls('echo')).toBe(2);
    expect(bridge.cache.stats().tools.echo).toMatchObject({ staleWhileRevalidate: 2, hits: 1, misses: 1 });
  });

  it('the background refresh is a call of its own through every phase, never a late next(); close() cancels it', async () => {
    const clock = manualClock();
    const fault = inMemoryFaultServer({ name: 'f', tools: { lookup: { readOnlyHint: true } } });
    // An observe-phase middleware (outside the cache) that records each call it sees and when it settled.
    const seen: { id: number; settled: boolean }[] = [];
    const observer: Plugin = {
      name: 'observer',
      version: '1.0.0',
      setup(api) {
        api.use({
          phase: 'observe',
          methods: ['tools/call'],
          handle: (ctx, next) => {
            const entry = { id: ctx.id, settled: false };
            seen.push(entry);
            return next().finally(() => (entry.settled = true));
          },
        });
      },
    };
    const bridge = await bridges.started({
      servers: { f: { ...fault, trusted: true } },
      plugins: [observer, cache({ tools: { lookup: { ttl: 1_000, staleWhileRevalidate: 10_000 } }, jitter: 0, now: clock.now })],
    });
    await bridge.callTool('lookup', { key: 'k' });
    clock.advance(1_500);
    // The refresh will hang upstream: the stale answer must not wait for it.
    fault.setFaults({ rates: { hang: 1 } }, 'lookup');
    expect(text(await bridge.callTool('lookup', { key: 'k' }))).toContain('"execution":1');
    await vi.waitFor(() => expect(fault.ledger.received('k')).toBe(2));
    // Three calls went through the observer: the two callers' (settled) and the refresh (running).
    expect(seen).toHaveLength(3);
    expect(seen.map((s) => s.settled)).toEqual([true, true, false]);
    expect(new Set(seen.map((s) => s.id)).size).toBe(3);
    expect(bridge.cache.stats().tools.lookup).toMatchObject({ staleWhileRevalidate: 1, misses: 1 });
    await bridge.close();
    await vi.waitFor(() => expect(seen[2]!.settled).toBe(true));
    await vi.waitFor(() => expect(fault.ledger.cancelled('k')).toBe(1));
  });

  it('stale-if-error serves the old result while the server is down, and only then', async () => {
    const clock = manualClock();
    const server = controllableServer({ name: 'a' });
    const stale: BridgeEvents['cache:stale'][] = [];
    const bridge = await bridges.started({
      servers: { a: server.config },
      plugins: [cache({ tools: { echo: { ttl: 1_000, staleIfError: 5_000 } }, jitter: 0, now: clock.now })],
      reconnectMinMs: 1,
    });
    bridge.on('cache:stale', (e) => stale.push(e));
    await bridge.callTool('echo', { text: 'x' });
    await server.down();
    clock.advance(1_500);
    expect(text(await bridge.callTool('echo', { text: 'x' }))).toBe('x');
    expect(stale).toHaveLength(1);
    expect(stale[0]).toMatchObject({ reason: 'error' });
    expect(BridgeError.isInstance(stale[0]!.error)).toBe(true);
    // Nothing stale for a call never cached: the error goes through.
    await expect(bridge.callTool('echo', { text: 'never seen' })).rejects.toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
    clock.advance(5_000);
    await expect(bridge.callTool('echo', { text: 'x' })).rejects.toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
    expect(bridge.cache.stats().tools.echo).toMatchObject({ staleIfError: 1, errors: 2 });
  });
});

describe('bridge.cache', () => {
  it('invalidate() by tool, server, method, uri, or everything', async () => {
    const { bridge, ledger } = await oneServer({ tools: { echo: true, add: true } });
    const both = async () => {
      await bridge.callTool('echo', { text: 'x' });
      await bridge.callTool('add', { a: 1, b: 1 });
    };
    await both();
    expect(bridge.cache.invalidate({ tool: 'echo' })).toBe(1);
    await both();
    expect([ledger.calls('echo'), ledger.calls('add')]).toEqual([2, 1]);
    expect(bridge.cache.invalidate({ server: 'a', method: 'tools/call' })).toBe(2);
    await both();
    expect([ledger.calls('echo'), ledger.calls('add')]).toEqual([3, 2]);
    const uri = testResourceUris('a').readme;
    await bridge.readResource(uri);
    expect(bridge.cache.invalidate({ uri })).toBe(1);
    expect(bridge.cache.invalidate()).toBeGreaterThanOrEqual(2);
    await both();
    expect([ledger.calls('echo'), ledger.calls('add')]).toEqual([4, 3]);
    expect(() => bridge.cache.invalidate({ server: 'nope' })).toThrow(/no server named "nope"/);
    expect(() => bridge.cache.invalidate({ tool: 'nope' })).toThrow(/no tool named "nope"/);
  });

  it('emits cache:hit, cache:miss and cache:invalidate, and sets ctx.state.cache', async () => {
    const { bridge } = await oneServer({ tools: { echo: true } });
    const seen: string[] = [];
    bridge.on('cache:miss', (e) => seen.push(`miss:${e.ctx.state.cache}`));
    bridge.on('cache:hit', (e) => seen.push(`hit:${e.level}:${e.ctx.state.cache}`));
    bridge.on('cache:invalidate', (e) => seen.push(`invalidate:${e.reason}:${e.removed}`));
    await bridge.callTool('echo', { text: 'x' });
    await bridge.callTool('echo', { text: 'x' });
    bridge.cache.invalidate({ tool: 'echo' });
    expect(seen).toEqual(['miss:miss', 'hit:l1:l1', 'invalidate:api:1']);
  });

  it('a removed server takes its entries along; an added one is decided afresh', async () => {
    const { bridge } = await oneServer({ tools: { echo: true, 'b/echo': true } });
    const invalidations: BridgeEvents['cache:invalidate'][] = [];
    bridge.on('cache:invalidate', (e) => invalidations.push(e));
    await bridge.callTool('echo', { text: 'x' });
    await bridge.removeServer('a');
    expect(invalidations).toEqual([expect.objectContaining({ server: 'a', reason: 'catalog' })]);
    expect(invalidations[0]!.removed).toBeGreaterThanOrEqual(5); // echo and the four lists
    const b = trustedServer({ name: 'b' });
    await bridge.addServer('b', b);
    await bridge.callTool('echo', { text: 'x' });
    await bridge.callTool('echo', { text: 'x' });
    expect(b.ledger.calls('echo')).toBe(1);
  });

  it('a store that never answers: each operation gives up at operationTimeout, then the store is paused', async () => {
    const never = () => new Promise<never>(() => undefined);
    const store = { get: never, set: never, delete: never, clear: never };
    const { bridge, ledger } = await oneServer({
      tools: { echo: true },
      store,
      l1: false,
      operationTimeout: 20,
      pauseAfterFailures: 3,
      pauseMs: 60_000,
      storeReadyTimeout: 0,
    });
    const t0 = performance.now();
    for (let i = 0; i < 5; i++) expect((await bridge.callTool('echo', { text: `x${i}` })).isError).toBeUndefined();
    expect(ledger.calls('echo')).toBe(5);
    const stats = bridge.cache.stats();
    expect(stats.store).toMatchObject({ paused: true });
    expect(stats.store.timeouts).toBeGreaterThanOrEqual(3);
    expect(stats.store.skipped).toBeGreaterThan(0);
    // Paused: these calls did not wait on the store at all (generous bound for a loaded host).
    expect(performance.now() - t0).toBeLessThan(5 * 20 + 500);
  });

  it('the LRU is bounded by entries and by bytes', async () => {
    const evicted: string[] = [];
    const { bridge } = await oneServer({ tools: { echo: true }, l1: { maxEntries: 10, maxBytes: 4_000 }, store: false });
    bridge.on('cache:evict', (e) => evicted.push(e.reason));
    for (let i = 0; i < 20; i++) await bridge.callTool('echo', { text: `x${i}` });
    let stats = bridge.cache.stats();
    expect(stats.memory.entries).toBe(10);
    expect(evicted.filter((r) => r === 'entries').length).toBeGreaterThanOrEqual(10);
    await bridge.callTool('echo', { text: 'y'.repeat(3_000) });
    stats = bridge.cache.stats();
    expect(stats.memory.bytes).toBeLessThanOrEqual(4_000);
    expect(evicted).toContain('bytes');
  });
});

describe('per-caller upstream sessions', () => {
  /** A caller's link as a gateway makes one: its client and its roots fingerprint. */
  const link = (client: string, roots: string) => ({
    signal: undefined,
    client,
    rootsKey: () => roots,
    sent: () => undefined,
    settled: () => undefined,
    ask: () => Promise.reject(new Error('no')),
  });

  it("never serves one roots set's entry to a caller with other roots; per-client servers partition by client", async () => {
    for (const sessions of ['auto', 'per-client'] as const) {
      const server = trustedServer({ name: 'a' });
      const bridge = await bridges.started({
        servers: { a: { ...server, sessions } },
        plugins: [cache({ jitter: 0, tools: { echo: { scope: 'shared' } } })],
      });
      const read = (client: string, roots: string) => bridge.callTool('echo', { text: 'x' }, { link: link(client, roots), caller: client });
      await read('a1', '["file:///a"]');
      await read('b1', '["file:///b"]');
      await read('a2', '["file:///a"]');
      await read('a1', '["file:///a"]');
      // auto: same roots share entries (2 fills); per-client: each client its own (3 fills).
      expect(server.ledger.calls('echo')).toBe(sessions === 'auto' ? 2 : 3);
    }
  });
});
