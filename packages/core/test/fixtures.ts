import { afterEach } from 'vitest';
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { createBridge, type Bridge, type BridgeOptions } from '../src/index.js';
import { z } from 'zod';

/** A small in-process MCP server for core's unit tests. */
export function fixtureServer(name: string, tools: string[] = ['echo'], extra: { resources?: boolean; prompts?: boolean } = {}) {
  const server = new McpServer({ name, version: '1.0.0' }, { capabilities: { tools: { listChanged: true } } });
  const calls: string[] = [];
  for (const tool of tools) {
    server.registerTool(
      tool,
      { description: `${tool} of ${name}`, inputSchema: { text: z.string().optional() }, annotations: { readOnlyHint: true } },
      async ({ text }) => {
        calls.push(tool);
        return { content: [{ type: 'text', text: `${name}:${tool}:${text ?? ''}` }] };
      },
    );
  }
  if (extra.resources) {
    server.registerResource('readme', `mem://${name}/readme`, { mimeType: 'text/plain' }, async (uri) => ({
      contents: [{ uri: uri.href, text: `readme of ${name}` }],
    }));
    server.registerResource(
      'item',
      new ResourceTemplate(`mem://${name}/items/{id}`, {
        list: undefined,
        complete: { id: (v) => ['1', '2', '10'].filter((x) => x.startsWith(v)) },
      }),
      {},
      async (uri, vars) => ({ contents: [{ uri: uri.href, text: `item ${String(vars.id)} of ${name}` }] }),
    );
  }
  if (extra.prompts) {
    server.registerPrompt('greet', { argsSchema: { who: z.string() } }, ({ who }) => ({
      messages: [{ role: 'user', content: { type: 'text', text: `hello ${who} from ${name}` } }],
    }));
  }
  return { server, calls };
}

/** A server config entry that builds a fresh fixture server per connection. */
export function inMemory(name: string, tools?: string[], extra?: { resources?: boolean; prompts?: boolean }) {
  return { type: 'in-memory' as const, server: () => fixtureServer(name, tools, extra).server };
}

/**
 * Bridges for one test file: `started(options)` creates and starts one; every bridge made here is
 * closed after each test.
 */
export function useBridges() {
  const open: Bridge[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((b) => b.close()));
  });
  return {
    /** Close this bridge after the test. */
    track<B extends Bridge>(bridge: B): B {
      open.push(bridge);
      return bridge;
    },
    async started(options: BridgeOptions): Promise<Bridge> {
      const bridge = createBridge(options);
      open.push(bridge);
      await bridge.start();
      return bridge;
    },
  };
}

/** The text of a tool result's first content block. */
export const text = (result: { content: unknown[] }): string => (result.content[0] as { text: string }).text;
