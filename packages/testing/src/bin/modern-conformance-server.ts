#!/usr/bin/env node
// The conformance fixture on the v2 SDK (2026-07-28) over stdio:
//   mcp-bridge-modern-conformance-server [--era dual|modern-only] [--name <name>]
// Exits when stdin closes.
import { parseArgs } from 'node:util';
import { serveStdio, StdioServerTransport } from '@modelcontextprotocol/server/stdio';
import { createModernConformanceServer, type ModernConformanceServer } from '../modern/modern-conformance.js';
import { exitWithClient } from './exit-with-client.js';

let fixture: ModernConformanceServer;
try {
  const { values } = parseArgs({ options: { era: { type: 'string' }, name: { type: 'string' } }, strict: true });
  fixture = createModernConformanceServer({
    ...(values.era === undefined ? {} : { era: values.era as ModernConformanceServer['era'] }),
    ...(values.name === undefined ? {} : { name: values.name }),
  });
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(2);
}

exitWithClient(serveStdio(fixture.factory, { legacy: fixture.era === 'dual' ? 'serve' : 'reject', transport: new StdioServerTransport() }));
