// `serve --stdio` restarted by a desktop client: the lists a server sent last time are served at
// once (marked stale) while it starts again, so a client that lists once sees every tool; a list that
// changed meanwhile is announced with list_changed when the server is up.
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { eventually, processesWith, stdioFaultServer } from '@mcp-bridge/testing';
import { stdioGatewayClient, tempTree, type StdioGatewayClient, type Tree } from './helpers.js';

const marker = `snapshot-${randomUUID().slice(0, 8)}`;
/** How long the slow server takes to answer `initialize`: far longer than a list may wait here (grace 1 s). */
const SLOW_MS = 4_000;
let tree: Tree;
const clients: Client[] = [];

beforeAll(() => {
  tree = tempTree();
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
  expect(await eventually(() => processesWith(marker).length === 0, 10_000), `leftover: ${processesWith(marker).join(', ')}`).toBe(true);
});

afterAll(() => tree.remove());

function gateway(dir: string, extra: string[] = []): StdioGatewayClient {
  const spawned = stdioGatewayClient(tree, dir, extra);
  clients.push(spawned.client);
  return spawned;
}

const snapshotDir = (): string => join(tree.home, '.cache', 'mcp-bridge', 'catalog');
const snapshotFiles = (): string[] => (existsSync(snapshotDir()) ? readdirSync(snapshotDir()).filter((f) => f.endsWith('.json')) : []);
const names = (tools: { name: string }[]): string[] => tools.map((t) => t.name).sort();

describe('catalog snapshot (serve --stdio)', () => {
  it('a restarted gateway lists a slow server from its snapshot at once; a changed list is announced', { timeout: 90_000 }, async () => {
    const dir = join(tree.root, 'slow');
    // One config, two behaviours: the flag file (not the config) decides whether the server has a new tool.
    const flag = join(tree.root, `more-tools-${marker}`);
    const before = stdioFaultServer({ name: `slow-${marker}`, startDelayMs: SLOW_MS, tools: { lookup: { readOnlyHint: true } } });
    const after = stdioFaultServer({ name: `slow-${marker}`, startDelayMs: SLOW_MS, tools: { lookup: { readOnlyHint: true }, added: {} } });
    const quote = (argv: string[]): string => argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    const script = `if [ -f ${flag} ]; then exec ${quote([after.command, ...after.args])}; else exec ${quote([before.command, ...before.args])}; fi`;
    tree.write('slow/.mcp.json', { mcpServers: { slow: { command: 'sh', args: ['-c', script] } } });
    const grace = ['--start-grace-ms', '1000'];

    // First run: nothing saved yet; the list does not wait past the grace, the server joins later and is saved.
    const first = gateway(dir, grace);
    await first.client.connect(first.transport);
    expect(names((await first.client.listTools()).tools)).toEqual([]);
    expect(await eventually(() => snapshotFiles().length === 1, SLOW_MS + 15_000), `no snapshot saved; log:\n${first.stderr()}`).toBe(true);
    const file = join(snapshotDir(), snapshotFiles()[0]!);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    await first.client.close();

    // Second run: the tools are listed at once, marked as coming from the snapshot while the server starts.
    const second = gateway(dir, grace);
    const spawned = performance.now();
    await second.client.connect(second.transport);
    const listed = await second.client.listTools();
    const listMs = performance.now() - spawned;
    expect(names(listed.tools)).toEqual(['fault_ledger', 'lookup']);
    expect(listMs).toBeLessThan(SLOW_MS);
    expect(listed._meta?.['mcp-bridge/servers']).toMatchObject({ slow: { status: 'stale', code: 'SNAPSHOT' } });
    // A call waits for the server, then runs.
    const result = (await second.client.callTool({ name: 'lookup', arguments: { key: 'k' } }, undefined, {
      timeout: 30_000,
    })) as CallToolResult;
    expect(result.isError).toBeFalsy();
    // The same list: no list_changed.
    expect(await eventually(() => /✔ slow/.test(second.stderr()), 10_000), second.stderr()).toBe(true);
    expect((await second.client.listTools())._meta?.['mcp-bridge/servers']).toMatchObject({ slow: { status: 'ok' } });
    expect(second.changed()).toBe(0);
    await second.client.close();

    // Third run, the server now has one more tool: the snapshot is served first, then the change is announced.
    writeFileSync(flag, '');
    const third = gateway(dir, grace);
    await third.client.connect(third.transport);
    expect(names((await third.client.listTools()).tools)).toEqual(['fault_ledger', 'lookup']);
    expect(await eventually(() => third.changed() > 0, SLOW_MS + 15_000), `no list_changed; log:\n${third.stderr()}`).toBe(true);
    expect(names((await third.client.listTools()).tools)).toEqual(['added', 'fault_ledger', 'lookup']);
    await third.client.close();

    // --no-catalog-snapshot: the list does not use it.
    const fourth = gateway(dir, [...grace, '--no-catalog-snapshot']);
    await fourth.client.connect(fourth.transport);
    expect(names((await fourth.client.listTools()).tools)).toEqual([]);
  });
});
