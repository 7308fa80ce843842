import { describe, expect, it } from 'vitest';
import { createBridge, PluginError, type CallContext, type HostView, type Plugin, type PluginApi } from '../src/index.js';
import { inMemory, text, useBridges } from './fixtures.js';

const { track } = useBridges();

declare module '../src/index.js' {
  interface BridgeEvents {
    'test:own': { n: number };
  }
}

/** A plugin that hands its api (and the contexts it sees) to the test. */
function spy(): { plugin: Plugin; api: () => PluginApi; contexts: CallContext[] } {
  let captured: PluginApi | undefined;
  const contexts: CallContext[] = [];
  const plugin: Plugin = {
    name: 'spy',
    version: '1.0.0',
    setup(api) {
      captured = api;
      api.use({ phase: 'observe', handle: (ctx, next) => (contexts.push(ctx), next()) });
    },
  };
  return { plugin, api: () => captured!, contexts };
}

async function started(...plugins: Plugin[]) {
  const bridge = track(createBridge({ servers: { a: inMemory('a', ['echo']), b: inMemory('b', ['other']) }, plugins }));
  await bridge.start();
  return bridge;
}

describe('the plugin API is narrow', () => {
  it('gives plugins api.host with only the HostView members, and no api.bridge', async () => {
    const s = spy();
    const bridge = await started(s.plugin);
    const api = s.api();
    expect('bridge' in api).toBe(false);
    const host: HostView = api.host;
    expect(Object.keys(host).sort()).toEqual(
      [
        'connection',
        'isServerHidden',
        'request',
        'resolveResource',
        'servers',
        'setServerHidden',
        'state',
        'tools',
        'upstreams',
        'visibleTools',
      ].sort(),
    );
    // Nothing that reconfigures or ends the host is reachable through the view.
    for (const key of ['addServer', 'removeServer', 'close', 'start', 'callTool', 'status']) expect(key in host).toBe(false);
    expect(Object.isFrozen(host)).toBe(true);
    expect(host.state).toBe('ready');
    expect(host.servers()).toEqual(['a', 'b']);
    expect(
      host
        .tools()
        .map((t) => t.name)
        .sort(),
    ).toEqual(['echo', 'other']);
    expect(text((await host.request('a', 'tools/call', { name: 'echo', arguments: { text: 'x' } })) as { content: unknown[] })).toBe(
      'a:echo:x',
    );
    expect(host.connection(host.upstreams('a')[0]!)?.client).toBeDefined();
    expect(host.setServerHidden('b', true)).toBe(true);
    expect(host.isServerHidden('b')).toBe(true);
    expect((await bridge.listTools()).tools.map((t) => t.name)).toEqual(['echo']);
    await bridge.close();
    expect(host.state).toBe('closed');
  });

  it('gives middleware no host: a call context has no bridge field', async () => {
    const s = spy();
    const bridge = await started(s.plugin);
    await bridge.callTool('echo', { text: 'y' });
    expect(s.contexts.length).toBeGreaterThan(0);
    for (const ctx of s.contexts) expect('bridge' in ctx).toBe(false);
  });

  it('hands out read-only upstreams: assigning a field or changing the list throws, and the host still counts', async () => {
    const s = spy();
    const bridge = await started(s.plugin);
    const ups = s.api().host.upstreams('a');
    const up = ups[0]!;
    expect(up.status).toBe('ready');
    expect(up).toBe(bridge.upstreams('a')[0]);
    for (const [field, value] of [
      ['health', 'unhealthy'],
      ['status', 'failed'],
      ['inFlight', 5],
      ['lastError', new Error('x')],
      ['capabilities', {}],
    ] as const) {
      expect(() => ((up as unknown as Record<string, unknown>)[field] = value), field).toThrow(TypeError);
    }
    expect(() => (ups as unknown as unknown[]).push(up)).toThrow(TypeError);
    expect(up.health).toBe('healthy');
    // The host itself still keeps the live fields.
    let during = -1;
    const seen = createBridge({
      servers: { a: inMemory('a', ['echo']) },
      plugins: [
        {
          name: 'peek',
          version: '1.0.0',
          setup: (api) => api.use({ phase: 'upstream', handle: (ctx, next) => ((during = ctx.upstream!.inFlight), next()) }),
        },
      ],
    });
    track(seen);
    await seen.start();
    await seen.callTool('echo', { text: 'z' });
    expect(during).toBe(0);
    expect(seen.upstreams('a')[0]!.inFlight).toBe(0);
    expect(JSON.parse(JSON.stringify(seen.upstreams('a')[0]))).toMatchObject({
      id: 'a',
      server: 'a',
      status: 'ready',
      health: 'healthy',
      inFlight: 0,
    });
  });

  it("refuses core events in api.emit with an error naming the plugin and the event; the plugin's own events go out", async () => {
    const s = spy();
    const bridge = await started(s.plugin);
    const api = s.api();
    for (const event of ['upstream:add', 'call:error', 'host:close', 'catalog:changed', 'upstream:health'] as const) {
      let error: unknown;
      try {
        api.emit(event, {});
      } catch (e) {
        error = e;
      }
      expect(PluginError.isInstance(error), event).toBe(true);
      expect((error as PluginError).plugin).toBe('spy');
      expect((error as Error).message).toContain(`"${event}" is a core event`);
      expect((error as Error).message).toContain('[spy]');
    }
    const own: number[] = [];
    bridge.on('test:own', ({ n }) => own.push(n));
    api.emit('test:own', { n: 1 });
    expect(own).toEqual([1]);
  });
});
