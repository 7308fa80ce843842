import { createBridge } from '@mcp-bridge/core';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  ElicitationCompleteNotificationSchema,
  ElicitRequestSchema,
  ElicitResultSchema,
  ListToolsRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { gatewayClientCapabilities, serveHttp } from '../src/index.js';
import { waitFor } from './support/clients.js';

/** An upstream whose tool asks the user to sign in on a web page (URL-mode elicitation), then says when that is done. */
function signInServer(): Server {
  const server = new Server({ name: 'sign-in', version: '1.0.0' }, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: [{ name: 'connect_account', inputSchema: { type: 'object' } }] }));
  server.setRequestHandler(CallToolRequestSchema, async (_request, extra) => {
    const elicitationId = `e-${Math.random().toString(36).slice(2)}`;
    const answer = await extra.sendRequest(
      {
        method: 'elicitation/create',
        params: { mode: 'url', message: 'Sign in to connect your account', url: 'https://example.com/login', elicitationId },
      },
      ElicitResultSchema,
    );
    // The user finished on the web page: the server tells the client, outside any request.
    setTimeout(
      () =>
        void server
          .createElicitationCompletionNotifier(elicitationId)()
          .catch(() => undefined),
      20,
    );
    return { content: [{ type: 'text', text: `${answer.action} ${elicitationId}` }] };
  });
  return server;
}

describe('URL-mode elicitation through the gateway', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => undefined);
  });

  async function urlCapableClient(url: string): Promise<{ client: Client; asked: string[]; completed: string[] }> {
    const client = new Client({ name: 'web-capable', version: '1.0.0' }, { capabilities: { elicitation: { form: {}, url: {} } } });
    const asked: string[] = [];
    const completed: string[] = [];
    client.setRequestHandler(ElicitRequestSchema, (request) => {
      asked.push((request.params as { elicitationId: string }).elicitationId);
      return { action: 'accept' };
    });
    client.setNotificationHandler(ElicitationCompleteNotificationSchema, (n) => void completed.push(n.params.elicitationId));
    await client.connect(new StreamableHTTPClientTransport(new URL(url)));
    cleanups.push(() => client.close());
    return { client, asked, completed };
  }

  it('the completion notification reaches the client that was asked, and no other', async () => {
    const bridge = createBridge({
      servers: { auth: { type: 'in-memory', server: signInServer } },
      clientCapabilities: gatewayClientCapabilities(),
      onError: () => undefined,
    });
    cleanups.push(() => bridge.close());
    const gateway = await serveHttp(bridge, { onError: () => undefined });
    cleanups.push(() => gateway.close());
    const a = await urlCapableClient(gateway.url);
    const b = await urlCapableClient(gateway.url);
    // B opens its standalone stream too, so a misrouted notification would reach it.
    await b.client.listTools();

    const result = await a.client.callTool({ name: 'connect_account', arguments: {} });
    const text = (result.content as { text: string }[])[0]!.text;
    expect(text).toBe(`accept ${a.asked[0]}`);
    await waitFor('the completion at client A', () => a.completed.length === 1);
    expect(a.completed).toEqual(a.asked);
    await new Promise((r) => setTimeout(r, 100));
    expect([b.asked, b.completed]).toEqual([[], []]);
  });
});
