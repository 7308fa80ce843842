// `pnpm try [URL]`: a few calls through the running gateway (`pnpm start` in another terminal), so
// the plugins show in its log: a validation rejection, retries of a slow lookup, a cache hit,
// progress from a slow tool, and a clear error from the dead server.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

const url = new URL(process.argv[2] ?? `http://127.0.0.1:${process.env.PORT ?? 7800}/mcp`);
const client = new Client({ name: 'gateway-try', version: '0.0.0' });
await client.connect(new StreamableHTTPClientTransport(url));

const { tools } = await client.listTools();
console.log(`${tools.length} tools: ${tools.map((t) => t.name).join(', ')}`);

const show = (label: string, r: CallToolResult): void =>
  console.log(
    `${label}: ${r.isError ? '[isError] ' : ''}${
      r.content
        .map((c) => (c.type === 'text' ? c.text : `[${c.type}]`))
        .join(' ')
        .split('\n')[0]
    }`,
  );

show('search_notes', (await client.callTool({ name: 'search_notes', arguments: { query: 'keyboard' } })) as CallToolResult);
show('capital (bad arguments)', (await client.callTool({ name: 'capital', arguments: { country: 42 } })) as CallToolResult);
for (const country of ['France', 'Japan', 'Peru', 'France']) {
  const started = performance.now();
  const r = (await client.callTool({ name: 'capital', arguments: { country } })) as CallToolResult;
  show(`capital ${country} (${Math.round(performance.now() - started)} ms)`, r);
}
show(
  'countdown',
  (await client.callTool({ name: 'countdown', arguments: { seconds: 3, stepMs: 200 } }, undefined, {
    onprogress: (p) => console.log(`  progress ${p.progress}/${p.total ?? '?'} ${p.message ?? ''}`),
  })) as CallToolResult,
);
await client.close();
