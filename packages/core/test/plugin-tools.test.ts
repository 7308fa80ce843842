import { describe, expect, it } from 'vitest';
import { createBridge, PluginError, type CallOptions, type Plugin } from '../src/index.js';
import { inMemory, useBridges } from './fixtures.js';

const { started, track } = useBridges();

const servers = { a: inMemory('a', ['echo', 'admin_reset']), b: inMemory('b', ['search']) };

/** Serves `whoami` itself, lists it plus `echo` only, and hides `admin_*` from everyone but root. */
function shaper(seen: CallOptions[]): Plugin {
  return {
    name: 'shaper',
    version: '1.0.0',
    setup(api) {
      api.filterList('tools', (entry, { caller }) => caller === 'root' || !entry.name.startsWith('admin'));
      api.addTool({
        tool: { name: 'whoami', inputSchema: { type: 'object' } },
        async call(args, options) {
          seen.push(options);
          const visible = api.host.visibleTools({ caller: options.caller, principal: options.principal }).map((e) => e.name);
          return {
            content: [{ type: 'text', text: `${options.caller ?? 'anonymous'}:${visible.sort().join(',')}:${JSON.stringify(args)}` }],
          };
        },
      });
      api.transformList('tools', (tools) => tools.filter((t) => t.name === 'whoami' || t.name === 'echo'));
    },
  };
}

describe("plugins' own tools (api.addTool) and list transforms (api.transformList)", () => {
  it('list the plugin tool first, transform the listing only, and call the tool with the caller options', async () => {
    const seen: CallOptions[] = [];
    const bridge = await started({ servers, plugins: [shaper(seen)] });
    expect((await bridge.listTools({ caller: 'alice' })).tools.map((t) => t.name)).toEqual(['whoami', 'echo']);
    // The catalog and calls by name are untouched by the transform.
    expect(bridge.tools().map((t) => t.name)).toContain('search');
    expect((await bridge.callTool('search', { text: 'x' })).isError).toBeFalsy();

    const alice = await bridge.callTool('whoami', { q: 1 }, { caller: 'alice' });
    expect(alice.content).toEqual([{ type: 'text', text: 'alice:echo,search:{"q":1}' }]);
    const root = await bridge.callTool('whoami', {}, { caller: 'root' });
    expect(root.content).toEqual([{ type: 'text', text: 'root:admin_reset,echo,search:{}' }]);
    expect(seen.map((o) => o.caller)).toEqual(['alice', 'root']);
  });

  it('refuse a bad or duplicate tool name and a transform that throws, naming the plugin', async () => {
    const bad = (tool: unknown): Plugin => ({
      name: 'bad-tool',
      version: '1.0.0',
      setup: (api) => api.addTool({ tool, call: () => Promise.resolve({ content: [] }) } as never),
    });
    await expect(
      track(createBridge({ servers, plugins: [bad({ name: 'has space', inputSchema: { type: 'object' } })] })).start(),
    ).rejects.toThrow(/\[bad-tool\] api\.addTool\(\) needs .* \(got "has space"\)/);
    const twice: Plugin = {
      name: 'twice',
      version: '1.0.0',
      setup(api) {
        api.addTool({ tool: { name: 't', inputSchema: { type: 'object' } }, call: () => Promise.resolve({ content: [] }) });
      },
    };
    const err = await track(createBridge({ servers, plugins: [twice, { ...twice, name: 'twice-2' }] }))
      .start()
      .catch((e: unknown) => e);
    expect(PluginError.isInstance(err) && (err as Error).message).toMatch(/\[twice-2\] .*"t" is already served by twice/);

    const throwing: Plugin = {
      name: 'throwing',
      version: '1.0.0',
      setup: (api) =>
        api.transformList('tools', () => {
          throw new Error('boom');
        }),
    };
    const bridge = await started({ servers, plugins: [throwing] });
    await expect(bridge.listTools()).rejects.toThrow(/\[throwing\] its tools list transform threw: boom/);
  });
});
