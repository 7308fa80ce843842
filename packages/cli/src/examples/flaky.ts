#!/usr/bin/env node
// Bundled example server `flaky`: a lookup that sometimes hangs, to show retries with a per-attempt
// timeout at work. FLAKY_SLOW_RATE (0..1, default 0.25) of calls take FLAKY_SLOW_MS (default 3000) ms
// (or exactly the calls listed in FLAKY_SLOW_CALLS).
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { noElicitation, runStdio, sleep } from './run-stdio.js';

const slowRate = Number(process.env.FLAKY_SLOW_RATE ?? 0.25);
const slowMs = Number(process.env.FLAKY_SLOW_MS ?? 3000);
// FLAKY_SLOW_CALLS=2,5: exactly these lookups (1-based) are slow, instead of a random share (for demos and tests).
const slowCalls = process.env.FLAKY_SLOW_CALLS ? new Set(process.env.FLAKY_SLOW_CALLS.split(',').map(Number)) : undefined;
const capitals: Record<string, string> = { france: 'Paris', japan: 'Tokyo', kenya: 'Nairobi', peru: 'Lima', canada: 'Ottawa' };
let calls = 0;

const server = new McpServer(
  { name: 'mcp-bridge-example-flaky', version: '0.1.0' },
  { capabilities: { tools: {} }, jsonSchemaValidator: noElicitation },
);

server.registerTool(
  'capital',
  {
    title: 'Capital city',
    description: 'The capital of a country. Sometimes very slow: a retry with a per-attempt timeout hides that.',
    inputSchema: { country: z.string().describe('Country name in English') },
    annotations: { readOnlyHint: true, idempotentHint: true },
  },
  async ({ country }, extra) => {
    calls++;
    if (slowCalls ? slowCalls.has(calls) : Math.random() < slowRate) await sleep(slowMs, extra.signal);
    const capital = capitals[country.toLowerCase()];
    if (!capital)
      return {
        isError: true,
        content: [{ type: 'text', text: `unknown country "${country}" (known: ${Object.keys(capitals).join(', ')})` }],
      };
    return { content: [{ type: 'text', text: capital }] };
  },
);

server.registerTool('stats', { description: 'How many lookups this process has served.', annotations: { readOnlyHint: true } }, () => ({
  content: [{ type: 'text', text: `${calls} lookups served` }],
}));

await runStdio(server);
