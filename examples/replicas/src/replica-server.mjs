// A tiny MCP server over stdio for load-balancing tests: plain node (no build, no tsx), so it
// starts in well under a second. `lookup` waits LATENCY_MS (env) and reports which replica answered.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

const latency = Number(process.env.LATENCY_MS ?? '0');
const replica = process.env.REPLICA ?? String(process.pid);
const server = new McpServer({ name: 'latency-server', version: '1.0.0' });

server.registerTool(
  'lookup',
  {
    description: 'Waits LATENCY_MS and answers with the replica name.',
    inputSchema: { key: z.string().optional() },
    annotations: { readOnlyHint: true },
  },
  async (_args, extra) => {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(resolve, latency);
      extra.signal.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          reject(new Error('cancelled'));
        },
        { once: true },
      );
    });
    return { content: [{ type: 'text', text: replica }] };
  },
);

await server.connect(new StdioServerTransport());
process.stdin.on('end', () => process.exit(0));
