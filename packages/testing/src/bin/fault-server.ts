#!/usr/bin/env node
// The fault server over stdio: `mcp-bridge-fault-server [--options <json>]`. Exits when stdin closes,
// and on purpose for `drop-*` (code 0) and `crash` (code 1) faults.
import { parseArgs } from 'node:util';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createFaultCore, createFaultMcpServer } from '../fault/create-fault-server.js';
import type { FaultServerOptions } from '../fault/fault-options.js';
import { FaultTransport } from '../fault/fault-transport.js';
import { exitWithClient } from './exit-with-client.js';

function readOptions(): FaultServerOptions {
  const { values } = parseArgs({ options: { options: { type: 'string' } }, strict: true });
  return values.options === undefined ? {} : (JSON.parse(values.options) as FaultServerOptions);
}

let options: FaultServerOptions;
let core: ReturnType<typeof createFaultCore>;
try {
  options = readOptions();
  core = createFaultCore(options);
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(2);
}

const garbage = (lines: number): void => {
  for (let i = 0; i < lines; i++) process.stdout.write(`fault-server: this line is not JSON-RPC (${i + 1}/${lines})\n`);
};
const flood = (bytes: number): void => {
  if (bytes > 0) process.stderr.write(`${'E'.repeat(Math.max(0, bytes - 1))}\n`);
};

garbage(options.stdoutGarbage?.atStart ?? 0);
flood(options.stderrFlood?.atStartBytes ?? 0);
if (options.startDelayMs) await new Promise((resolve) => setTimeout(resolve, options.startDelayMs));

const server = createFaultMcpServer(options, core);
exitWithClient(server);

const transport = new FaultTransport(new StdioServerTransport(), core, {
  // A pipe cannot be dropped without the process: both end it (the ledger file is already written).
  drop: () => process.exit(0),
  crash: () => process.exit(1),
  beforeRequest: () => {
    garbage(options.stdoutGarbage?.perCall ?? 0);
    flood(options.stderrFlood?.perCallBytes ?? 0);
  },
});
await server.connect(transport);
