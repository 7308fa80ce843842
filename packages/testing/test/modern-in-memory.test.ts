import { InMemoryTransport } from '@modelcontextprotocol/client';
import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport as LegacyInMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createModernTestServer, serveModernTestServer, startModernHttpTestServer } from '../src/index.js';
import { firstText, modernClient } from './modern-support.js';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.allSettled(open.splice(0).map((o) => o.close()));
});

describe('modern test server in memory', () => {
  it('a negotiating v2 client gets 2026-07-28, sampling round trips included; a v1 client gets the 2025 era (dual)', async () => {
    const server = createModernTestServer({ era: 'dual' });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    open.push(serveModernTestServer(server, serverSide));
    const { client, asked } = modernClient('auto');
    await client.connect(clientSide);
    open.unshift(client);
    expect(client.getNegotiatedProtocolVersion()).toBe('2026-07-28');
    expect(firstText(await client.callTool({ name: 'sample_text', arguments: { prompt: 'hi' } }))).toBe('sampled: hello');
    expect(asked.sample).toBe(1);
    // The test server's resources and prompt, unchanged.
    expect((await client.readResource({ uri: server.uris.item('2') })).contents[0]).toMatchObject({ text: 'item 2 of test-server' });
    expect((await client.readResource({ uri: server.uris.readme })).contents[0]).toMatchObject({
      text: expect.stringContaining('# test-server'),
    });
    expect((await client.getPrompt({ name: 'greet', arguments: { who: 'bob' } })).messages[0]?.content).toMatchObject({
      text: 'Say hello to bob.',
    });
    const completion = await client.complete({ ref: { type: 'ref/prompt', name: 'greet' }, argument: { name: 'who', value: 'a' } });
    expect(completion.completion.values).toEqual(['alice']);

    const [legacySide, legacyServerSide] = LegacyInMemoryTransport.createLinkedPair();
    open.push(serveModernTestServer(server, legacyServerSide));
    const legacy = new LegacyClient({ name: 'legacy', version: '0.0.0' });
    await legacy.connect(legacySide);
    open.unshift(legacy);
    expect(legacy.getServerVersion()?.name).toBe('test-server');
    const echoed = await legacy.callTool({ name: 'echo', arguments: { text: 'old' } });
    expect((echoed.content as { text: string }[])[0]?.text).toBe('old');
    expect(server.ledger.snapshot()).toMatchObject({ sample_text: { calls: 1 }, echo: { calls: 1 } });
  });

  it('drop-after closes the connection after the tool ran (the ledgers say executed once)', async () => {
    const server = createModernTestServer({ era: 'modern-only', toolFaults: { add: { script: ['drop-after'] } } });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    open.push(serveModernTestServer(server, serverSide));
    const { client } = modernClient({ pin: '2026-07-28' });
    await client.connect(clientSide);
    open.unshift(client);
    await expect(client.callTool({ name: 'add', arguments: { a: 1, b: 2, key: 'k1' } })).rejects.toThrow();
    expect(server.ledger.calls('add')).toBe(1);
    expect(server.faultLedger.entry('k1')).toMatchObject({ received: 1, executions: 1 });
  });

  it('two_step: a declined first round completes as declined; a requestState not echoed verbatim is an isError result', async () => {
    const server = createModernTestServer({ era: 'modern-only' });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    open.push(serveModernTestServer(server, serverSide));
    const { client } = modernClient({ pin: '2026-07-28' });
    client.setRequestHandler('elicitation/create', () => ({ action: 'decline' }));
    await client.connect(clientSide);
    open.unshift(client);
    expect(firstText(await client.callTool({ name: 'two_step', arguments: { topic: 'release' } }))).toBe('release: declined');

    // Manual mode: the first round comes back as input_required; answer it with a forged requestState.
    const first = (await client.callTool({ name: 'two_step', arguments: { topic: 'x' } }, { allowInputRequired: true })) as {
      resultType?: string;
    };
    expect(first.resultType).toBe('input_required');
    const forged = await client.callTool({
      name: 'two_step',
      arguments: { topic: 'x' },
      inputResponses: { confirm: { action: 'accept', content: { confirm: true } } },
      requestState: 'not-what-the-server-minted',
    } as never);
    expect(forged.isError).toBe(true);
    expect(firstText(forged)).toMatch(/requestState was not echoed verbatim/);
    expect(server.ledger.calls('two_step')).toBe(1); // the declined one; the forged round never executed
  });

  it('rejects bad options with a TypeError naming the field', async () => {
    expect(() => createModernTestServer({ era: 'legacy' as never })).toThrow(/invalid modern test server options: era/);
    expect(() => createModernTestServer({ cacheHints: { 'tools/list': { ttlMs: -5 } } })).toThrow(/cacheHints\.tools\/list\.ttlMs/);
    expect(() => createModernTestServer({ faults: { script: ['crash'] } })).toThrow(/supports only these fault kinds/);
    expect(() => createModernTestServer({ toolz: true } as never)).toThrow(/toolz/);
    await expect(startModernHttpTestServer({ server: createModernTestServer(), era: 'dual' })).rejects.toThrow(
      /either `server` or server options/,
    );
  });
});
