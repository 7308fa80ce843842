import { mkdtemp, realpath, rm, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createBridge, type Bridge } from '@mcp-bridge/core';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayClientCapabilities, serveHttp, type HttpGateway } from '../src/index.js';
import { httpClient, textOf, waitFor, type TestClient } from './support/clients.js';
import { realServers } from './support/servers.js';

// Published MCP servers (server-everything, server-filesystem, server-memory) and the conformance
// fixture, all over stdio behind one gateway, used by real SDK clients over Streamable HTTP.
describe('gateway over Streamable HTTP in front of real published servers', () => {
  let dir: string;
  let bridge: Bridge;
  let gateway: HttpGateway;
  let a: TestClient;
  let b: TestClient;
  const clients: TestClient[] = [];
  const bridgeErrors: unknown[] = [];

  beforeAll(async () => {
    dir = await realpath(await mkdtemp(join(tmpdir(), 'mcp-bridge-server-')));
    await mkdir(join(dir, 'files'));
    await mkdir(join(dir, 'root-a'));
    await mkdir(join(dir, 'root-b'));
    // B's roots replace the server's configured folder for B's upstream session: B's file is in its root.
    await writeFile(join(dir, 'root-b', 'hello.txt'), 'hello from the filesystem server');
    const servers = realServers(join(dir, 'files'), join(dir, 'memory.jsonl'));
    bridge = createBridge({
      // server-everything's and the fixture's lists and subscriptions are per upstream session (a resource
      // registered by one call): shared, so the catalog (listed on the shared session) sees what the clients'
      // calls changed. Per-caller sessions of these servers: isolation.test.ts.
      servers: Object.fromEntries(Object.entries(servers).map(([name, c]) => [name, name === 'files' ? c : { ...c, sessions: 'shared' }])),
      clientCapabilities: gatewayClientCapabilities(),
      onError: (e) => bridgeErrors.push(e),
    });
    gateway = await serveHttp(bridge, { onError: () => undefined });
    a = await httpClient('client-a', gateway.url, { roots: [{ uri: pathToFileURL(join(dir, 'root-a')).href, name: 'root-a' }] });
    b = await httpClient('client-b', gateway.url, { roots: [{ uri: pathToFileURL(join(dir, 'root-b')).href, name: 'root-b' }] });
    clients.push(a, b);
  }, 60_000);

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await gateway?.close();
    await bridge?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('serves the merged catalog of every server and calls each of them', async () => {
    const { tools } = await a.client.listTools();
    const names = tools.map((t) => t.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'echo',
        'get-sum',
        'read_text_file',
        'list_allowed_directories',
        'create_entities',
        'read_graph',
        'test_simple_text',
      ]),
    );
    expect(gateway.sessionCount()).toBe(2);

    expect(textOf(await a.client.callTool({ name: 'get-sum', arguments: { a: 2, b: 3 } }))).toContain('5');
    expect(textOf(await b.client.callTool({ name: 'read_text_file', arguments: { path: join(dir, 'root-b', 'hello.txt') } }))).toContain(
      'hello from the filesystem server',
    );
    await a.client.callTool({
      name: 'create_entities',
      arguments: { entities: [{ name: 'gateway', entityType: 'component', observations: ['fronts many servers'] }] },
    });
    expect(textOf(await b.client.callTool({ name: 'read_graph', arguments: {} }))).toContain('fronts many servers');

    const { prompts } = await a.client.listPrompts();
    expect(prompts.map((p) => p.name)).toEqual(expect.arrayContaining(['simple-prompt', 'test_simple_prompt']));
    const { resourceTemplates } = await a.client.listResourceTemplates();
    expect(resourceTemplates.length).toBeGreaterThan(0);
    const read = await a.client.readResource({ uri: 'test://static-text' });
    expect(read.contents[0]).toMatchObject({ uri: 'test://static-text', text: 'This is the content of the static text resource.' });
  });

  it('progress reaches only the client whose call asked for it, with two calls in flight at once', async () => {
    const progressA: number[] = [];
    const progressB: number[] = [];
    const [ra, rb] = await Promise.all([
      a.client.request(
        { method: 'tools/call', params: { name: 'trigger-long-running-operation', arguments: { duration: 0.6, steps: 3 } } },
        CallToolResultSchema,
        {
          onprogress: (p) => progressA.push(p.progress),
        },
      ),
      b.client.request(
        { method: 'tools/call', params: { name: 'trigger-long-running-operation', arguments: { duration: 0.6, steps: 5 } } },
        CallToolResultSchema,
        {
          onprogress: (p) => progressB.push(p.progress),
        },
      ),
    ]);
    expect(ra.isError).toBeFalsy();
    expect(rb.isError).toBeFalsy();
    // Each client sees its own sequence, nothing of the other's (a stray one would break the order).
    // The SDK client may drop a last progress read in the same chunk as the response: allow that one.
    expect(progressA.length).toBeGreaterThanOrEqual(2);
    expect(progressA).toEqual([1, 2, 3].slice(0, progressA.length));
    expect(progressB.length).toBeGreaterThanOrEqual(4);
    expect(progressB).toEqual([1, 2, 3, 4, 5].slice(0, progressB.length));
    expect([...a.errors, ...b.errors].filter((e) => /progress/i.test(e.message))).toEqual([]);
  });

  it('sampling and elicitation go to the client that made the call, never to the other', async () => {
    const sampled = await a.client.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'say hi', maxTokens: 20 } });
    expect(sampled.isError).toBeFalsy();
    expect(textOf(sampled)).toContain('sampled by client-a');
    expect(a.sampling).toHaveLength(1);
    expect(a.sampling[0]!.messages[0]!.content).toMatchObject({ type: 'text', text: expect.stringContaining('say hi') });
    expect(b.sampling).toHaveLength(0);

    const elicited = await b.client.callTool({ name: 'trigger-elicitation-request', arguments: {} });
    expect(textOf(elicited)).toMatch(/decline/i);
    expect(b.elicitation).toHaveLength(1);
    expect(a.elicitation).toHaveLength(0);
  });

  it('a client without the capability gets a clear refusal, relayed by the upstream', async () => {
    const plain = await httpClient('client-plain', gateway.url, { capable: false });
    clients.push(plain);
    const result = await plain.client.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'hi', maxTokens: 5 } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('did not declare the "sampling" capability');
    expect(a.sampling).toHaveLength(1);
    expect(b.sampling).toHaveLength(0);
  });

  it("each client's roots reach server-filesystem at its first call, and only its own: roots are per client", async () => {
    const [rootA, rootB] = [join(dir, 'root-a'), join(dir, 'root-b')];
    // server-filesystem asks for roots once initialized, and may answer a call that came right behind
    // the initialize before it has them: until then it serves its configured folder, never another client's.
    const allowed = async (c: TestClient, root: string): Promise<string> => {
      let text = '';
      await waitFor(`server-filesystem to adopt ${root}`, async () => {
        text = textOf(await c.client.callTool({ name: 'list_allowed_directories', arguments: {} }));
        expect(text).not.toContain(root === rootA ? rootB : rootA);
        return text.includes(root);
      });
      return text;
    };
    const allowedA = await allowed(a, rootA);
    const allowedB = await allowed(b, rootB);
    expect(allowedA).toContain(rootA);
    expect(allowedA).not.toContain(rootB);
    expect(allowedB).toContain(rootB);
    expect(allowedB).not.toContain(rootA);
    // B announces new roots: B is asked again; A keeps its own.
    const askedA = a.rootsAsked;
    await b.client.sendRootsListChanged();
    expect(textOf(await a.client.callTool({ name: 'list_allowed_directories', arguments: {} }))).not.toContain(rootB);
    expect(textOf(await b.client.callTool({ name: 'list_allowed_directories', arguments: {} }))).toContain(rootB);
    expect(a.rootsAsked).toBe(askedA);
  });

  it("logging: upstream log messages reach each client according to that client's own level", async () => {
    await a.client.setLoggingLevel('debug');
    await b.client.setLoggingLevel('emergency');
    const before = { a: a.logs.length, b: b.logs.length };
    await a.client.callTool({ name: 'test_tool_with_logging', arguments: {} });
    await waitFor(
      'three log messages at client A',
      () => a.logs.slice(before.a).filter((l) => l.logger === 'conformance-fixture').length >= 3,
    );
    // everything's simulated logging sends one message of a random level at once.
    await a.client.callTool({ name: 'toggle-simulated-logging', arguments: {} });
    await waitFor('a log message from server-everything at client A', () =>
      a.logs.slice(before.a).some((l) => /level[- ]message/i.test(String(l.data))),
    );
    await a.client.callTool({ name: 'toggle-simulated-logging', arguments: {} });
    await new Promise((r) => setTimeout(r, 200));
    expect(
      b.logs
        .slice(before.b)
        .map((l) => l.level)
        .filter((level) => level !== 'emergency'),
    ).toEqual([]);
    await b.client.setLoggingLevel('debug');
  });

  it('list_changed from an upstream reaches every client', async () => {
    const before = { a: a.listChanged.length, b: b.listChanged.length };
    // server-everything registers a session resource: resources/list_changed from a real server.
    const gz = await a.client.callTool({
      name: 'gzip-file-as-resource',
      arguments: { name: 'note.gz', data: 'data:text/plain;base64,aGVsbG8=', outputType: 'resourceLink' },
    });
    expect(gz.isError).toBeFalsy();
    await waitFor(
      'resources/list_changed at both clients',
      () => a.listChanged.slice(before.a).includes('resources') && b.listChanged.slice(before.b).includes('resources'),
    );
    const { resources } = await b.client.listResources();
    expect(resources.map((r) => r.uri)).toEqual(expect.arrayContaining([expect.stringContaining('note.gz')]));

    await b.client.callTool({ name: 'test_add_tool', arguments: {} });
    await waitFor(
      'tools/list_changed at both clients',
      () => a.listChanged.slice(before.a).includes('tools') && b.listChanged.slice(before.b).includes('tools'),
    );
    expect((await a.client.listTools()).tools.map((t) => t.name)).toContain('test_added_tool');
  });

  it('resources/updated reaches the subscribed client only', async () => {
    await a.client.subscribeResource({ uri: 'test://watched-resource' });
    const before = b.updated.length;
    await b.client.callTool({ name: 'test_update_watched_resource', arguments: {} });
    await waitFor('resources/updated at client A', () => a.updated.includes('test://watched-resource'));
    await new Promise((r) => setTimeout(r, 200));
    expect(b.updated.length).toBe(before);
    await a.client.unsubscribeResource({ uri: 'test://watched-resource' });
    expect(textOf(await b.client.callTool({ name: 'test_update_watched_resource', arguments: {} }))).toBe('not subscribed');
  });

  it("a client's cancellation reaches the upstream and cancels only that call", async () => {
    const fixture = () => bridge.upstreams('fixture')[0]!.inFlight;
    // A's own upstream session is open before its call (a call cancelled while that session connects never reaches it).
    await a.client.callTool({ name: 'test_last_cancel', arguments: {} });
    // B's call reaches the fixture first, so the fixture's "last run" is A's.
    const other = b.client.callTool({ name: 'test_wait_for_cancel', arguments: { ms: 2_000 } });
    await waitFor("B's call to be in flight on the fixture", () => fixture() === 1);
    const controller = new AbortController();
    const cancelled = a.client.callTool({ name: 'test_wait_for_cancel', arguments: { ms: 20_000 } }, undefined, {
      signal: controller.signal,
    });
    // A's call is sent to the fixture before it is cancelled (a call cancelled on its way never runs there).
    await waitFor("A's call to be in flight on the fixture", () => fixture() === 2);
    controller.abort('user stopped it');
    await expect(cancelled).rejects.toThrow();
    expect(textOf(await other)).toBe('finished');
    await waitFor('the upstream to see the cancellation', async () => {
      const run = JSON.parse(textOf(await a.client.callTool({ name: 'test_last_cancel', arguments: {} }))) as { cancelled: boolean };
      return run.cancelled;
    });
  });
});
