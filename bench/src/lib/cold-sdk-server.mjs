#!/usr/bin/env node
// The cold-start bench's baseline (bench/src/cold-start.ts): the smallest useful MCP server written
// with the bare SDK, as its README shows it: one McpServer, one tool, StdioServerTransport. Plain
// JavaScript run by plain `node` (no tsx, no bundling), so its start costs what a user's would.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';

const server = new McpServer({ name: 'cold-sdk-server', version: '1.0.0' });
server.registerTool('hello', { description: 'Says hello.' }, async () => ({ content: [{ type: 'text', text: 'hello' }] }));
await server.connect(new StdioServerTransport());
