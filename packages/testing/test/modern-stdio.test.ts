import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as LegacyStdioTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  modernCounterUri,
  modernStdioTestServer,
  readFaultLedgerFile,
  testResourceUris,
  type ModernStdioTestServerOptions,
} from '../src/index.js';
import { firstText, modernClient, until } from './modern-support.js';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.allSettled(open.splice(0).map((o) => o.close()));
});
const dir = mkdtempSync(join(tmpdir(), 'modern-stdio-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function connect(
  options: ModernStdioTestServerOptions,
  mode: Parameters<typeof modernClient>[0] = 'auto',
): Promise<ReturnType<typeof modernClient>> {
  const made = modernClient(mode);
  await made.client.connect(new StdioClientTransport({ ...modernStdioTestServer(options), stderr: 'pipe' }));
  open.push(made.client);
  return made;
}

function legacyClient(): LegacyClient {
  const client = new LegacyClient({ name: 'legacy', version: '0.0.0' }, { capabilities: { elicitation: {} } });
  open.push(client);
  return client;
}

describe('modern test server over stdio (real child processes)', () => {
  it('dual: a negotiating client gets 2026-07-28; calls, input_required and listen work', async () => {
    const { client, asked } = await connect({ era: 'dual', name: 'kid' });
    expect(client.getNegotiatedProtocolVersion()).toBe('2026-07-28');
    expect(firstText(await client.callTool({ name: 'echo', arguments: { text: 'pipe' } }))).toBe('pipe');
    expect(firstText(await client.callTool({ name: 'two_step', arguments: { topic: 'release' } }))).toBe('release: Ada');
    expect(asked.elicit).toEqual(['Name for release?', 'Use Ada for release?']);

    const events: string[] = [];
    client.setNotificationHandler('notifications/tools/list_changed', () => void events.push('tools'));
    client.setNotificationHandler('notifications/resources/updated', (n) => void events.push(`updated ${n.params.uri}`));
    await client.listen({ toolsListChanged: true, resourceSubscriptions: [modernCounterUri('kid')] });
    await client.callTool({ name: 'add_tool', arguments: { name: 'extra' } });
    await until(() => events.includes('tools'));
    expect(firstText(await client.callTool({ name: 'extra', arguments: { text: 'x' } }))).toBe('x');
    await client.callTool({ name: 'bump_resource', arguments: {} });
    await until(() => events.includes(`updated ${modernCounterUri('kid')}`));

    const ledger = await client.readResource({ uri: testResourceUris('kid').ledger });
    const tallies = JSON.parse((ledger.contents[0] as { text: string }).text) as Record<string, { calls: number }>;
    expect(tallies).toMatchObject({ echo: { calls: 1 }, two_step: { calls: 1 }, extra: { calls: 1 }, bump_resource: { calls: 1 } });
  });

  it('modern-only: a pinned client works; a 2025-era client is rejected with -32022 (era from the environment)', async () => {
    const { client } = await connect({ era: 'modern-only' }, { pin: '2026-07-28' });
    expect(firstText(await client.callTool({ name: 'echo', arguments: { text: 'pinned' } }))).toBe('pinned');

    const { command, args } = modernStdioTestServer({});
    const legacy = legacyClient();
    const transport = new LegacyStdioTransport({
      command,
      args,
      env: { ...process.env, MCP_BRIDGE_TEST_ERA: 'modern-only' },
      stderr: 'pipe',
    });
    await expect(legacy.connect(transport)).rejects.toMatchObject({ code: -32022 });
  });

  it('dual: a 2025-era client is served on a pinned legacy connection, elicitation included', async () => {
    const legacy = legacyClient();
    legacy.setRequestHandler(ElicitRequestSchema, () => ({ action: 'accept', content: { confirm: true } }));
    await legacy.connect(new LegacyStdioTransport({ ...modernStdioTestServer({ era: 'dual' }), stderr: 'pipe' }));
    expect(legacy.getServerVersion()?.name).toBe('test-server');
    const echoed = await legacy.callTool({ name: 'echo', arguments: { text: 'old' } });
    expect((echoed.content as { text: string }[])[0]?.text).toBe('old');
    // input_required is served to a 2025-era caller by the SDK's legacy shim: a real elicitation/create.
    const confirmed = await legacy.callTool({ name: 'confirm_action', arguments: { action: 'ship' } });
    expect((confirmed.content as { text: string }[])[0]?.text).toBe('confirmed ship');
  });

  it.each([
    ['drop-after', 1],
    ['drop-before', 0],
  ] as const)('a broken stream (%s): the process ends; the ledger file says executed %i time(s)', async (kind, executed) => {
    const ledgerFile = join(dir, `${kind}.json`);
    const { client } = await connect({ era: 'modern-only', faults: { script: [kind] }, ledgerFile });
    await expect(client.callTool({ name: 'echo', arguments: { text: 'x', key: 'call-1' } })).rejects.toThrow();
    expect(readFaultLedgerFile(ledgerFile).keys['call-1']).toMatchObject({ received: 1, executions: executed });
  });

  it('a server respawned with the same ledger file goes on with its fault script (like the fault server)', async () => {
    const ledgerFile = join(dir, 'resume.json');
    const options = { era: 'modern-only' as const, faults: { script: ['drop-before' as const] }, ledgerFile };
    const first = await connect(options);
    await expect(first.client.callTool({ name: 'echo', arguments: { text: 'x', key: 'r-1' } })).rejects.toThrow();
    const second = await connect(options);
    expect(firstText(await second.client.callTool({ name: 'echo', arguments: { text: 'again', key: 'r-2' } }))).toBe('again');
    const ledger = readFaultLedgerFile(ledgerFile);
    expect(ledger.faults['drop-before']).toBe(1);
    expect(ledger.keys['r-2']).toMatchObject({ received: 1, executions: 1 });
  });

  it('the bin takes the era and the faults from the environment, and exits with code 2 on bad options', async () => {
    const ledgerFile = join(dir, 'env.json');
    const { command, args } = modernStdioTestServer({ ledgerFile });
    const env = { ...process.env, MCP_BRIDGE_TEST_ERA: 'modern-only', MCP_BRIDGE_TEST_FAULTS: JSON.stringify({ script: ['drop-after'] }) };
    const { client } = modernClient({ pin: '2026-07-28' });
    await client.connect(new StdioClientTransport({ command, args, env: env, stderr: 'pipe' }));
    open.push(client);
    await expect(client.callTool({ name: 'add', arguments: { a: 1, b: 1, key: 'env-1' } })).rejects.toThrow();
    expect(readFaultLedgerFile(ledgerFile).keys['env-1']).toMatchObject({ received: 1, executions: 1 });

    const bad = spawnSync(command, [...args, '--era', 'legacy'], { input: '', encoding: 'utf8', timeout: 30_000 });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/invalid modern test server options: era/);
  });
});
