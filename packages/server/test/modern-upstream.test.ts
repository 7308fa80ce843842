import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBridge } from '@mcp-bridge/core';
import { afterEach, describe, expect, it } from 'vitest';
import { gatewayClientCapabilities, serveHttp } from '../src/index.js';
import { httpClient, textOf } from './support/clients.js';

// A 2026-07-28 upstream behind the gateway: 2025 clients call through it, and since the upstream keeps
// no session, callers share one upstream connection (no per-caller sessions, no extra processes).

const modernServer = fileURLToPath(new URL('../../transports/test/fixtures/modern-server.mjs', import.meta.url));
const legacyServer = fileURLToPath(new URL('../../transports/test/fixtures/legacy-logged-server.mjs', import.meta.url));

describe('a modern upstream through the gateway', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => undefined);
  });

  /** Three downstream clients call `echo` at once through a gateway over one stdio upstream; returns how many processes it took. */
  async function spawnsFor(
    script: string,
    env: Record<string, string> = {},
  ): Promise<{ spawns: number; connects: number; texts: string[] }> {
    const dir = mkdtempSync(join(tmpdir(), 'mcp-bridge-gw-modern-'));
    cleanups.push(() => Promise.resolve(rmSync(dir, { recursive: true, force: true })));
    const log = join(dir, 'spawns');
    const bridge = createBridge({
      servers: { up: { command: process.execPath, args: [script], env: { ...env, MODERN_SPAWN_LOG: log } } },
      clientCapabilities: gatewayClientCapabilities(),
      onError: () => undefined,
    });
    let connects = 0;
    bridge.on('connect:after', () => void connects++);
    cleanups.push(() => bridge.close());
    await bridge.start();
    const gateway = await serveHttp(bridge, { onError: () => undefined });
    cleanups.push(() => gateway.close());
    const clients = await Promise.all(['a', 'b', 'c'].map((name) => httpClient(name, gateway.url)));
    for (const c of clients) cleanups.push(() => c.close());
    const texts = await Promise.all(
      clients.map(async (c) => textOf(await c.client.callTool({ name: 'echo', arguments: { text: c.name } }))),
    );
    return { spawns: readFileSync(log, 'utf8').trim().split('\n').length, connects, texts };
  }

  it('callers share one upstream connection (stateless: no per-caller sessions)', async () => {
    const modern = await spawnsFor(modernServer, { MODERN_LEGACY: 'reject' });
    expect(modern.texts).toEqual(['a', 'b', 'c']);
    expect(modern.connects).toBe(1);
    expect(modern.spawns).toBe(1);
  });

  it('(control) a 2025 upstream gives concurrent callers sessions of their own', async () => {
    const legacy = await spawnsFor(legacyServer);
    expect(legacy.texts).toEqual(['a', 'b', 'c']);
    expect(legacy.connects).toBeGreaterThan(1);
  });

  it('a 2025 client sees the modern upstream tools, prompts and resources', async () => {
    const bridge = createBridge({
      servers: { up: { command: process.execPath, args: [modernServer], env: { MODERN_LEGACY: 'reject' } } },
      clientCapabilities: gatewayClientCapabilities(),
      onError: () => undefined,
    });
    cleanups.push(() => bridge.close());
    await bridge.start();
    const gateway = await serveHttp(bridge, { onError: () => undefined });
    cleanups.push(() => gateway.close());
    const c = await httpClient('a', gateway.url);
    cleanups.push(() => c.close());
    expect((await c.client.listTools()).tools.map((t) => t.name)).toEqual(expect.arrayContaining(['echo', 'progress', 'slow']));
    const progress: number[] = [];
    await c.client.callTool({ name: 'progress', arguments: { steps: 2 } }, undefined, { onprogress: (p) => progress.push(p.progress) });
    expect(progress).toEqual([1, 2]);
    expect((await c.client.getPrompt({ name: 'greet', arguments: { who: 'x' } })).messages).toHaveLength(1);
    expect((await c.client.readResource({ uri: 'mem://readme' })).contents[0]).toMatchObject({ text: 'modern readme' });
  });

  it('input_required: the upstream question reaches the 2025 client that made the call, as a real request on its session', async () => {
    const bridge = createBridge({
      servers: { up: { command: process.execPath, args: [modernServer], env: { MODERN_LEGACY: 'reject' } } },
      clientCapabilities: gatewayClientCapabilities(),
      onError: () => undefined,
    });
    cleanups.push(() => bridge.close());
    await bridge.start();
    const gateway = await serveHttp(bridge, { onError: () => undefined });
    cleanups.push(() => gateway.close());
    const [a, b] = await Promise.all(['a', 'b'].map((name) => httpClient(name, gateway.url)));
    cleanups.push(
      () => a!.close(),
      () => b!.close(),
    );
    const sampled = await a!.client.callTool({ name: 'ask', arguments: { kind: 'sample' } });
    expect(JSON.parse(textOf(sampled))).toMatchObject({ content: { text: 'sampled by a' }, model: 'model-of-a' });
    const elicited = await b!.client.callTool({ name: 'ask', arguments: { kind: 'elicit' } });
    expect(JSON.parse(textOf(elicited))).toEqual({ action: 'decline' });
    expect(a!.sampling).toHaveLength(1);
    expect(a!.elicitation).toHaveLength(0);
    expect(b!.elicitation).toHaveLength(1);
    expect(b!.sampling).toHaveLength(0);
  });
});
