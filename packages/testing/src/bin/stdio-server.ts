#!/usr/bin/env node
// The test server over stdio: `mcp-bridge-test-server [--options <json>]`. Exits when stdin closes.
import { parseArgs } from 'node:util';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createTestServer } from '../create-test-server.js';
import type { TestServerOptions } from '../options.js';
import { exitWithClient } from './exit-with-client.js';

function readOptions(): TestServerOptions {
  const { values } = parseArgs({ options: { options: { type: 'string' } }, strict: true });
  return values.options === undefined ? {} : (JSON.parse(values.options) as TestServerOptions);
}

let server: ReturnType<typeof createTestServer>;
try {
  server = createTestServer(readOptions());
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(2);
}

exitWithClient(server);

await server.connect(new StdioServerTransport());
