import { describe, expect, it } from 'vitest';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { createBridge, NoUpstreamError, TimeoutError, type CallContext, type Plugin } from '../src/index.js';
import { fixtureServer, inMemory, text, useBridges } from './fixtures.js';

const { started, track } = useBridges();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('calls', () => {
  it("keep the caller's timeout and abort while the pool reconnects", async () => {
    const instances: McpServer[] = [];
    const slowToStart = {
      type: 'in-memory' as const,
      server: async () => {
        if (instances.length > 0) await sleep(4_000); // every reconnect is slow
        const s = fixtureServer('slow-start').server;
        instances.push(s);
        return s;
      },
    };
    const bridge = await started({ servers: { s: slowToStart }, reconnectMinMs: 10 });
    await instances[0]!.close();
    await sleep(20);
    let t = Date.now();
    await expect(bridge.callTool('echo', {}, { timeout: 200 })).rejects.toBeInstanceOf(TimeoutError);
    expect(Date.now() - t).toBeLessThan(2_500);
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('stop waiting')), 100);
    t = Date.now();
    await expect(bridge.callTool('echo', {}, { signal: controller.signal })).rejects.toThrow('stop waiting');
    expect(Date.now() - t).toBeLessThan(2_500);
    // The shared connect was not cancelled by those callers: a patient call gets through.
    expect(text(await bridge.callTool('echo', { text: 'patient' }))).toBe('slow-start:echo:patient');
  });

  it('accept very long and infinite timeouts, and reject a requestTimeout setTimeout cannot hold', async () => {
    const bridge = await started({ servers: { a: inMemory('a') } });
    expect(text(await bridge.callTool('echo', { text: 'inf' }, { timeout: Infinity }))).toBe('a:echo:inf');
    expect(text(await bridge.callTool('echo', { text: 'big' }, { timeout: 3e9 }))).toBe('a:echo:big');
    expect(() => createBridge({ requestTimeout: 3e9 })).toThrow(/requestTimeout: must be at most 2147483647 ms/);
  });

  it('always carry an overall deadline, and honour a per-attempt timeout set by a plugin', async () => {
    const seen: { deadline: number; origin: string }[] = [];
    const attemptLimit: Plugin = {
      name: 'attempt-limit',
      version: '1.0.0',
      setup: (api) =>
        api.use({
          phase: 'retry',
          async handle(ctx: CallContext, next) {
            seen.push({ deadline: ctx.deadline - Date.now(), origin: ctx.origin });
            ctx.attemptTimeout = 100;
            return next();
          },
        }),
    };
    const bridge = await started({
      servers: { a: { type: 'in-memory', server: () => slowServer() } },
      requestTimeout: 5_000,
      plugins: [attemptLimit],
    });
    const t = Date.now();
    const error = await bridge.callTool('wait', { ms: 20_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as Error).message).toMatch(/timed out after 100 ms \(attempt 1\)/);
    expect(Date.now() - t).toBeLessThan(4_000);
    const call = seen.find((s) => s.origin === 'caller')!;
    expect(call.deadline).toBeGreaterThan(4_800);
    expect(call.deadline).toBeLessThanOrEqual(5_000);
    expect(seen.some((s) => s.origin === 'catalog')).toBe(true);
  });

  it('reject (never throw synchronously) when no upstream can be picked, so outer cleanups run', async () => {
    let cleanedUp = false;
    const plugins: Plugin[] = [
      {
        name: 'nothing-to-pick',
        version: '1.0.0',
        provides: ['balancer'],
        setup: (api) => api.provide('balancer', { pick: () => undefined }),
      },
      {
        name: 'cleanup',
        version: '1.0.0',
        setup: (api) =>
          api.use({
            phase: 'observe',
            methods: ['ping'],
            handle: (_ctx, next) =>
              next().finally(() => {
                cleanedUp = true;
              }),
          }),
      },
    ];
    const bridge = createBridge({ servers: { a: inMemory('a') }, plugins, startTimeout: 1_000 });
    track(bridge);
    await bridge.start();
    await expect(bridge.ping('a')).rejects.toBeInstanceOf(NoUpstreamError);
    expect(cleanedUp).toBe(true);
  });

  it('run tool-scoped middleware for tools called by upstream name, listed or not', async () => {
    const denied: string[] = [];
    const deny: Plugin = {
      name: 'deny-x',
      version: '1.0.0',
      setup: (api) =>
        api.use({
          phase: 'policy',
          tools: (tool) => tool.upstreamName === 'x',
          async handle(ctx) {
            denied.push(`${ctx.tool!.server}/${ctx.tool!.upstreamName}:${String(ctx.tool!.listed)}`);
            return { isError: true, content: [{ type: 'text', text: 'denied' }] };
          },
        }),
    };
    const bridge = await started({
      servers: { a: inMemory('a', ['x']), b: inMemory('b', ['x']) },
      naming: { policy: 'never' },
      plugins: [deny],
    });
    expect((await bridge.listTools()).tools.map((t) => t.name)).toEqual(['x']);
    for (const call of [() => bridge.callTool('x'), () => bridge.callTool('b/x'), () => bridge.callTool('x', {}, { server: 'b' })]) {
      expect(text(await call())).toBe('denied');
    }
    expect(denied).toEqual(['a/x:true', 'b/x:false', 'b/x:false']);
  });
});

function slowServer(): McpServer {
  const s = new McpServer({ name: 'slow', version: '1' });
  s.registerTool('wait', { inputSchema: {} }, async (_args, extra) => {
    await new Promise((resolve) => {
      const t = setTimeout(resolve, 20_000);
      extra.signal.addEventListener('abort', () => {
        clearTimeout(t);
        resolve(undefined);
      });
    });
    return { content: [{ type: 'text', text: 'done' }] };
  });
  return s;
}
