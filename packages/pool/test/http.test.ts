import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createBridge, UpstreamUnavailableError, type Bridge, type BridgeEvents } from '@mcp-bridge/core';
import { startHttpTestServer, type HttpTestServer } from '@mcp-bridge/testing';
import { pool } from '../src/index.js';
import { text } from './helpers.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

function record<E extends keyof BridgeEvents>(bridge: Bridge, event: E): BridgeEvents[E][] {
  const seen: BridgeEvents[E][] = [];
  bridge.on(event, (e) => seen.push(e));
  return seen;
}

/**
 * A minimal Streamable HTTP MCP server (JSON responses, no event stream) whose sessions can be
 * "forgotten": then every request on a session is refused with `refuse` (404, or 400 naming the
 * session) without running it. Counts what it received.
 */
async function forgetfulServer() {
  const state = {
    refuse: undefined as undefined | 404 | 400,
    refuseTimes: Infinity,
    initializes: 0,
    calls: 0,
    executed: 0,
    nextSession: 1,
  };
  const http: Server = createServer((req, res) => {
    if (req.method === 'GET') return void res.writeHead(405).end();
    if (req.method === 'DELETE') return void res.writeHead(200).end();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const msg = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id?: number; method: string; params?: Record<string, unknown> };
      const reply = (result: unknown, headers: Record<string, string> = {}) =>
        res.writeHead(200, { 'content-type': 'application/json', ...headers }).end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result }));
      if (msg.method === 'initialize') {
        state.initializes++;
        const session = `s-${state.nextSession++}`;
        return reply(
          { protocolVersion: msg.params!.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'forgetful', version: '1' } },
          { 'mcp-session-id': session },
        );
      }
      if (msg.method === 'tools/call') state.calls++;
      if (state.refuse && state.refuseTimes > 0 && msg.id !== undefined && req.headers['mcp-session-id']) {
        state.refuseTimes--;
        const body = {
          jsonrpc: '2.0',
          id: null,
          error: { code: -32001, message: state.refuse === 404 ? 'Session not found' : 'Bad Request: No valid session ID provided' },
        };
        return void res.writeHead(state.refuse, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      }
      if (msg.id === undefined) return void res.writeHead(202).end();
      if (msg.method === 'tools/list') return reply({ tools: [{ name: 'echo', inputSchema: { type: 'object' } }] });
      if (msg.method === 'tools/call') {
        state.executed++;
        return reply({ content: [{ type: 'text', text: String((msg.params!.arguments as { text?: string }).text) }] });
      }
      return reply({});
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => http.close(resolve)));
  return { url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`, state };
}

async function started(url: string): Promise<Bridge> {
  const bridge = createBridge({ servers: { remote: { type: 'streamable-http', url } }, plugins: [pool()] });
  cleanups.push(() => bridge.close());
  await bridge.start();
  return bridge;
}

describe('Streamable HTTP sessions', () => {
  it('re-initialises when the server forgot the session (404) and re-sends the call once', async () => {
    let http: HttpTestServer = await startHttpTestServer({ name: 'remote' });
    const port = http.port;
    cleanups.push(() => http.close());
    const bridge = await started(http.url);
    const reinits = record(bridge, 'pool:reinit');
    expect(text(await bridge.callTool('echo', { text: 'one' }))).toBe('one');

    // A restarted server knows no session: the next call's POST gets 404 before anything runs.
    await http.close();
    http = await startHttpTestServer({ name: 'remote', port });
    // Let the client notice its pooled keep-alive sockets were closed (a restart, not the case under test).
    await new Promise((r) => setTimeout(r, 200));
    expect(text(await bridge.callTool('echo', { text: 'two' }))).toBe('two');
    expect(http.ledger.calls('echo')).toBe(1);
    expect(reinits).toHaveLength(1);
    expect(http.sessionCount).toBe(1);
    expect(bridge.upstreams('remote')[0]).toMatchObject({ status: 'ready', health: 'healthy' });
  });

  it('treats 400 naming the session like 404', async () => {
    const server = await forgetfulServer();
    const bridge = await started(server.url);
    server.state.refuse = 400;
    server.state.refuseTimes = 1;
    expect(text(await bridge.callTool('echo', { text: 'again' }))).toBe('again');
    expect(server.state).toMatchObject({ initializes: 2, calls: 2, executed: 1 });
  });

  it('re-initialises at most once per failure: a second unknown-session answer fails the call', async () => {
    const server = await forgetfulServer();
    const bridge = await started(server.url);
    server.state.refuse = 404;
    const error = await bridge.callTool('echo', { text: 'lost' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect((error as Error).message).toMatch(/did not know the session even after re-initialising/);
    // Provably not run: a retry plugin may send it again.
    expect((error as UpstreamUnavailableError).data).toMatchObject({ sent: false });
    expect(server.state).toMatchObject({ initializes: 2, calls: 2, executed: 0 });
  });
});
