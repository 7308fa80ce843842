import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterEach, describe, expect, it } from 'vitest';
import { startHttpTestServer, type HttpTestServer } from '../src/index.js';
import { exerciseDefaultServer, newClient, textOf, until } from './support.js';

const servers: HttpTestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(options: Parameters<typeof startHttpTestServer>[0] = {}): Promise<HttpTestServer> {
  const server = await startHttpTestServer(options);
  servers.push(server);
  return server;
}

async function connectStreamable(url: string) {
  const transport = new StreamableHTTPClientTransport(new URL(url));
  const client = newClient();
  await client.connect(transport);
  return { client, transport };
}

describe('startHttpTestServer', () => {
  it('listens on 127.0.0.1 on a free port', async () => {
    const http = await start();
    expect(http.url).toBe(`http://127.0.0.1:${http.port}/mcp`);
    expect(http.sseUrl).toBe(`http://127.0.0.1:${http.port}/sse`);
    expect(http.port).toBeGreaterThan(0);
  });

  it('serves everything over Streamable HTTP, and DELETE ends the session', async () => {
    const http = await start({ name: 'web' });
    const { client, transport } = await connectStreamable(http.url);
    expect(http.sessionCount).toBe(1);
    await exerciseDefaultServer(client, async () => http.ledger.snapshot(), 'web');
    const who = JSON.parse(textOf(await client.callTool({ name: 'whoami', arguments: {} }))) as { sessionId?: string };
    expect(who.sessionId).toBe(transport.sessionId);
    await transport.terminateSession();
    await until(() => http.sessionCount === 0);
    await client.close();
  });

  it('serves everything over legacy SSE, and a dropped stream ends the session', async () => {
    const http = await start({ name: 'legacy' });
    const client = newClient();
    await client.connect(new SSEClientTransport(new URL(http.sseUrl)));
    expect(http.sessionCount).toBe(1);
    await exerciseDefaultServer(client, async () => http.ledger.snapshot(), 'legacy');
    await client.close();
    await until(() => http.sessionCount === 0);
  });

  it('gives each session its own server but one shared ledger', async () => {
    const http = await start();
    const a = await connectStreamable(http.url);
    const b = await connectStreamable(http.url);
    expect(http.sessionCount).toBe(2);
    await a.client.callTool({ name: 'add_tool', arguments: { name: 'only_a' } });
    expect((await a.client.listTools()).tools.map((t) => t.name)).toContain('only_a');
    expect((await b.client.listTools()).tools.map((t) => t.name)).not.toContain('only_a');
    await b.client.callTool({ name: 'echo', arguments: { text: 'b' } });
    await a.client.callTool({ name: 'echo', arguments: { text: 'a' } });
    expect(http.ledger.calls('echo')).toBe(2);
    await a.client.close();
    await b.client.close();
  });

  it('answers 404 to an unknown session and 400 to a request without one', async () => {
    const http = await start();
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const unknown = await fetch(http.url, { method: 'POST', body, headers: { ...headers, 'mcp-session-id': 'nope' } });
    expect(unknown.status).toBe(404);
    await unknown.body?.cancel();
    const none = await fetch(http.url, { method: 'POST', body, headers });
    expect(none.status).toBe(400);
    await none.body?.cancel();
    const garbage = await fetch(http.url, { method: 'POST', body: '{', headers });
    expect(garbage.status).toBe(400);
    await garbage.body?.cancel();
    const elsewhere = await fetch(new URL('/nowhere', http.url));
    expect(elsewhere.status).toBe(404);
    await elsewhere.body?.cancel();
    const messages = await fetch(new URL('/messages?sessionId=nope', http.url), { method: 'POST', body, headers });
    expect(messages.status).toBe(404);
    await messages.body?.cancel();
    // An initialize the transport rejects (no acceptable Accept header) leaves no session behind.
    const initialize = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '0' } },
    });
    const rejected = await fetch(http.url, {
      method: 'POST',
      body: initialize,
      headers: { 'content-type': 'application/json', accept: 'text/html' },
    });
    expect(rejected.status).toBe(406);
    await rejected.body?.cancel();
    expect(http.sessionCount).toBe(0);
  });

  it('close() ends open sessions, running calls and the listener', async () => {
    const http = await startHttpTestServer();
    const streamable = await connectStreamable(http.url);
    const sse = newClient();
    await sse.connect(new SSEClientTransport(new URL(http.sseUrl)));
    const pending = streamable.client.callTool({ name: 'slow', arguments: { ms: 60_000 } }).catch(() => 'rejected');
    await http.ledger.waitFor((l) => l.tally('slow').inFlight === 1);
    expect(http.sessionCount).toBe(2);

    const started = Date.now();
    await http.close();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(http.sessionCount).toBe(0);
    expect(http.ledger.cancelled('slow')).toBe(1);
    await expect(fetch(http.url)).rejects.toThrow();
    await http.close(); // idempotent
    await streamable.client.close();
    await sse.close();
    expect(await pending).toBe('rejected');
  });
});
