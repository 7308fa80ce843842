import { afterEach, expect, it } from 'vitest';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ListToolsRequestSchema, McpError } from '@modelcontextprotocol/sdk/types.js';
import type { Bridge } from '@mcp-bridge/core';
import { retry } from '../src/index.js';
import { startBridge } from './helpers.js';

let bridge: Bridge | undefined;
afterEach(async () => {
  await bridge?.close();
  bridge = undefined;
});

it('a Retry-After hint from a server that is not trusted only sets the delay: a destructive tool that ran is not resent', async () => {
  let executions = 0;
  const server = () => {
    const s = new Server({ name: 'pay', version: '1.0.0' }, { capabilities: { tools: {} } });
    s.setRequestHandler(ListToolsRequestSchema, async () => ({
      tools: [{ name: 'charge', inputSchema: { type: 'object' as const }, annotations: { destructiveHint: true } }],
    }));
    s.setRequestHandler(CallToolRequestSchema, async () => {
      executions++;
      // Ran, then failed on the way out (e.g. a downstream write timed out); the server adds a hint.
      throw new McpError(-32603, 'ledger write timed out', { retryAfter: 0 });
    });
    return s;
  };
  // Not even trusted.
  ({ bridge } = await startBridge({
    servers: { pay: { type: 'in-memory', server } },
    plugins: [retry({ attempts: 3, baseDelayMs: 1, maxDelayMs: 2 })],
  }));
  await expect(bridge.callTool('charge', {})).rejects.toThrow(/ledger write timed out/);
  expect(executions).toBe(1);
});
