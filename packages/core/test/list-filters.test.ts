import { describe, expect, it } from 'vitest';
import { createBridge, PluginError, type CallContext, type Plugin } from '../src/index.js';
import { inMemory, useBridges } from './fixtures.js';

const { started, track } = useBridges();

/** Hides every entry whose name starts with `admin` from callers other than `root`. */
function adminOnly(): Plugin {
  return {
    name: 'admin-only',
    version: '1.0.0',
    setup(api) {
      api.filterList('tools', (entry, { caller }) => caller === 'root' || !entry.name.startsWith('admin'));
      api.filterList('prompts', (entry, { caller }) => caller === 'root' || entry.server !== 'b');
      api.filterList('resources', (entry, { caller }) => caller === 'root' || !entry.uri.includes('/b/'));
      api.filterList('templates', (entry, { caller }) => caller === 'root' || entry.server !== 'b');
    },
  };
}

const servers = {
  a: inMemory('a', ['echo', 'admin_reset'], { resources: true, prompts: true }),
  b: inMemory('b', ['search'], { resources: true, prompts: true }),
};

describe('per-caller list filters (api.filterList)', () => {
  it('hide entries per caller in every list, and leave the catalog and other callers alone', async () => {
    const bridge = await started({ servers, plugins: [adminOnly()] });
    const names = async (caller?: string) =>
      (await bridge.listTools(caller === undefined ? {} : { caller })).tools.map((t) => t.name).sort();
    expect(await names('root')).toEqual(['admin_reset', 'echo', 'search']);
    expect(await names('alice')).toEqual(['echo', 'search']);
    expect(await names()).toEqual(['echo', 'search']);
    // The catalog itself is shared and unfiltered; so is the status in _meta.
    expect(
      bridge
        .tools()
        .map((t) => t.name)
        .sort(),
    ).toEqual(['admin_reset', 'echo', 'search']);
    expect(Object.keys((await bridge.listTools({ caller: 'alice' }))._meta['mcp-bridge/servers'])).toEqual(['a', 'b']);

    expect((await bridge.listPrompts({ caller: 'root' })).prompts).toHaveLength(2);
    expect((await bridge.listPrompts({ caller: 'alice' })).prompts.map((p) => p.name)).toEqual(['a__greet']);
    expect((await bridge.listResources({ caller: 'root' })).resources).toHaveLength(2);
    expect((await bridge.listResources({ caller: 'alice' })).resources.map((r) => r.uri)).toEqual(['mem://a/readme']);
    expect((await bridge.listResourceTemplates({ caller: 'root' })).resourceTemplates).toHaveLength(2);
    expect((await bridge.listResourceTemplates({ caller: 'alice' })).resourceTemplates.map((t) => t.uriTemplate)).toEqual([
      'mem://a/items/{id}',
    ]);
  });

  it('need every plugin to agree, and get the same view object for every entry of one list', async () => {
    const views = new Set<object>();
    const second: Plugin = {
      name: 'no-echo',
      version: '1.0.0',
      setup(api) {
        api.filterList('tools', (entry, view) => {
          views.add(view);
          return entry.upstreamName !== 'echo';
        });
      },
    };
    const bridge = await started({ servers, plugins: [adminOnly(), second] });
    expect((await bridge.listTools({ caller: 'root' })).tools.map((t) => t.name).sort()).toEqual(['admin_reset', 'search']);
    expect(views.size).toBe(1);
    expect([...views][0]).toEqual({ caller: 'root' });
  });

  it('fail closed with a PluginError naming the plugin when a filter throws', async () => {
    const broken: Plugin = {
      name: 'broken-filter',
      version: '1.0.0',
      setup(api) {
        api.filterList('tools', () => {
          throw new Error('rules not loaded');
        });
      },
    };
    const bridge = await started({ servers, plugins: [broken] });
    const error = await bridge.listTools({ caller: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PluginError);
    expect(error).toMatchObject({ code: 'PLUGIN_LIST_FILTER_FAILED', plugin: 'broken-filter', data: { kind: 'tools', caller: 'x' } });
    expect((error as Error).message).toMatch(/\[broken-filter\].*tools list filter threw: rules not loaded/);
    // Only the tools list has a filter.
    expect((await bridge.listPrompts()).prompts).toHaveLength(2);
  });

  it('are registered during setup only, with a valid kind', async () => {
    let api: Parameters<Plugin['setup']>[0] | undefined;
    const late: Plugin = { name: 'late', version: '1.0.0', setup: (a) => void (api = a) };
    await started({ servers: {}, plugins: [late] });
    expect(() => api!.filterList('tools', () => true)).toThrow(/\[late\].*api\.filterList\(\) after setup/);

    const bad: Plugin = { name: 'bad-kind', version: '1.0.0', setup: (a) => a.filterList('widgets' as 'tools', () => true) };
    const bridge = track(createBridge({ plugins: [bad] }));
    await expect(bridge.start()).rejects.toThrow(
      /\[bad-kind\].*api\.filterList\(\) needs a kind \(tools, prompts, resources or templates\)/,
    );
  });
});

describe('CallOptions.meta', () => {
  it("merges into params._meta for the pipeline, without touching the caller's params", async () => {
    const seen: unknown[] = [];
    const spy: Plugin = {
      name: 'spy',
      version: '1.0.0',
      setup(api) {
        api.use({ phase: 'observe', methods: ['tools/call'], handle: (ctx: CallContext, next) => (seen.push(ctx.params._meta), next()) });
      },
    };
    const bridge = await started({ servers: { a: inMemory('a') }, plugins: [spy] });
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await bridge.callTool('echo', { text: 'x' }, { meta: { traceparent, tracestate: 'k=v' } });
    await bridge.callTool('echo', { text: 'y' });
    const params = { name: 'echo', arguments: {}, _meta: { own: 1 } };
    await bridge.request('a', 'tools/call', params, { meta: { traceparent } });
    expect(seen).toEqual([{ traceparent, tracestate: 'k=v' }, undefined, { own: 1, traceparent }]);
    expect(params._meta).toEqual({ own: 1 });
  });
});
