import { afterEach, describe, expect, it } from 'vitest';
import { McpServer } from '@modelcontextprotocol/server';
import { CallToolResultSchema, ListToolsResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { connect, type Connection } from '@mcp-bridge/transports';
import { textOf } from './helpers/fixture-server.js';
import { startModernHttpServer, type ModernHttpServer } from './helpers/modern-http.js';

// A modern upstream's tools/call skips the v2 client's `callTool` for tools the last tools/list showed
// without `x-mcp-header` (call-tool-route.ts): these tests pin that the headers still go out wherever
// a tool declares them, including a tool that gained a declaration after it was listed.

type Body = { method?: string; params?: { name?: string } };

/** `regional(region)`; with `declares`, its argument is mirrored as `Mcp-Param-Region` (and the server checks the header). */
function regionalServer(declares: () => boolean): McpServer {
  const server = new McpServer({ name: 'route', version: '1.0.0' }, { capabilities: { tools: {} } });
  const region = declares() ? z.string().meta({ 'x-mcp-header': 'Region' }) : z.string();
  server.registerTool('regional', { inputSchema: z.object({ region }) }, ({ region: r }) => ({
    content: [{ type: 'text', text: `in ${r}` }],
  }));
  server.registerTool('plain', { inputSchema: z.object({ text: z.string() }) }, ({ text }) => ({ content: [{ type: 'text', text }] }));
  return server;
}

describe('tools/call on a modern upstream: plain request or the v2 callTool', () => {
  let http: ModernHttpServer | undefined;
  let connection: Connection | undefined;

  afterEach(async () => {
    await connection?.close();
    await http?.close();
  });

  const calls = (name: string): Array<Record<string, unknown>> =>
    http!.requests
      .filter((r) => (r.body as Body | undefined)?.method === 'tools/call' && (r.body as Body).params?.name === name)
      .map((r) => r.headers);

  async function start(declares: () => boolean): Promise<Connection> {
    http = await startModernHttpServer({ legacy: 'reject', factory: () => regionalServer(declares) });
    connection = await connect('route', { url: http.url, protocol: '2026-07-28' });
    await connection.client.request({ method: 'tools/list', params: {} }, ListToolsResultSchema);
    return connection;
  }

  const call = (c: Connection, name: string, args: Record<string, unknown>) =>
    c.client.request({ method: 'tools/call', params: { name, arguments: args } }, CallToolResultSchema);

  it('mirrors the declared header of a listed tool, and answers a tool without declarations alike', async () => {
    const c = await start(() => true);
    expect(textOf(await call(c, 'regional', { region: 'eu-west' }))).toBe('in eu-west');
    expect(calls('regional').at(-1)?.['mcp-param-region']).toBe('eu-west');
    expect(textOf(await call(c, 'plain', { text: 'hi' }))).toBe('hi');
    expect(calls('plain')).toHaveLength(1);
    expect(calls('plain')[0]?.['mcp-name']).toBe('plain');
  });

  it('sends the header once a tool listed without it declares it (the server refused the plain request before running it)', async () => {
    let declares = false;
    const c = await start(() => declares);
    expect(textOf(await call(c, 'regional', { region: 'eu' }))).toBe('in eu');
    expect(calls('regional').at(-1)?.['mcp-param-region']).toBeUndefined();

    declares = true;
    expect(textOf(await call(c, 'regional', { region: 'us' }))).toBe('in us');
    expect(calls('regional').at(-1)?.['mcp-param-region']).toBe('us');
    // From now on straight through callTool, with the header: one request per call.
    const before = calls('regional').length;
    expect(textOf(await call(c, 'regional', { region: 'ap' }))).toBe('in ap');
    expect(calls('regional')).toHaveLength(before + 1);
    expect(calls('regional').at(-1)?.['mcp-param-region']).toBe('ap');
  });
});
