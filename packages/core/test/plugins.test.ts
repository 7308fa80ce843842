import { describe, expect, it } from 'vitest';
import { createBridge, PluginError, type Plugin } from '../src/index.js';
import { inMemory, useBridges } from './fixtures.js';

const { track } = useBridges();
function plugin(name: string, extra: Partial<Plugin> = {}, log?: string[]): Plugin {
  return {
    name,
    version: '1.0.0',
    setup(api) {
      log?.push(`setup ${name}`);
      api.onClose(() => {
        log?.push(`close ${name}`);
      });
    },
    ...extra,
  };
}

async function bootError(plugins: Plugin[], options: Record<string, unknown> = {}): Promise<PluginError> {
  const bridge = createBridge({ plugins, ...options });
  track(bridge);
  const error = await bridge.start().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PluginError);
  return error as PluginError;
}

describe('plugin boot', () => {
  it('rejects duplicate names', async () => {
    const e = await bootError([plugin('a'), plugin('a')]);
    expect(e.code).toBe('PLUGIN_DUPLICATE');
    expect(e.message).toMatch(/^\[mcp-bridge\] \[a\] is listed twice/);
  });

  it('rejects something that is not a plugin, with a hint', async () => {
    const e = await bootError([(() => plugin('a')) as unknown as Plugin]);
    expect(e.code).toBe('PLUGIN_INVALID');
    expect(e.message).toMatch(/did you forget to call the factory/);
    expect((await bootError([{ ...plugin('v'), version: 'one' }])).message).toMatch(/\[v\] has an invalid version "one"/);
  });

  it('checks the core range', async () => {
    const e = await bootError([plugin('old', { core: '^0.0.1' })]);
    expect(e.code).toBe('PLUGIN_CORE_RANGE');
    expect(e.message).toMatch(/\[old\] supports @mcp-bridge\/core \^0\.0\.1, but this is @mcp-bridge\/core \d/);
  });

  it('checks dependsOn, with and without ranges', async () => {
    expect((await bootError([plugin('b', { dependsOn: ['a'] })])).code).toBe('PLUGIN_MISSING_DEPENDENCY');
    const e = await bootError([plugin('a'), plugin('b', { dependsOn: { a: '^2.0.0' } })]);
    expect(e.code).toBe('PLUGIN_DEPENDENCY_RANGE');
    expect(e.message).toMatch(/\[b\] needs "a" \^2\.0\.0, but version 1\.0\.0 is installed/);
  });

  it('checks requires/provides: one provider per slot, no missing provider, provide only what is declared', async () => {
    const balancer = { pick: () => undefined };
    const provider = (name: string): Plugin => plugin(name, { provides: ['balancer'], setup: (api) => api.provide('balancer', balancer) });
    const conflict = await bootError([provider('p1'), provider('p2')]);
    expect(conflict.code).toBe('SERVICE_CONFLICT');
    expect(conflict.message).toMatch(/\[p2\] provides the "balancer" service, which "p1" already provides/);
    const missing = await bootError([plugin('needs', { requires: ['cacheStore' as never] })]);
    expect(missing.code).toBe('SERVICE_MISSING');
    const undeclared = await bootError([plugin('sneaky', { setup: (api) => api.provide('balancer', balancer) })]);
    expect(undeclared.code).toBe('SERVICE_UNDECLARED');
    const forgot = await bootError([plugin('forgot', { provides: ['balancer'] })]);
    expect(forgot.code).toBe('SERVICE_MISSING');
  });

  it('orders topologically: dependencies, providers and `after` first, ties in the user order', async () => {
    const log: string[] = [];
    const bridge = createBridge({
      plugins: [
        plugin('uses-b', { dependsOn: ['b'] }, log),
        plugin('a', {}, log),
        plugin('b', {}, log),
        plugin('late', { after: ['c', 'not-installed'] }, log),
        plugin('c', {}, log),
        plugin('consumer', { requires: ['namer'] }, log),
        plugin(
          'provider',
          {
            provides: ['namer'],
            setup: (api) => {
              log.push('setup provider');
              api.provide('namer', api.service('namer'));
            },
          },
          log,
        ),
      ],
    });
    track(bridge);
    await bridge.start();
    expect(log).toEqual(['setup a', 'setup b', 'setup uses-b', 'setup c', 'setup late', 'setup provider', 'setup consumer']);
    await bridge.close();
    // Cleanups in reverse setup order (provider registered no cleanup).
    expect(log.slice(7)).toEqual(['close consumer', 'close late', 'close c', 'close uses-b', 'close b', 'close a']);
  });

  it('reports a cycle by plugin names', async () => {
    const e = await bootError([plugin('x', { dependsOn: ['y'] }), plugin('y', { after: ['z'] }), plugin('z', { dependsOn: ['x'] })]);
    expect(e.code).toBe('PLUGIN_CYCLE');
    expect(e.message).toMatch(/dependency cycle: (x -> z -> y -> x|y -> x -> z -> y|z -> y -> x -> z)/);
  });

  it('times out a setup that never finishes, and cleans up the plugins already set up', async () => {
    const log: string[] = [];
    const e = await bootError([plugin('fine', {}, log), plugin('stuck', { setupTimeout: 50, setup: () => new Promise(() => {}) })]);
    expect(e.code).toBe('PLUGIN_SETUP_TIMEOUT');
    expect(e.message).toMatch(/\[stuck\] setup did not finish within 50 ms/);
    expect(log).toEqual(['setup fine', 'close fine']);
  });

  it('wraps a setup that throws, naming the plugin', async () => {
    const e = await bootError([
      plugin('broken', {
        setup: () => {
          throw new TypeError('bad option');
        },
      }),
    ]);
    expect(e.code).toBe('PLUGIN_SETUP_FAILED');
    expect(e.message).toBe('[mcp-bridge] [broken] setup failed: bad option');
    expect(e.cause).toBeInstanceOf(TypeError);
  });

  it('freezes the pipeline after setup', async () => {
    let saved: Parameters<Plugin['setup']>[0] | undefined;
    const bridge = createBridge({
      plugins: [
        plugin('keeps-api', {
          setup: (api) => {
            saved = api;
          },
        }),
      ],
    });
    track(bridge);
    await bridge.start();
    expect(() => saved!.use({ phase: 'observe', handle: (_c, next) => next() })).toThrow(/called api.use\(\) after setup/);
  });

  it('rejects a middleware with an unknown phase', async () => {
    const e = await bootError([plugin('typo', { setup: (api) => api.use({ phase: 'cahce' as never, handle: (_c, n) => n() }) })]);
    expect(e.code).toBe('PLUGIN_INVALID');
    expect(e.message).toMatch(/phase one of observe, policy/);
  });

  it('lets plugins expose typed values and emit their own events', async () => {
    const seen: unknown[] = [];
    const bridge = createBridge({
      servers: { a: inMemory('a') },
      plugins: [
        plugin('exposer', {
          setup(api) {
            api.expose('answer' as never, 42 as never);
            api.on('host:ready', ({ servers }) => seen.push(servers));
          },
        }),
      ],
    });
    track(bridge);
    await bridge.start();
    expect((bridge as unknown as { answer: number }).answer).toBe(42);
    expect(seen).toEqual([['a']]);
  });
});
