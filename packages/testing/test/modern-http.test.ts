import { StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as LegacyHttpTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BUILTIN_TOOLS,
  MODERN_TOOLS,
  startModernHttpTestServer,
  type ModernHttpTestServer,
  type ModernHttpTestServerOptions,
} from '../src/index.js';
import { modernInternals } from '../src/modern/create-modern-test-server.js';
import { firstText, modernClient, until } from './modern-support.js';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.allSettled(open.splice(0).map((o) => o.close()));
});

async function serve(options: ModernHttpTestServerOptions = {}): Promise<ModernHttpTestServer> {
  const http = await startModernHttpTestServer(options);
  open.push(http);
  return http;
}

async function connect(
  http: ModernHttpTestServer,
  mode: Parameters<typeof modernClient>[0] = 'auto',
): Promise<ReturnType<typeof modernClient>> {
  const made = modernClient(mode);
  await made.client.connect(new StreamableHTTPClientTransport(new URL(http.url)));
  open.unshift(made.client); // clients close before their server
  return made;
}

describe('modern test server over Streamable HTTP', () => {
  it.each(['dual', 'modern-only'] as const)('%s: discover, tools list and calls in the 2026-07-28 era (auto and pinned)', async (era) => {
    const http = await serve({ era });
    for (const mode of ['auto', { pin: '2026-07-28' }] as const) {
      const { client } = await connect(http, mode);
      expect(client.getNegotiatedProtocolVersion()).toBe('2026-07-28');
      const discovered = await client.discover();
      expect(discovered.supportedVersions).toContain('2026-07-28');
      expect(discovered.capabilities.tools?.listChanged).toBe(true);
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual([...BUILTIN_TOOLS, ...MODERN_TOOLS].sort());
      expect(firstText(await client.callTool({ name: 'echo', arguments: { text: 'hi' } }))).toBe('hi');
      expect((await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } })).structuredContent).toEqual({ sum: 5 });
      expect((await client.callTool({ name: 'fail', arguments: { mode: 'isError' } })).isError).toBe(true);
      await expect(client.callTool({ name: 'fail', arguments: { mode: 'throw', code: -32050, message: 'boom' } })).rejects.toMatchObject({
        code: -32050,
      });
      const steps: number[] = [];
      await client.callTool({ name: 'progress', arguments: { steps: 3 } }, { onprogress: (p) => steps.push(p.progress) });
      expect(steps).toEqual([1, 2, 3]);
    }
    expect(http.ledger.tally('echo')).toMatchObject({ calls: 2, ok: 2 });
    expect(http.ledger.tally('fail')).toMatchObject({ calls: 4, errors: 4 });
    expect(http.instances.legacy).toBe(0);
    // What the client really sent: the Mcp-Method / Mcp-Name headers and the per-request _meta envelope.
    const call = http.requests.find((r) => r.method === 'tools/call' && r.name === 'echo');
    expect(call?.headers).toMatchObject({ 'mcp-method': 'tools/call', 'mcp-name': 'echo', 'mcp-protocol-version': '2026-07-28' });
    expect(call?.meta).toMatchObject({ 'io.modelcontextprotocol/protocolVersion': '2026-07-28' });
    // Per-request instances close after their exchange: nothing accumulates.
    await until(() => modernInternals(http.server).state.liveCount === 0);
  });

  it('cancellation: aborting a call ends the request stream and the tool sees its signal', async () => {
    const http = await serve({ era: 'modern-only' });
    const { client } = await connect(http);
    const abort = new AbortController();
    const call = client.callTool({ name: 'slow', arguments: { ms: 60_000 } }, { signal: abort.signal });
    await http.ledger.waitFor((l) => l.tally('slow').inFlight === 1);
    abort.abort();
    await expect(call).rejects.toThrow(/abort/i);
    await http.ledger.waitFor((l) => l.tally('slow').cancelled === 1);
  });

  it('each input_required tool completes through the client handlers; two_step takes two rounds', async () => {
    const http = await serve({ era: 'modern-only' });
    const { client, asked } = await connect(http);
    expect(firstText(await client.callTool({ name: 'confirm_action', arguments: { action: 'deploy' } }))).toBe('confirmed deploy');
    expect(firstText(await client.callTool({ name: 'sample_text', arguments: { prompt: 'say hi' } }))).toBe('sampled: hello');
    expect(JSON.parse(firstText(await client.callTool({ name: 'client_roots', arguments: {} })))).toEqual(['file:///work']);
    expect(asked).toEqual({ elicit: ['Confirm deploy?'], sample: 1, roots: 1 });
    expect(firstText(await client.callTool({ name: 'two_step', arguments: { topic: 'release' } }))).toBe('release: Ada');
    expect(asked.elicit.slice(1)).toEqual(['Name for release?', 'Use Ada for release?']);
    // A multi round-trip call executes once, when it completes.
    for (const tool of ['confirm_action', 'sample_text', 'client_roots', 'two_step']) expect(http.ledger.calls(tool)).toBe(1);
  });

  it('subscriptions/listen delivers tools list_changed (add_tool, remove_tool) and resources/updated (bump_resource)', async () => {
    const http = await serve({ era: 'modern-only' });
    const { client } = await connect(http);
    const events: string[] = [];
    client.setNotificationHandler('notifications/tools/list_changed', () => void events.push('tools'));
    client.setNotificationHandler('notifications/resources/updated', (n) => void events.push(`updated ${n.params.uri}`));
    const sub = await client.listen({ toolsListChanged: true, resourceSubscriptions: [http.server.uris.counter] });
    expect(sub.honoredFilter).toMatchObject({ toolsListChanged: true, resourceSubscriptions: [http.server.uris.counter] });

    await client.callTool({ name: 'add_tool', arguments: { name: 'extra' } });
    await until(() => events.includes('tools'));
    expect((await client.listTools({}, { cacheMode: 'refresh' })).tools.map((t) => t.name)).toContain('extra');
    expect(firstText(await client.callTool({ name: 'extra', arguments: { text: 'x' } }))).toBe('x');

    await client.callTool({ name: 'bump_resource', arguments: {} });
    await until(() => events.includes(`updated ${http.server.uris.counter}`));
    const read = await client.readResource({ uri: http.server.uris.counter }, { cacheMode: 'bypass' });
    expect(read.contents[0]).toMatchObject({ text: '1' });

    await client.callTool({ name: 'remove_tool', arguments: { name: 'extra' } });
    await until(() => events.filter((e) => e === 'tools').length === 2);
    expect((await client.listTools({}, { cacheMode: 'refresh' })).tools.map((t) => t.name)).not.toContain('extra');
    await sub.close();
    expect(await sub.closed).toBe('local');
  });

  it('puts the configured cache hints on list, read and discover results; a private one; an invalid one', async () => {
    const wire: unknown[] = [];
    const recording = async (url: string | URL, init?: RequestInit): Promise<Response> => {
      const response = await fetch(url, init);
      if (response.headers.get('content-type')?.includes('application/json')) wire.push(await response.clone().json());
      return response;
    };
    const hinted = await serve({
      cacheHints: {
        'tools/list': { ttlMs: 60_000, cacheScope: 'public' },
        'resources/read': { ttlMs: 5_000, cacheScope: 'private' },
        'server/discover': { ttlMs: 30_000, cacheScope: 'public' },
      },
    });
    const { client } = await connect(hinted);
    expect(await client.discover()).toMatchObject({ ttlMs: 30_000, cacheScope: 'public' });
    expect(await client.listTools()).toMatchObject({ ttlMs: 60_000, cacheScope: 'public' });
    expect(await client.readResource({ uri: hinted.server.uris.readme })).toMatchObject({ ttlMs: 5_000, cacheScope: 'private' });
    // The ledger resource overrides the server-wide hint: it is never cacheable.
    expect(await client.readResource({ uri: hinted.server.uris.ledger })).toMatchObject({ ttlMs: 0, cacheScope: 'private' });
    expect(await client.listPrompts()).toMatchObject({ ttlMs: 0, cacheScope: 'private' }); // no hint: the conservative default

    const invalid = await serve({ cacheHints: 'invalid' });
    const made = modernClient();
    await made.client.connect(new StreamableHTTPClientTransport(new URL(invalid.url), { fetch: recording }));
    open.unshift(made.client);
    await made.client.listTools().catch(() => undefined);
    const listed = wire.find((m) => (m as { result?: { tools?: unknown } }).result?.tools !== undefined) as
      { result: Record<string, unknown> } | undefined;
    expect(listed?.result).toMatchObject({ ttlMs: -1, cacheScope: 'shared' });
  });

  it('a broken stream: drop-after executes then cuts the answer; drop-before cuts before executing', async () => {
    const http = await serve({ era: 'modern-only', toolFaults: { echo: { script: ['drop-after', 'drop-before', 'ok'] } } });
    const { client } = await connect(http);
    await expect(client.callTool({ name: 'echo', arguments: { text: 'a', key: 'call-1' } })).rejects.toThrow();
    expect(http.ledger.calls('echo')).toBe(1);
    expect(http.faultLedger.entry('call-1')).toMatchObject({ received: 1, executions: 1 });
    await expect(client.callTool({ name: 'echo', arguments: { text: 'b', key: 'call-2' } })).rejects.toThrow();
    expect(http.ledger.calls('echo')).toBe(1);
    expect(http.faultLedger.entry('call-2')).toMatchObject({ received: 1, executions: 0 });
    expect(firstText(await client.callTool({ name: 'echo', arguments: { text: 'c', key: 'call-3' } }))).toBe('c');
    expect(http.faultLedger.snapshot().faults).toMatchObject({ 'drop-after': 1, 'drop-before': 1, ok: 1 });
  });

  it('modern-only rejects a 2025-era client with -32022; dual serves it statelessly', async () => {
    const strict = await serve({ era: 'modern-only' });
    const rejected = new LegacyClient({ name: 'legacy', version: '0.0.0' });
    const error = await rejected.connect(new LegacyHttpTransport(new URL(strict.url))).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    // The v1 client reports the HTTP status (400); the JSON-RPC error in the body is the spec's -32022.
    expect(error?.message).toMatch(/"code":-32022,"message":"Unsupported protocol version: 2025-11-25"/);
    expect(strict.instances.legacy).toBe(0);

    const dual = await serve({ era: 'dual' });
    const legacy = new LegacyClient({ name: 'legacy', version: '0.0.0' });
    await legacy.connect(new LegacyHttpTransport(new URL(dual.url)));
    open.unshift(legacy);
    expect(legacy.getServerVersion()?.name).toBe('test-server');
    const { tools } = await legacy.listTools();
    expect(tools.map((t) => t.name)).toContain('echo');
    const called = await legacy.callTool({ name: 'echo', arguments: { text: 'old' } });
    expect((called.content as { text: string }[])[0]?.text).toBe('old');
    // Stateless: initialize, tools/list and tools/call each had a fresh instance.
    expect(dual.instances.legacy).toBeGreaterThanOrEqual(3);
    expect(dual.ledger.calls('echo')).toBe(1);
    // ... so a 2025-era caller cannot be asked for input: input_required tools fail (as on any upgraded server).
    const asked = await legacy.callTool({ name: 'confirm_action', arguments: { action: 'ship' } });
    expect(asked.isError).toBe(true);
    expect((asked.content as { text: string }[])[0]?.text).toMatch(/per-request legacy serving cannot receive server-to-client requests/);
    expect(dual.ledger.calls('confirm_action')).toBe(0);
  });
});
