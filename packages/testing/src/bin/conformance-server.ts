#!/usr/bin/env node
// The conformance fixture over stdio: `mcp-bridge-conformance-server [--name <name>]`. Exits when stdin closes.
import { parseArgs } from 'node:util';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createConformanceServer } from '../conformance-server.js';
import { exitWithClient } from './exit-with-client.js';

const { values } = parseArgs({ options: { name: { type: 'string' } }, strict: true });
const server = createConformanceServer(values.name === undefined ? {} : { name: values.name });

exitWithClient(server);

await server.connect(new StdioServerTransport());
