import { mkdtemp, realpath, rm, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createBridge, type Bridge } from '@mcp-bridge/core';
import { conformanceServerCommand } from '@mcp-bridge/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayClientCapabilities, serveHttp, type HttpGateway } from '../src/index.js';
import { httpClient, textOf, waitFor, type TestClient } from './support/clients.js';
import { serveFixtureHttp } from './support/fixture-http.js';
import { realServers } from './support/servers.js';

// Many clients, one gateway: nothing crosses between callers (issue 13, item 1). Real upstreams
// (server-filesystem, server-everything, the conformance fixture over stdio and over HTTP) behind
// one HTTP gateway with default settings (`sessions: 'auto'`).
describe('isolation between clients on one gateway', () => {
  let dir: string;
  let bridge: Bridge;
  let gateway: HttpGateway;
  let fixtureHttp: Awaited<ReturnType<typeof serveFixtureHttp>>;
  let a: TestClient;
  let b: TestClient;
  const clients: TestClient[] = [];
  const spawned: number[] = [];

  const rootOf = (name: string): string => join(dir, `root-${name}`);
  const rootsOf = (name: string) => [{ uri: pathToFileURL(rootOf(name)).href, name: `root-${name}` }];

  beforeAll(async () => {
    dir = await realpath(await mkdtemp(join(tmpdir(), 'mcp-bridge-isolation-')));
    await mkdir(join(dir, 'files'));
    for (const name of ['a', 'b', 'b2', 'c']) {
      await mkdir(rootOf(name));
      await writeFile(join(rootOf(name), 'secret.txt'), `secret of ${name.toUpperCase()}`);
    }
    fixtureHttp = await serveFixtureHttp();
    const servers = realServers(join(dir, 'files'), join(dir, 'memory.jsonl'));
    bridge = createBridge({
      servers: {
        files: servers.files!,
        everything: servers.everything!,
        fixture: conformanceServerCommand(),
        remote: { type: 'http', url: fixtureHttp.url },
      },
      clientCapabilities: gatewayClientCapabilities(),
      naming: { policy: 'prefix', separator: '_' },
      onError: () => undefined,
    });
    bridge.on('connect:after', ({ connection }) => void (connection.pid !== undefined && spawned.push(connection.pid)));
    gateway = await serveHttp(bridge, { onError: () => undefined });
    a = await httpClient('client-a', gateway.url, { roots: rootsOf('a') });
    b = await httpClient('client-b', gateway.url, { roots: rootsOf('b') });
    clients.push(a, b);
  }, 60_000);

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await gateway?.close();
    await bridge?.close();
    await fixtureHttp?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const call = async (c: TestClient, name: string, args: Record<string, unknown> = {}): Promise<string> =>
    textOf(await c.client.callTool({ name, arguments: args }));
  const read = (c: TestClient, who: string): Promise<string> => call(c, 'files_read_text_file', { path: join(rootOf(who), 'secret.txt') });

  it("server-filesystem: a new client's first call already sees its roots (its upstream session waits for the server's roots/list)", async () => {
    const c = await httpClient('client-c', gateway.url, { roots: rootsOf('c') });
    clients.push(c);
    expect(await read(c, 'c')).toContain('secret of C');
    expect(await read(c, 'a')).toMatch(/denied|outside/i);
  });

  it("server-filesystem: A reads its own secret and is denied B's, before and after B's roots/list_changed", async () => {
    // server-filesystem adopts a client's roots once initialized: wait for that, never seeing the other's.
    await waitFor("A's roots at server-filesystem", async () => (await read(a, 'a')).includes('secret of A'));
    await waitFor("B's roots at server-filesystem", async () => (await read(b, 'b')).includes('secret of B'));
    expect(await read(a, 'b')).toMatch(/denied|outside/i);
    expect(await read(b, 'a')).toMatch(/denied|outside/i);

    b.roots = rootsOf('b2');
    await b.client.sendRootsListChanged();
    await waitFor("B's new roots at server-filesystem", async () => (await read(b, 'b2')).includes('secret of B2'));
    expect(await read(a, 'a')).toContain('secret of A');
    expect(await read(a, 'b')).toMatch(/denied|outside/i);
    expect(await read(a, 'b2')).toMatch(/denied|outside/i);
    expect(await read(b, 'a')).toMatch(/denied|outside/i);
  });

  it("server-everything's get-roots-list shows each client its own roots (an HTTP client's roots reach the upstream)", async () => {
    const [rootsA, rootsB] = await Promise.all([call(a, 'everything_get-roots-list'), call(b, 'everything_get-roots-list')]);
    expect(rootsA).toContain(rootOf('a'));
    expect(rootsA).not.toContain(rootOf('b'));
    expect(rootsB).toContain(rootOf('b2'));
    expect(rootsB).not.toContain(rootOf('a'));
    // The fixture asks within the call: the gateway answers with the caller's roots, over stdio and HTTP upstreams.
    for (const server of ['fixture', 'remote']) {
      expect(await call(a, `${server}_test_list_roots`)).toContain(pathToFileURL(rootOf('a')).href);
      expect(await call(b, `${server}_test_list_roots`)).not.toContain(pathToFileURL(rootOf('a')).href);
    }
  });

  it("logs: during B's call A receives none of B's log messages, even with its own call in flight", async () => {
    const before = { a: a.logs.length, b: b.logs.length };
    const waitA = call(a, 'fixture_test_wait_for_cancel', { ms: 600 });
    await Promise.all([call(b, 'fixture_test_tool_with_logging'), call(b, 'remote_test_tool_with_logging')]);
    await waitA;
    await new Promise((r) => setTimeout(r, 200));
    const fromFixture = (logs: TestClient['logs']) => logs.filter((l) => l.logger === 'conformance-fixture');
    expect(fromFixture(b.logs.slice(before.b)).length).toBeGreaterThanOrEqual(6);
    expect(fromFixture(a.logs.slice(before.a))).toEqual([]);
  });

  it('a log message no call caused goes only to the clients of that upstream session', { timeout: 30_000 }, async () => {
    const fromEverything = (c: TestClient, since: number) => c.logs.slice(since).filter((l) => /level[- ]message/i.test(String(l.data)));
    const before = { a: a.logs.length, b: b.logs.length };
    // server-everything's simulated logging: one message at once, then one every 5 s, with no call in flight.
    await call(a, 'everything_toggle-simulated-logging');
    try {
      await waitFor('two simulated log messages at client A', () => fromEverything(a, before.a).length >= 2, 15_000);
    } finally {
      await call(a, 'everything_toggle-simulated-logging');
    }
    expect(fromEverything(b, before.b)).toEqual([]);
  });

  it('sampling and elicitation with 10 concurrent clients: each answered by its own client, over stdio and HTTP upstreams', async () => {
    const many = await Promise.all(Array.from({ length: 10 }, (_, i) => httpClient(`c${i}`, gateway.url)));
    clients.push(...many);
    for (const server of ['fixture', 'remote']) {
      const sampled = await Promise.all(many.map((c) => call(c, `${server}_test_sampling`, { prompt: `question of ${c.name}` })));
      expect(sampled.map((text, i) => text.includes(`sampled by c${i}`))).toEqual(many.map(() => true));
      const elicited = await Promise.all(many.map((c) => call(c, `${server}_test_elicitation`, { message: `who is ${c.name}?` })));
      expect(elicited.every((text) => text.includes('action=decline'))).toBe(true);
    }
    for (const c of many) {
      expect(c.sampling.map((s) => (s.messages[0]!.content as { text: string }).text)).toEqual([
        `question of ${c.name}`,
        `question of ${c.name}`,
      ]);
      expect(c.elicitation.map((e) => e.message)).toEqual([`who is ${c.name}?`, `who is ${c.name}?`]);
    }
    console.log(`10 concurrent clients: ${spawned.length} upstream processes spawned so far`);
  });

  it("a tools/list's _meta names only the servers the caller may see", async () => {
    const { _meta } = await a.client.listTools();
    expect(Object.keys((_meta as Record<string, Record<string, unknown>>)['mcp-bridge/servers']!).sort()).toEqual([
      'everything',
      'files',
      'fixture',
      'remote',
    ]);
  });
});
