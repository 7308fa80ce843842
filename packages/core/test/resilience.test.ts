import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type HttpTestServer, processesWith, startHttpTestServer, stdioTestServer } from '@mcp-bridge/testing';
import { BridgeStateError, createBridge, UpstreamUnavailableError } from '../src/index.js';
import { inMemory } from './fixtures.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

const text = (r: { content: unknown[] }) => (r.content[0] as { text: string }).text;

describe('resilience of the core host', () => {
  it('reports an HTTP upstream that went away, keeps the others, and recovers when it is back', async () => {
    const port = await freePort();
    let http: HttpTestServer = await startHttpTestServer({ name: 'remote', port });
    cleanups.push(() => http.close());
    const bridge = createBridge({ servers: { remote: { url: http.url }, local: inMemory('local') }, reconnectMinMs: 20 });
    cleanups.push(() => bridge.close());
    await bridge.start();
    expect(text(await bridge.callTool('remote__echo', { text: 'up' }))).toBe('up');

    await http.close();
    const error = await bridge.callTool('remote__echo', { text: 'down?' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect((error as Error).message).toMatch(
      /tool "echo" of server "remote" failed: could not reach the server: .*(ECONNREFUSED|fetch failed)/,
    );
    expect(bridge.status().find((s) => s.name === 'remote')).toMatchObject({ state: 'down', upstreams: [{ health: 'unhealthy' }] });
    expect(text(await bridge.callTool('local__echo', { text: 'fine' }))).toBe('local:echo:fine');

    // Back on the same port: a new server does not know the old session, so the bridge opens a new one.
    http = await startHttpTestServer({ name: 'remote', port });
    let result: string | undefined;
    for (let i = 0; i < 5 && result === undefined; i++) {
      result = await bridge.callTool('remote__echo', { text: 'back' }).then(text, async () => {
        await new Promise((r) => setTimeout(r, 50));
        return undefined;
      });
    }
    expect(result).toBe('back');
    expect(bridge.status().find((s) => s.name === 'remote')).toMatchObject({ state: 'ok' });
  });

  it('close() during start() does not wait out the connect timeout, and start() rejects', async () => {
    // An in-memory "server" that accepts the transport and never answers initialize.
    const silent = { type: 'in-memory' as const, server: () => ({ connect: async () => undefined, close: async () => undefined }) };
    const marker = `starting-${process.pid}-${Date.now()}`;
    const bridge = createBridge({
      servers: { silent, child: stdioTestServer({ name: marker }) },
      connectTimeout: 60_000,
      startTimeout: 60_000,
    });
    const starting = bridge.start();
    await new Promise((r) => setTimeout(r, 300));
    const t = Date.now();
    await bridge.close();
    expect(Date.now() - t).toBeLessThan(5_000);
    await expect(starting).rejects.toBeInstanceOf(BridgeStateError);
    expect(processesWith(marker)).toEqual([]);
    expect(bridge.state).toBe('closed');
    await expect(bridge.callTool('x')).rejects.toThrow(/closed/);
  });

  it('a listener that throws is reported through onError and never breaks the call', async () => {
    const reported: unknown[] = [];
    const bridge = createBridge({ servers: { a: inMemory('a') }, onError: (e) => reported.push(e) });
    cleanups.push(() => bridge.close());
    bridge.on('upstream:add', () => {
      throw new Error('listener bug');
    });
    await bridge.start();
    expect(text(await bridge.callTool('echo', { text: 'ok' }))).toBe('a:echo:ok');
    expect(String(reported[0])).toMatch(/a listener of "upstream:add" threw: listener bug/);
  });
});
