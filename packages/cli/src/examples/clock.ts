#!/usr/bin/env node
// Bundled example server `clock`: the time anywhere, and a slow `countdown` tool that reports
// progress while it runs (and stops when the caller cancels).
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { noElicitation, runStdio, sleep } from './run-stdio.js';

const server = new McpServer(
  { name: 'mcp-bridge-example-clock', version: '0.1.0' },
  { capabilities: { tools: {} }, jsonSchemaValidator: noElicitation },
);

server.registerTool(
  'now',
  {
    title: 'Current time',
    description: 'The current date and time in a time zone (IANA name, default UTC).',
    inputSchema: { timeZone: z.string().optional().describe('e.g. "Europe/Paris"') },
    annotations: { readOnlyHint: true, idempotentHint: true },
  },
  ({ timeZone }) => {
    const zone = timeZone ?? 'UTC';
    let text: string;
    try {
      text = new Intl.DateTimeFormat('en-GB', { dateStyle: 'full', timeStyle: 'long', timeZone: zone }).format(new Date());
    } catch {
      return { isError: true, content: [{ type: 'text', text: `unknown time zone "${zone}"` }] };
    }
    return { content: [{ type: 'text', text }], structuredContent: { iso: new Date().toISOString(), timeZone: zone, text } };
  },
);

server.registerTool(
  'countdown',
  {
    title: 'Countdown',
    description: 'Counts down from `seconds` (1-30), sending one progress notification per step; cancellable.',
    inputSchema: {
      seconds: z.number().int().min(1).max(30).describe('Seconds to count down'),
      stepMs: z.number().int().min(10).max(1000).optional().describe('Length of one step in ms (default 1000)'),
    },
    annotations: { readOnlyHint: true, idempotentHint: true },
  },
  async ({ seconds, stepMs }, extra) => {
    const token = extra._meta?.progressToken;
    for (let left = seconds; left > 0; left--) {
      if (token !== undefined) {
        await extra.sendNotification({
          method: 'notifications/progress',
          params: { progressToken: token, progress: seconds - left, total: seconds, message: `${left} left` },
        });
      }
      await sleep(stepMs ?? 1000, extra.signal);
    }
    return { content: [{ type: 'text', text: `countdown of ${seconds} finished` }] };
  },
);

server.registerTool('about', { description: 'What this server is.', annotations: { readOnlyHint: true } }, () => ({
  content: [{ type: 'text', text: 'clock example server' }],
}));

await runStdio(server);
