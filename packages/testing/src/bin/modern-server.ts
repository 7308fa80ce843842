#!/usr/bin/env node
// The modern (2026-07-28) test server over stdio:
//   mcp-bridge-modern-test-server [--options <json>] [--era dual|modern-only] [--faults <json FaultPlan>]
// The environment can set the same: MCP_BRIDGE_TEST_ERA, MCP_BRIDGE_TEST_FAULTS (flags win).
// Exits when stdin closes, and on purpose for `drop-*` faults (code 0).
import { parseArgs } from 'node:util';
import { StdioServerTransport } from '@modelcontextprotocol/server/stdio';
import { createModernTestServer, type ModernTestServer } from '../modern/create-modern-test-server.js';
import type { ModernTestServerOptions } from '../modern/modern-options.js';
import { serveModernTestServer } from '../modern/serve-modern.js';
import { exitWithClient } from './exit-with-client.js';

function readOptions(): ModernTestServerOptions {
  const { values } = parseArgs({
    options: { options: { type: 'string' }, era: { type: 'string' }, faults: { type: 'string' }, marker: { type: 'string' } },
    strict: true,
  });
  const options = values.options === undefined ? {} : (JSON.parse(values.options) as ModernTestServerOptions);
  const era = values.era ?? process.env.MCP_BRIDGE_TEST_ERA;
  const faults = values.faults ?? process.env.MCP_BRIDGE_TEST_FAULTS;
  return {
    ...options,
    ...(era !== undefined && era !== '' ? { era: era as ModernTestServerOptions['era'] } : {}),
    ...(faults !== undefined && faults !== '' ? { faults: JSON.parse(faults) as ModernTestServerOptions['faults'] } : {}),
  };
}

let server: ModernTestServer;
try {
  server = createModernTestServer(readOptions());
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(2);
}

// A pipe cannot be cut without the process: drop-* and crash end it (the ledger file is already written).
const handle = serveModernTestServer(server, new StdioServerTransport(), { drop: () => process.exit(0), crash: () => process.exit(1) });
exitWithClient(handle);
