import { describe, expect, it } from 'vitest';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ListResourcesRequestSchema, ListResourceTemplatesRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { type Bridge, type Plugin } from '../src/index.js';
import { inMemory, useBridges } from './fixtures.js';

const { started } = useBridges();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const names = async (bridge: Bridge) => (await bridge.listTools()).tools.map((t) => t.name);

/** An in-memory server whose instances are kept, so a test can change or kill them. */
function live(build: (generation: number) => McpServer) {
  const instances: McpServer[] = [];
  return {
    instances,
    config: {
      type: 'in-memory' as const,
      server: () => {
        const s = build(instances.length);
        instances.push(s);
        return s;
      },
    },
  };
}

function withTools(name: string, tools: string[]): McpServer {
  const s = new McpServer({ name, version: '1' }, { capabilities: { tools: { listChanged: true } } });
  for (const t of tools) s.registerTool(t, {}, async () => ({ content: [{ type: 'text', text: `${name}:${t}` }] }));
  return s;
}

describe('keeping the catalog in step with upstreams', () => {
  it('a malformed resource template from one server leaves the others intact', async () => {
    const bad = {
      type: 'in-memory' as const,
      server: () => {
        const s = new McpServer({ name: 'bad', version: '1' });
        // Register through the low-level server so the SDK does not parse the template itself.
        s.server.registerCapabilities({ resources: {} });
        s.server.setRequestHandler(ListResourceTemplatesRequestSchema, async () => ({
          resourceTemplates: [{ name: 'x', uriTemplate: 'file:///{path' }],
        }));
        s.server.setRequestHandler(ListResourcesRequestSchema, async () => ({ resources: [] }));
        return s;
      },
    };
    const bridge = await started({ servers: { bad, good: inMemory('good', ['echo'], { resources: true }), plain: inMemory('plain') } });
    const { resourceTemplates, _meta } = await bridge.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate)).toEqual(['mem://good/items/{id}']);
    expect(_meta['mcp-bridge/servers'].bad).toMatchObject({ status: 'error', code: 'INVALID_ENTRY' });
    expect(_meta['mcp-bridge/servers'].good).toMatchObject({ status: 'ok' });
    expect((await bridge.readResource('mem://good/items/3')).contents[0]).toMatchObject({ text: 'item 3 of good' });
  });

  it('re-lists a server after it reconnects, and reports the change', async () => {
    const server = live((generation) => withTools('dyn', generation === 0 ? ['old_tool'] : ['new_tool']));
    const bridge = await started({ servers: { dyn: server.config }, reconnectMinMs: 10 });
    expect(await names(bridge)).toEqual(['old_tool']);
    const changed = new Promise((resolve) => bridge.on('catalog:changed', resolve));
    await server.instances[0]!.close(); // the upstream goes away ...
    await sleep(20);
    await bridge.ping('dyn'); // ... and the next use reconnects to a new version of it
    expect(await changed).toEqual({ server: 'dyn', kinds: ['tools'] });
    expect(await names(bridge)).toEqual(['new_tool']);
  });

  it('never lets an older list overwrite a newer one', async () => {
    const server = live(() => withTools('s', ['first']));
    let holdNext = false;
    const slowLists: Plugin = {
      name: 'slow-lists',
      version: '1.0.0',
      setup: (api) =>
        api.use({
          phase: 'observe',
          methods: ['tools/list'],
          async handle(_ctx, next) {
            const hold = holdNext;
            holdNext = false;
            const result = await next();
            if (hold) await sleep(300); // the answer is old by the time it lands
            return result;
          },
        }),
    };
    const bridge = await started({ servers: { s: server.config }, plugins: [slowLists] });
    holdNext = true;
    const slowRefresh = bridge.listTools({ refresh: true });
    await sleep(50);
    const upstream = server.instances[0]!;
    upstream.registerTool('second', {}, async () => ({ content: [] })); // sends list_changed
    await slowRefresh;
    await sleep(100);
    expect(await names(bridge)).toEqual(['first', 'second']);
  });

  it('treats a missing templates method as an empty list and does not re-list on every call', async () => {
    let templateLists = 0;
    const counter: Plugin = {
      name: 'counter',
      version: '1.0.0',
      setup: (api) => api.use({ phase: 'observe', methods: ['resources/templates/list'], handle: (_c, next) => (templateLists++, next()) }),
    };
    const onlyResources = {
      type: 'in-memory' as const,
      server: () => {
        const s = new McpServer({ name: 'r', version: '1' });
        s.registerResource('one', 'r://one', {}, async (uri) => ({ contents: [{ uri: uri.href, text: '1' }] }));
        // Deliberately break templates: the SDK would answer an empty list, some servers answer -32601.
        s.server.removeRequestHandler('resources/templates/list');
        return s;
      },
    };
    const bridge = await started({ servers: { r: onlyResources }, plugins: [counter] });
    for (let i = 0; i < 3; i++) {
      const { resourceTemplates, _meta } = await bridge.listResourceTemplates();
      expect(resourceTemplates).toEqual([]);
      expect(_meta['mcp-bridge/servers'].r).toMatchObject({ status: 'ok' });
    }
    expect(templateLists).toBe(1);
  });

  it('reports catalog:changed only when a list really changed', async () => {
    const bridge = await started({ servers: { a: inMemory('a') } });
    const events: unknown[] = [];
    bridge.on('catalog:changed', (e) => events.push(e));
    await bridge.listTools({ refresh: true });
    await bridge.listTools({ refresh: true });
    expect(events).toEqual([]);
  });
});
