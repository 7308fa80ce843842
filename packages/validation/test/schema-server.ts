import { afterEach } from 'vitest';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { createBridge, type Bridge, type BridgeOptions } from '@mcp-bridge/core';

/** A tool of the fixture: its raw JSON Schemas and what it answers. */
export interface FixtureTool {
  name: string;
  inputSchema: Tool['inputSchema'] | Record<string, unknown>;
  outputSchema?: Record<string, unknown>;
  /** The result; by default `{ content: [{ type: 'text', text: JSON.stringify(args) }] }`. */
  result?: (args: Record<string, unknown> | undefined) => CallToolResult;
}

/**
 * A low-level SDK server that lists tools with exactly the JSON Schemas given (McpServer would
 * generate them from zod and validate arguments itself) and counts every execution, with the
 * arguments it received. `setTools` changes the list and sends `tools/list_changed`.
 */
export function schemaServer(initial: FixtureTool[]) {
  let tools = initial;
  const calls: { name: string; args: Record<string, unknown> | undefined }[] = [];
  const live: Server[] = [];
  const make = (): Server => {
    const server = new Server({ name: 'schemas', version: '1.0.0' }, { capabilities: { tools: { listChanged: true } } });
    server.setRequestHandler(ListToolsRequestSchema, () => ({
      tools: tools.map(
        (t) => ({ name: t.name, inputSchema: t.inputSchema, ...(t.outputSchema ? { outputSchema: t.outputSchema } : {}) }) as Tool,
      ),
    }));
    server.setRequestHandler(CallToolRequestSchema, (request) => {
      const tool = tools.find((t) => t.name === request.params.name);
      calls.push({ name: request.params.name, args: request.params.arguments });
      if (!tool) return { content: [{ type: 'text', text: `no tool ${request.params.name}` }], isError: true };
      return tool.result
        ? tool.result(request.params.arguments)
        : { content: [{ type: 'text', text: JSON.stringify(request.params.arguments ?? {}) }] };
    });
    live.push(server);
    return server;
  };
  return {
    config: { type: 'in-memory' as const, server: make },
    calls,
    /** Executions of one tool. */
    count: (name: string): number => calls.filter((c) => c.name === name).length,
    /** Replace the tool list and notify every connected client. */
    async setTools(next: FixtureTool[]): Promise<void> {
      tools = next;
      await Promise.all(live.map((s) => s.sendToolListChanged().catch(() => undefined)));
    },
  };
}

/** Bridges for one test file, closed after each test. */
export function useBridges() {
  const open: Bridge[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((b) => b.close()));
  });
  return {
    async started(options: BridgeOptions): Promise<Bridge> {
      const bridge = createBridge(options);
      open.push(bridge);
      await bridge.start();
      return bridge;
    },
    track(bridge: Bridge): Bridge {
      open.push(bridge);
      return bridge;
    },
  };
}

/** The text of a result's first content block. */
export const text = (result: { content: unknown[] }): string => (result.content[0] as { text: string }).text;
