import { mkdtemp, realpath, rm, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createBridge, type Bridge } from '@mcp-bridge/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayClientCapabilities, serveStdio, type StdioGateway } from '../src/index.js';
import { testClient, textOf, waitFor, type TestClient } from './support/clients.js';
import { realServers } from './support/servers.js';
import { streamPair } from './support/streams.js';

// The stdio side of isolation.test.ts: two desktop-style clients, each on its own `serveStdio`
// gateway, in front of one bridge (one server-filesystem, default `sessions: 'auto'`).
describe('isolation between clients of stdio gateways on one bridge', () => {
  let dir: string;
  let bridge: Bridge;
  const gateways: StdioGateway[] = [];
  const clients: TestClient[] = [];

  const rootOf = (name: string): string => join(dir, `root-${name}`);

  beforeAll(async () => {
    dir = await realpath(await mkdtemp(join(tmpdir(), 'mcp-bridge-isolation-stdio-')));
    await mkdir(join(dir, 'files'));
    for (const name of ['a', 'b', 'b2']) {
      await mkdir(rootOf(name));
      await writeFile(join(rootOf(name), 'secret.txt'), `secret of ${name.toUpperCase()}`);
    }
    const servers = realServers(join(dir, 'files'), join(dir, 'memory.jsonl'));
    bridge = createBridge({
      servers: { files: servers.files! },
      clientCapabilities: gatewayClientCapabilities(),
      onError: () => undefined,
    });
    for (const name of ['a', 'b']) {
      const { transport, stdin, stdout } = streamPair();
      gateways.push(await serveStdio(bridge, { stdin, stdout, onError: () => undefined }));
      clients.push(await testClient(`client-${name}`, transport, { roots: [{ uri: pathToFileURL(rootOf(name)).href }] }));
    }
  }, 60_000);

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await Promise.allSettled(gateways.map((g) => g.close()));
    await bridge?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const read = async (c: TestClient, who: string): Promise<string> =>
    textOf(await c.client.callTool({ name: 'read_text_file', arguments: { path: join(rootOf(who), 'secret.txt') } }));

  it("A reads its own secret and is denied B's, before and after B's roots/list_changed", async () => {
    const [a, b] = clients as [TestClient, TestClient];
    await waitFor("A's roots at server-filesystem", async () => (await read(a, 'a')).includes('secret of A'));
    await waitFor("B's roots at server-filesystem", async () => (await read(b, 'b')).includes('secret of B'));
    expect(await read(a, 'b')).toMatch(/denied|outside/i);
    expect(await read(b, 'a')).toMatch(/denied|outside/i);
    b.roots = [{ uri: pathToFileURL(rootOf('b2')).href }];
    await b.client.sendRootsListChanged();
    await waitFor("B's new roots at server-filesystem", async () => (await read(b, 'b2')).includes('secret of B2'));
    expect(await read(a, 'a')).toContain('secret of A');
    expect(await read(a, 'b')).toMatch(/denied|outside/i);
    expect(await read(a, 'b2')).toMatch(/denied|outside/i);
  });
});
