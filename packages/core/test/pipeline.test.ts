import { describe, expect, it } from 'vitest';
import { createBridge, type Bridge, type CallContext, type Middleware, type Plugin } from '../src/index.js';
import { inMemory, text, useBridges } from './fixtures.js';

const { track } = useBridges();
function using(name: string, ...middleware: Middleware[]): Plugin {
  return { name, version: '1.0.0', setup: (api) => middleware.forEach((m) => api.use(m)) };
}

async function bridgeWith(...plugins: Plugin[]): Promise<Bridge> {
  const bridge = createBridge({ servers: { a: inMemory('a', ['echo', 'other']) }, plugins });
  track(bridge);
  await bridge.start();
  return bridge;
}

describe('the call pipeline', () => {
  it('runs phases outermost first, before/after within a phase, plugin order for ties', async () => {
    const order: string[] = [];
    const mw = (label: string, phase: Middleware['phase'], extra: Partial<Middleware> = {}): Middleware => ({
      phase,
      ...extra,
      async handle(_ctx, next) {
        order.push(label);
        return next();
      },
    });
    const bridge = await bridgeWith(
      using('p1', mw('upstream', 'upstream'), mw('cache', 'cache'), mw('observe-after', 'observe', { order: 'after' })),
      using('p2', mw('route', 'route'), mw('observe', 'observe'), mw('policy', 'policy'), mw('validate', 'validate')),
      using('p3', mw('retry', 'retry'), mw('observe-before', 'observe', { order: 'before' })),
    );
    order.length = 0;
    await bridge.callTool('echo', { text: 'x' });
    expect(order).toEqual(['observe-before', 'observe', 'observe-after', 'policy', 'validate', 'cache', 'retry', 'route', 'upstream']);
  });

  it('filters by method and by tool', async () => {
    const seen: string[] = [];
    const bridge = await bridgeWith(
      using(
        'filters',
        {
          phase: 'observe',
          methods: ['tools/call'],
          tools: ['other'],
          async handle(ctx, next) {
            seen.push(`${ctx.method}:${String(ctx.params.name)}`);
            return next();
          },
        },
        {
          phase: 'observe',
          methods: ['ping'],
          async handle(ctx, next) {
            seen.push(ctx.method);
            return next();
          },
        },
      ),
    );
    await bridge.callTool('echo');
    await bridge.callTool('other');
    await bridge.ping('a');
    await bridge.listTools({ refresh: true });
    expect(seen).toEqual(['tools/call:other', 'ping']);
  });

  it('lets a middleware short-circuit and replace params', async () => {
    const bridge = await bridgeWith(
      using('short', {
        phase: 'cache',
        tools: (tool) => tool.name === 'other',
        async handle() {
          return { content: [{ type: 'text', text: 'from cache' }] };
        },
      }),
      using('rewrite', {
        phase: 'validate',
        async handle(ctx, next) {
          ctx.params = { ...ctx.params, arguments: { text: 'rewritten' } };
          return next();
        },
      }),
    );
    expect(text(await bridge.callTool('other'))).toBe('from cache');
    expect(text(await bridge.callTool('echo', { text: 'orig' }))).toBe('a:echo:rewritten');
  });

  it('has a re-entrant next: each entry of the route phase is a new attempt with a fresh pick', async () => {
    const attempts: { attempt: number; upstream: string | undefined; tried: string[] }[] = [];
    let failFirst = true;
    const bridge = await bridgeWith(
      using('retry-like', {
        phase: 'retry',
        async handle(_ctx, next) {
          try {
            return await next();
          } catch {
            return next();
          }
        },
      }),
      using('flaky', {
        phase: 'upstream',
        methods: ['tools/call'],
        async handle(ctx: CallContext, next) {
          attempts.push({ attempt: ctx.attempt, upstream: ctx.upstream?.id, tried: [...ctx.tried] });
          if (failFirst) {
            failFirst = false;
            throw new Error('transient');
          }
          return next();
        },
      }),
    );
    expect(text(await bridge.callTool('echo', { text: 'again' }))).toBe('a:echo:again');
    expect(attempts).toEqual([
      { attempt: 1, upstream: 'a', tried: ['a'] },
      { attempt: 2, upstream: 'a', tried: ['a'] },
    ]);
  });

  it('lets a route middleware choose the upstream, and rejects calls when none is left', async () => {
    // The middleware reaches the host through api.host from setup: a call's context does not carry it.
    const router: Plugin = {
      name: 'router',
      version: '1.0.0',
      setup(api) {
        api.use({
          phase: 'route',
          async handle(ctx, next) {
            expect(ctx.upstream).toBeUndefined();
            ctx.upstream = api.host.upstreams(ctx.server)[0];
            return next();
          },
        });
      },
    };
    const bridge = await bridgeWith(router);
    expect(text(await bridge.callTool('echo', { text: 'r' }))).toBe('a:echo:r');
  });

  it('emits call:error for failed calls, only when someone listens', async () => {
    const bridge = await bridgeWith(
      using('thrower', {
        phase: 'policy',
        tools: ['other'],
        async handle() {
          throw new Error('denied');
        },
      }),
    );
    const errors: unknown[] = [];
    bridge.on('call:error', ({ error, ctx }) => errors.push([ctx.method, (error as Error).message]));
    await expect(bridge.callTool('other')).rejects.toThrow('denied');
    expect(errors).toEqual([['tools/call', 'denied']]);
  });
});
