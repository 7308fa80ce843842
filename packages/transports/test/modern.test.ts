import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CallToolResultSchema, ListRootsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import {
  connect,
  parseServerConfig,
  type Connection,
  type EmbeddedRequest,
  type ServerConfig,
  type UpstreamRequestOptions,
} from '@mcp-bridge/transports';
import { textOf } from './helpers/fixture-server.js';
import { startStreamableHttpServer } from './helpers/http-servers.js';
import { leakSnapshot } from './helpers/leaks.js';
import { startModernHttpServer, type ModernHttpServer } from './helpers/modern-http.js';
import { isRunning, waitFor } from './helpers/processes.js';

const modernFixture = fileURLToPath(new URL('./fixtures/modern-server.mjs', import.meta.url));
const legacyFixture = fileURLToPath(new URL('./fixtures/legacy-logged-server.mjs', import.meta.url));

type Body = { method?: string; params?: { _meta?: Record<string, unknown> } };
const methodsOf = (server: ModernHttpServer): string[] => server.requests.map((r) => (r.body as Body | undefined)?.method ?? `${r.method}`);

describe('protocol eras (2026-07-28 upstreams)', () => {
  const connections: Connection[] = [];
  const closers: Array<() => Promise<void>> = [];
  let checkLeaks: () => Promise<void>;
  let dir: string;
  let spawnLog: string;

  beforeEach(() => {
    checkLeaks = leakSnapshot();
    dir = mkdtempSync(join(tmpdir(), 'mcp-bridge-eras-'));
    spawnLog = join(dir, 'spawns');
  });

  afterEach(async () => {
    await Promise.all(connections.splice(0).map((connection) => connection.close()));
    await Promise.all(closers.splice(0).map((close) => close()));
    rmSync(dir, { recursive: true, force: true });
    await checkLeaks();
  });

  async function open(...args: Parameters<typeof connect>): Promise<Connection> {
    const connection = await connect(...args);
    connections.push(connection);
    return connection;
  }

  const spawns = (): number => {
    try {
      return readFileSync(spawnLog, 'utf8').trim().split('\n').length;
    } catch {
      return 0;
    }
  };

  describe('Streamable HTTP', () => {
    it('auto against a modern-only server: server/discover, no initialize, calls carry the _meta envelope and Mcp-Name', async () => {
      const server = await startModernHttpServer({ legacy: 'reject' });
      closers.push(() => server.close());
      const connection = await open('modern', { url: server.url });
      expect(connection.era).toBe('modern');
      expect(connection.protocolVersion).toBe('2026-07-28');
      expect(connection.discover?.supportedVersions).toContain('2026-07-28');
      expect(connection.client.getServerVersion()?.name).toBe('modern-http');
      expect(textOf(await connection.client.callTool({ name: 'echo', arguments: { text: 'hi' } }))).toBe('hi');
      // The listen stream (list changes) opens beside the connection.
      expect(methodsOf(server).filter((m) => m !== 'subscriptions/listen')).toEqual(['server/discover', 'tools/call']);
      expect(methodsOf(server)).not.toContain('initialize');
      const call = server.requests.find((r) => (r.body as Body | undefined)?.method === 'tools/call')!;
      expect(call.headers['mcp-method']).toBe('tools/call');
      expect(call.headers['mcp-name']).toBe('echo');
      expect(call.headers['mcp-session-id']).toBeUndefined();
      const meta = (call.body as Body).params?._meta ?? {};
      expect(meta['io.modelcontextprotocol/protocolVersion']).toBe('2026-07-28');
      expect(meta['io.modelcontextprotocol/clientInfo']).toEqual({ name: 'mcp-bridge', version: '0.1.0' });
      expect(meta['io.modelcontextprotocol/clientCapabilities']).toEqual({});
    });

    it('a socket cut after the server ran the call, before any header: ResponseStreamLostError (may have run)', async () => {
      const isCall = (body: unknown): boolean => (body as Body | undefined)?.method === 'tools/call';
      const server = await startModernHttpServer({ legacy: 'reject', cutBeforeHeaders: isCall });
      closers.push(() => server.close());
      const { client } = await open('modern', { url: server.url, protocol: '2026-07-28' });
      const error = await client.callTool({ name: 'echo', arguments: { text: 'hi' } }).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(error?.name).toBe('ResponseStreamLostError');
      expect(error?.message).toMatch(/response stream of tools\/call broke before its result: it may have run/);
      expect(server.requests.filter((r) => isCall(r.body))).toHaveLength(1);
    });

    it('prompts, resources, completion and the liveness probe (server/discover, there is no ping)', async () => {
      const server = await startModernHttpServer({ legacy: 'reject' });
      closers.push(() => server.close());
      const { client } = await open('modern', { url: server.url, protocol: '2026-07-28' });
      const prompt = await client.getPrompt({ name: 'greet', arguments: { who: 'ada' } });
      expect(prompt.messages[0]?.content).toEqual({ type: 'text', text: 'hello ada' });
      const read = await client.readResource({ uri: 'mem://readme' });
      expect(read.contents[0]).toMatchObject({ uri: 'mem://readme', text: 'modern readme' });
      expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual(expect.arrayContaining(['echo', 'whoami', 'progress']));
      const completion = await client.complete({ ref: { type: 'ref/prompt', name: 'greet' }, argument: { name: 'who', value: 'a' } });
      expect(completion.completion.values).toEqual(['ada', 'alan']);
      const discovers = (): number => methodsOf(server).filter((m) => m === 'server/discover').length;
      const before = discovers();
      await client.ping();
      expect(discovers()).toBe(before + 1);
      expect(methodsOf(server)).not.toContain('ping');
    });

    it('remembers the verdict: a second connect of the same entry adopts the discover result (no probe)', async () => {
      const server = await startModernHttpServer();
      closers.push(() => server.close());
      const config: ServerConfig = { url: server.url };
      await open('modern', config);
      const again = await open('modern', config);
      expect(again.era).toBe('modern');
      expect(textOf(await again.client.callTool({ name: 'echo', arguments: { text: 'x' } }))).toBe('x');
      expect(methodsOf(server).filter((m) => m === 'server/discover')).toHaveLength(1);
      // Another entry (another object) probes for itself.
      await open('modern', { url: server.url });
      expect(methodsOf(server).filter((m) => m === 'server/discover')).toHaveLength(2);
    });

    it('pinned 2025-11-25 against a dual-era server: initialize, no probe', async () => {
      const server = await startModernHttpServer();
      closers.push(() => server.close());
      const connection = await open('dual', { url: server.url, type: 'streamable-http', protocol: '2025-11-25' });
      expect(connection.era).toBe('legacy');
      expect(connection.discover).toBeUndefined();
      expect(methodsOf(server)[0]).toBe('initialize');
      expect(methodsOf(server)).not.toContain('server/discover');
    });

    it('auto against a 2025-only server falls back to initialize once, then skips the probe', async () => {
      const server = await startStreamableHttpServer();
      closers.push(() => server.close());
      const config: ServerConfig = { url: server.url, type: 'streamable-http' };
      const first = await open('legacy', config);
      expect(first.era).toBe('legacy');
      expect(first.protocolVersion).toBe('2025-11-25');
      expect(textOf(await first.client.callTool({ name: 'echo', arguments: { text: 'old' } }))).toBe('old');
      const posts = server.requests.filter((r) => r.method === 'POST').length;
      await open('legacy', config);
      // initialize + initialized notification, and no probe POST this time.
      expect(server.requests.filter((r) => r.method === 'POST').length - posts).toBe(2);
    });

    it('pinned 2026-07-28 against a 2025-only server fails with a clear error', async () => {
      const server = await startStreamableHttpServer();
      closers.push(() => server.close());
      await expect(connect('old', { url: server.url, protocol: '2026-07-28' }, { timeoutMs: 5_000 })).rejects.toThrow(
        /^MCP server "old": could not connect \(streamable-http: .*, 2026-07-28\): .*2026-07-28/,
      );
    });
  });

  describe('stdio', () => {
    it('auto against a modern stdio server: one process, modern era', async () => {
      const env = { MODERN_SPAWN_LOG: spawnLog, MODERN_LEGACY: 'reject' };
      const connection = await open('modern', { command: process.execPath, args: [modernFixture], env });
      expect(connection.era).toBe('modern');
      expect(spawns()).toBe(1);
      expect(textOf(await connection.client.callTool({ name: 'echo', arguments: { text: 'pipe' } }))).toBe('pipe');
      expect(JSON.parse(textOf(await connection.client.callTool({ name: 'whoami', arguments: {} })))).toMatchObject({
        pid: connection.pid,
      });
    });

    it('auto against a 2025-only stdio server: the probe costs no extra process (initialize on the probed one)', async () => {
      const config: ServerConfig = { command: process.execPath, args: [legacyFixture], env: { MODERN_SPAWN_LOG: spawnLog } };
      const first = await open('legacy', config);
      expect(first.era).toBe('legacy');
      expect(first.protocolVersion).toBe('2025-11-25');
      expect(spawns()).toBe(1);
      expect(textOf(await first.client.callTool({ name: 'echo', arguments: { text: 'old' } }))).toBe('old');
      expect(JSON.parse(textOf(await first.client.callTool({ name: 'whoami', arguments: {} })))).toMatchObject({ pid: first.pid });
      // The verdict is remembered: the next connect goes straight to initialize.
      const second = await open('legacy', config);
      expect(second.era).toBe('legacy');
      expect(spawns()).toBe(2);
      await first.close();
      expect(await waitFor(() => !isRunning(first.pid!))).toBe(true);
    });

    it('auto against a 2025 server that exits on the probe: spawned afresh for initialize', async () => {
      const exits = fileURLToPath(new URL('./fixtures/exit-on-probe-server.mjs', import.meta.url));
      const connection = await open('strict', { command: process.execPath, args: [exits], env: { MODERN_SPAWN_LOG: spawnLog } });
      expect(connection.era).toBe('legacy');
      expect(spawns()).toBe(2);
      expect(textOf(await connection.client.callTool({ name: 'echo', arguments: { text: 'again' } }))).toBe('again');
    });

    it('pinned 2025-11-25 spawns once and never probes', async () => {
      const config: ServerConfig = {
        command: process.execPath,
        args: [legacyFixture],
        env: { MODERN_SPAWN_LOG: spawnLog },
        protocol: '2025-11-25',
      };
      expect((await open('legacy', config)).era).toBe('legacy');
      expect(spawns()).toBe(1);
    });

    it('a modern connection ends when its process dies', async () => {
      const connection = await open('modern', { command: process.execPath, args: [modernFixture], protocol: '2026-07-28' });
      process.kill(connection.pid!, 'SIGKILL');
      await connection.closed;
      expect(await waitFor(() => !isRunning(connection.pid!))).toBe(true);
    });
  });

  describe('config', () => {
    it('validates protocol and refuses a pinned modern era on transports that cannot carry it', () => {
      expect(parseServerConfig('a', { command: 'x', protocol: '2024-11-05' })).toEqual({
        ok: false,
        issues: [{ server: 'a', path: 'protocol', message: `expected 'auto', '2025-11-25' or '2026-07-28', got "2024-11-05"` }],
      });
      const sse = parseServerConfig('b', { type: 'sse', url: 'http://h/sse', protocol: '2026-07-28' });
      expect(sse.ok ? [] : sse.issues.map((issue) => issue.path)).toEqual(['protocol']);
      expect(parseServerConfig('c', { url: 'http://h/mcp', protocol: 'auto' }).ok).toBe(true);
    });
  });
});

describe('input_required (manual mode: the bridge asks the caller)', () => {
  let server: ModernHttpServer;
  let connection: Connection;

  beforeEach(async () => {
    server = await startModernHttpServer({ legacy: 'reject' });
    connection = await connect(
      'modern',
      { url: server.url, protocol: '2026-07-28', maxInputRounds: 3 },
      { capabilities: { elicitation: {}, sampling: {}, roots: {} } },
    );
  });

  afterEach(async () => {
    await connection.close();
    await server.close();
  });

  const call = (name: string, args: Record<string, unknown>, options: UpstreamRequestOptions = {}) =>
    connection.client.request({ method: 'tools/call', params: { name, arguments: args } }, CallToolResultSchema, options);

  it('answers each embedded request through askCaller and re-sends with inputResponses and the requestState', async () => {
    const asked: EmbeddedRequest[] = [];
    const result = await call(
      'ask',
      { kind: 'elicit' },
      { askCaller: (request) => (asked.push(request), Promise.resolve({ action: 'accept', content: { ok: true } })) },
    );
    expect(JSON.parse(textOf(result))).toEqual({ action: 'accept', content: { ok: true } });
    expect(asked.map((r) => r.method)).toEqual(['elicitation/create']);
    const calls = server.requests
      .filter((r) => (r.body as Body | undefined)?.method === 'tools/call')
      .map((r) => r.body as { params: Record<string, unknown> });
    expect(calls).toHaveLength(2);
    expect(calls[1]!.params).toMatchObject({
      inputResponses: { q: { action: 'accept', content: { ok: true } } },
      requestState: 'asked-elicit',
    });
  });

  it('without askCaller, the handlers installed on the client answer (a library user)', async () => {
    connection.client.setRequestHandler(ListRootsRequestSchema, () => ({ roots: [{ uri: 'file:///work', name: 'work' }] }));
    const result = await call('ask', { kind: 'roots' });
    expect(JSON.parse(textOf(result))).toEqual({ roots: [{ uri: 'file:///work', name: 'work' }] });
  });

  it('fails clearly when nobody can answer, and after maxInputRounds', async () => {
    await expect(call('ask', { kind: 'sample' })).rejects.toThrow(
      /needs input from the caller \(sampling\/createMessage\), but the caller cannot be asked/,
    );
    const asked: string[] = [];
    await expect(call('endless', {}, { askCaller: (r) => (asked.push(r.method), Promise.resolve({ roots: [] })) })).rejects.toThrow(
      /tools\/call "endless" still asked for input after 3 rounds \(maxInputRounds\)/,
    );
    expect(asked).toHaveLength(3);
  });

  it('is cancellable while the caller is being asked', async () => {
    const controller = new AbortController();
    let asking!: () => void;
    const asked = new Promise<void>((resolve) => (asking = resolve));
    const pending = call(
      'ask',
      { kind: 'elicit' },
      {
        signal: controller.signal,
        askCaller: (_request, { signal }) =>
          new Promise((_resolve, reject) => {
            signal?.addEventListener('abort', () => reject(signal.reason as Error));
            asking();
          }),
      },
    );
    await asked;
    controller.abort(new Error('caller went away'));
    await expect(pending).rejects.toThrow(/caller went away/);
    expect(server.requests.filter((r) => (r.body as Body | undefined)?.method === 'tools/call')).toHaveLength(1);
  });
});
