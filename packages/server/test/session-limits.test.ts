import type { ClientRequest } from 'node:http';
import { createBridge } from '@mcp-bridge/core';
import { inMemoryTestServer } from '@mcp-bridge/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { serveHttp, serveStdio } from '../src/index.js';
import { attackGateway, chatty, MiB, postNeverRead, rawPost, rawSession, sdkClient, TOKENS } from './support/attack.js';
import { waitFor } from './support/clients.js';
import { streamPair } from './support/streams.js';

const LIST = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' });

/** The session table's limits and the per-request deadlines, one at a time. */
describe('serveHttp: session table and deadlines', () => {
  const cleanups: (() => Promise<unknown> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await Promise.resolve(fn()).catch(() => undefined);
  });

  async function gateway(options: Parameters<typeof attackGateway>[0]) {
    const g = await attackGateway(options);
    cleanups.push(g.close);
    return g.gateway;
  }

  it("a caller past maxSessionsPerCaller loses its own longest-idle session, never another caller's", async () => {
    const g = await gateway({ maxSessionsPerCaller: 2 });
    const victim = await rawSession(g.url, TOKENS.victim);
    const first = await rawSession(g.url, TOKENS.attacker);
    const second = await rawSession(g.url, TOKENS.attacker);
    // The first is now the attacker's longest idle (the victim's is idler still, but not the attacker's to lose).
    expect((await rawPost(g.url, TOKENS.attacker, second, LIST)).status).toBe(200);
    const third = await rawSession(g.url, TOKENS.attacker);
    expect((await rawPost(g.url, TOKENS.attacker, first, LIST)).status).toBe(404);
    for (const id of [second, third]) expect((await rawPost(g.url, TOKENS.attacker, id, LIST)).status).toBe(200);
    expect((await rawPost(g.url, TOKENS.victim, victim, LIST)).status).toBe(200);
    expect(g.load().sessionsByCaller).toEqual({ 'token:victim': 1, 'token:attacker': 2 });
  });

  it('a session that never sends notifications/initialized expires after sessionInitMs; an initialized one stays', async () => {
    const g = await gateway({ sessionInitMs: 300 });
    const pending = await rawSession(g.url, TOKENS.attacker, false);
    const ready = await rawSession(g.url, TOKENS.victim);
    await waitFor('the never-initialized session to expire', () => g.sessionCount() === 1, 5_000);
    expect((await rawPost(g.url, TOKENS.attacker, pending, LIST)).status).toBe(404);
    expect((await rawPost(g.url, TOKENS.victim, ready, LIST)).status).toBe(200);
  });

  it('a full table ends a never-initialized session before an idler initialized one', async () => {
    const g = await gateway({ maxSessions: 2 });
    const ready = await rawSession(g.url, TOKENS.victim);
    const pending = await rawSession(g.url, TOKENS.attacker, false);
    await rawSession(g.url, TOKENS.attacker);
    expect((await rawPost(g.url, TOKENS.attacker, pending, LIST)).status).toBe(404);
    expect((await rawPost(g.url, TOKENS.victim, ready, LIST)).status).toBe(200);
  });

  it('past maxRequestsPerCaller: 429 naming the limit and Retry-After; another caller is served', async () => {
    const g = await gateway({ maxRequestsPerCaller: 2, drainMs: 0 });
    const victim = await sdkClient(g.url, TOKENS.victim);
    cleanups.push(() => victim.close());
    const open: ClientRequest[] = [];
    cleanups.push(() => open.forEach((r) => r.destroy()));
    const session = await rawSession(g.url, TOKENS.attacker);
    const slow = JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'chatty', arguments: { bytes: 1 } } });
    // Two calls that wait (their answers never come): the caller's two requests in progress.
    for (let i = 0; i < 2; i++) void postNeverRead(g.url, TOKENS.attacker, session, slow, open);
    await waitFor('two calls in progress', () => g.load().requests === 2);
    const refused = await rawPost(g.url, TOKENS.attacker, session, LIST);
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('1');
    expect(JSON.parse(refused.body)).toMatchObject({
      error: { message: 'Too Many Requests: this caller already has 2 requests in progress (maxRequestsPerCaller)' },
    });
    expect(refused.body).not.toContain('victim');
    expect((await victim.listTools()).tools.length).toBeGreaterThan(0);
  });

  it('past maxConnectionsPerCaller: 429 naming the limit, and that connection is closed; another caller connects', async () => {
    const g = await gateway({ maxConnectionsPerCaller: 2, drainMs: 0 });
    const session = await rawSession(g.url, TOKENS.attacker);
    const open: ClientRequest[] = [];
    cleanups.push(() => open.forEach((r) => r.destroy()));
    const wait = JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'chatty', arguments: { bytes: 1 } } });
    // Two connections held open by calls that wait.
    for (let i = 0; i < 2; i++) void postNeverRead(g.url, TOKENS.attacker, session, wait, open);
    await waitFor('two connections in use', () => g.load().connections === 2);
    const refused = await rawPost(g.url, TOKENS.attacker, session, LIST);
    expect(refused.status).toBe(429);
    expect(refused.headers.connection).toBe('close');
    expect(JSON.parse(refused.body)).toMatchObject({
      error: { message: 'Too Many Requests: this caller already has 2 open connections (maxConnectionsPerCaller)' },
    });
    const victim = await rawSession(g.url, TOKENS.victim);
    expect((await rawPost(g.url, TOKENS.victim, victim, LIST)).status).toBe(200);
  });

  it('an answer its client does not read is dropped after sendTimeoutMs, and the call it belonged to is cancelled upstream', async () => {
    const g = await gateway({ sendTimeoutMs: 500 });
    const session = await rawSession(g.url, TOKENS.attacker);
    const open: ClientRequest[] = [];
    cleanups.push(() => open.forEach((r) => r.destroy()));
    const before = { ...chatty };
    // A 9 MiB progress message goes first on the call's stream (SSE); the client never reads it.
    const call = JSON.stringify({
      jsonrpc: '2.0',
      id: 3,
      method: 'tools/call',
      params: { name: 'chatty', arguments: { bytes: 9 * MiB }, _meta: { progressToken: 'p' } },
    });
    expect(await postNeverRead(g.url, TOKENS.attacker, session, call, open)).toBe(200);
    await waitFor('the call to be cancelled upstream', () => chatty.cancelled > before.cancelled, 10_000);
    expect(chatty.started).toBe(before.started + 1);
    await waitFor('the answer to be dropped', () => g.load().bufferedBytes === 0 && g.load().requests === 0, 5_000);
  });

  it('requestTimeout is the deadline of every call: past it the call fails and is cancelled upstream', async () => {
    const server = inMemoryTestServer({ name: 'steady' });
    const bridge = createBridge({ servers: { steady: server }, onError: () => undefined });
    cleanups.push(() => bridge.close());
    const g = await serveHttp(bridge, { requestTimeout: 300, onError: () => undefined });
    cleanups.push(() => g.close());
    const client = await sdkClient(g.url, 'unused');
    cleanups.push(() => client.close());
    const started = Date.now();
    const result = await client.callTool({ name: 'slow', arguments: { ms: 20_000 } }).catch((error: unknown) => error);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(JSON.stringify(result)).toMatch(/time/i);
    await server.ledger.waitFor((l) => l.cancelled('slow') === 1, { timeoutMs: 5_000 });
  });

  it('requestTimeout bounds the calls of a stdio client too', async () => {
    const server = inMemoryTestServer({ name: 'steady' });
    const bridge = createBridge({ servers: { steady: server }, onError: () => undefined });
    cleanups.push(() => bridge.close());
    const { transport, stdin, stdout } = streamPair();
    const g = await serveStdio(bridge, { stdin, stdout, requestTimeout: 300, onError: () => undefined });
    cleanups.push(() => g.close());
    const client = new Client({ name: 'desktop', version: '1' });
    await client.connect(transport);
    cleanups.push(() => client.close());
    const started = Date.now();
    const result = await client.callTool({ name: 'slow', arguments: { ms: 20_000 } }).catch((error: unknown) => error);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(JSON.stringify(result)).toMatch(/time/i);
    await server.ledger.waitFor((l) => l.cancelled('slow') === 1, { timeoutMs: 5_000 });
  });

  it('rejects bad limits naming the field', async () => {
    const bridge = createBridge({ servers: {} });
    cleanups.push(() => bridge.close());
    await expect(serveHttp(bridge, { maxSessionsPerCaller: 0 })).rejects.toThrow(/serveHttp: invalid options: maxSessionsPerCaller: /);
    await expect(serveHttp(bridge, { requestTimeout: -1 })).rejects.toThrow(/requestTimeout: /);
    await expect(serveHttp(bridge, { maxBufferedBytes: 1.5 })).rejects.toThrow(/maxBufferedBytes: /);
  });
});
