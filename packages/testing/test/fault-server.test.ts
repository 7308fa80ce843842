import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  FaultLedger,
  inMemoryFaultServer,
  LEDGER_TOOL,
  readFaultLedgerFile,
  seededRandom,
  startFaultHttpServer,
  stdioFaultServer,
  type FaultHttpServer,
  type FaultServerOptions,
  type InMemoryFaultServerConfig,
} from '../src/index.js';
import { textOf } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'mcp-bridge-fault-'));
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function connect(config: InMemoryFaultServerConfig): Promise<{ client: Client; closed: Promise<void> }> {
  const server = await config.server();
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'fault-tests', version: '0' });
  const closed = new Promise<void>((resolve) => (client.onclose = resolve));
  await client.connect(clientSide);
  cleanups.push(
    () => client.close(),
    () => server.close(),
  );
  return { client, closed };
}

const call = (client: Client, name: string, key: string, options?: { signal?: AbortSignal; timeout?: number }) =>
  client.callTool({ name, arguments: { key } }, undefined, options);

describe('fault server in memory', () => {
  it('lists its tools with the configured annotations, and the ledger tool', async () => {
    const config = inMemoryFaultServer({ tools: { read: { readOnlyHint: true }, pay: { destructiveHint: true, idempotentHint: false } } });
    const { client } = await connect(config);
    const { tools } = await client.listTools();
    expect(Object.fromEntries(tools.map((t) => [t.name, t.annotations]))).toEqual({
      read: { readOnlyHint: true },
      pay: { destructiveHint: true, idempotentHint: false },
      [LEDGER_TOOL]: { readOnlyHint: true },
    });
    const defaults = await connect(inMemoryFaultServer());
    expect((await defaults.client.listTools()).tools.map((t) => t.name)).toEqual(['lookup', 'upsert', 'create', LEDGER_TOOL]);
  });

  it('plays a script: ok, error, is-error, retry-after, delay, and counts what arrived and what executed per key', async () => {
    const config = inMemoryFaultServer({
      faults: {
        script: [
          'ok',
          { kind: 'error', code: -32603, message: 'boom' },
          'is-error',
          { kind: 'retry-after', retryAfterMs: 1500 },
          { kind: 'delay', ms: 30 },
        ],
      },
    });
    const { client } = await connect(config);
    expect(JSON.parse(textOf(await call(client, 'create', 'a')))).toMatchObject({ tool: 'create', key: 'a', execution: 1 });
    const error = (await call(client, 'create', 'b').catch((e: unknown) => e)) as McpError;
    expect(error).toBeInstanceOf(McpError);
    expect([error.code, error.message]).toEqual([-32603, 'MCP error -32603: boom']);
    expect((await call(client, 'create', 'c')).isError).toBe(true);
    const limited = (await call(client, 'create', 'd').catch((e: unknown) => e)) as McpError;
    expect(limited.data).toEqual({ retryAfter: 2, retryAfterMs: 1500 });
    const t = performance.now();
    await call(client, 'create', 'e');
    expect(performance.now() - t).toBeGreaterThanOrEqual(25);
    const l = config.ledger;
    expect(['a', 'b', 'c', 'd', 'e'].map((k) => [l.received(k), l.executions(k)])).toEqual([
      [1, 1],
      [1, 0],
      [1, 0],
      [1, 0],
      [1, 1],
    ]);
    expect(l.snapshot().faults).toEqual({ ok: 1, error: 1, 'is-error': 1, 'retry-after': 1, delay: 1 });
    // The ledger tool reads the same ledger and is itself never counted nor faulted.
    const viaTool = JSON.parse(textOf(await client.callTool({ name: LEDGER_TOOL, arguments: {} })));
    expect(viaTool).toEqual(JSON.parse(JSON.stringify(l)));
  });

  it('drop-before does not execute, drop-after executes, and both close the connection; the next connection goes on with the script', async () => {
    const config = inMemoryFaultServer({ faults: { script: ['drop-before', 'drop-after', 'ok'] } });
    const first = await connect(config);
    await expect(call(first.client, 'create', 'x')).rejects.toThrow(/Connection closed/);
    await first.closed;
    const second = await connect(config);
    await expect(call(second.client, 'create', 'y')).rejects.toThrow(/Connection closed/);
    const third = await connect(config);
    await call(third.client, 'create', 'z');
    expect(['x', 'y', 'z'].map((k) => config.ledger.executions(k))).toEqual([0, 1, 1]);
    expect(config.connections).toBe(3);
  });

  it('hang never answers, and counts the cancellation when the client gives up', async () => {
    const config = inMemoryFaultServer({ faults: { script: ['hang', { kind: 'delay', ms: 10_000 }] } });
    const { client } = await connect(config);
    await expect(call(client, 'lookup', 'h', { timeout: 100 })).rejects.toThrow(/timed out/i);
    const controller = new AbortController();
    const delayed = call(client, 'lookup', 'd', { signal: controller.signal });
    await config.ledger.waitFor((l) => l.received('d') === 1);
    controller.abort();
    await expect(delayed).rejects.toThrow();
    await config.ledger.waitFor((l) => l.cancelled('h') === 1 && l.cancelled('d') === 1);
    // A request cancelled during its delay never executes.
    expect([config.ledger.executions('h'), config.ledger.executions('d')]).toEqual([0, 0]);
  });

  it('is deterministic for a seed, draws faults at their rates, and accepts an injected RNG', async () => {
    const kinds = async (options: FaultServerOptions): Promise<string> => {
      const config = inMemoryFaultServer({ ...options, faults: { rates: { error: 0.3, 'is-error': 0.2 } } });
      const { client } = await connect(config);
      for (let i = 0; i < 200; i++) await call(client, 'lookup', `k${i}`).catch(() => undefined);
      return JSON.stringify(config.ledger.snapshot().faults);
    };
    const a = await kinds({ seed: 5 });
    expect(await kinds({ seed: 5 })).toBe(a);
    expect(await kinds({ seed: 6 })).not.toBe(a);
    expect(await kinds({ random: seededRandom(5) })).toBe(a);
    const counts = JSON.parse(a) as Record<string, number>;
    expect(counts.error).toBeGreaterThan(40);
    expect(counts.error).toBeLessThan(80);
    expect(counts['is-error']).toBeGreaterThan(20);
  });

  it('per-tool plans, latency with a heavy tail, and setFaults at run time', async () => {
    const config = inMemoryFaultServer({
      toolFaults: { create: { script: ['error'] } },
      latency: { rate: 1, scaleMs: 1, alpha: 1.2, maxMs: 50 },
      seed: 3,
    });
    const { client } = await connect(config);
    await call(client, 'lookup', 'l');
    await expect(call(client, 'create', 'c')).rejects.toThrow();
    expect(config.ledger.faults('delay')).toBe(1);
    config.setFaults({ script: ['is-error'] }, 'lookup');
    expect((await call(client, 'lookup', 'l2')).isError).toBe(true);
  });

  it('rejects bad options with a TypeError naming the field', () => {
    expect(() => inMemoryFaultServer({ faults: { rates: { error: 0.7, hang: 0.5 } } })).toThrow(
      /faults\.rates: the rates must sum to at most 1/,
    );
    expect(() => inMemoryFaultServer({ faults: { script: ['explode' as never] } })).toThrow(/faults\.script\.0/);
    expect(() => inMemoryFaultServer({ bogus: 1 } as never)).toThrow(/TypeError|unrecognized|bogus/i);
    expect(() => stdioFaultServer({ random: Math.random } as never)).toThrow(/cannot cross to a child process/);
  });

  it('shares one ledger between servers, and a ledger file continues where it stopped', () => {
    const shared = new FaultLedger();
    const a = inMemoryFaultServer({ ledger: shared });
    expect(a.ledger).toBe(shared);
    const file = join(dir, 'continued.json');
    const first = new FaultLedger(file);
    first.recordReceived('k', 'create', 'crash');
    const second = new FaultLedger(file);
    expect(second.received('k')).toBe(1);
    expect(readFaultLedgerFile(file).faults).toEqual({ crash: 1 });
  });
});

describe('fault server over stdio (a real child process)', () => {
  it('crash exits the process after receiving the request (not executed); the respawn goes on with the script', async () => {
    const ledgerFile = join(dir, 'stdio-crash.json');
    const config = stdioFaultServer({
      ledgerFile,
      faults: { script: ['crash', 'ok'] },
      stdoutGarbage: { atStart: 2, perCall: 1 },
      stderrFlood: { atStartBytes: 100_000, perCallBytes: 1000 },
    });
    let stderrBytes = 0;
    let garbageLines = 0;
    const open = async (): Promise<{ client: Client; transport: StdioClientTransport }> => {
      const transport = new StdioClientTransport({ ...config, stderr: 'pipe' });
      (transport.stderr as NodeJS.ReadableStream | null)?.on('data', (chunk: Buffer) => (stderrBytes += chunk.length));
      const client = new Client({ name: 'fault-tests', version: '0' });
      // The garbage lines on stdout are reported here, and skipped.
      client.onerror = (error) => void (/JSON/.test(error.message) && garbageLines++);
      await client.connect(transport);
      cleanups.push(() => client.close());
      return { client, transport };
    };
    const first = await open();
    const exited = new Promise<void>((resolve) => (first.client.onclose = resolve));
    await expect(call(first.client, 'create', 'c')).rejects.toThrow(/Connection closed/);
    await exited;
    expect(readFaultLedgerFile(ledgerFile).keys['c']).toMatchObject({ received: 1, executions: 0 });
    expect(stderrBytes).toBeGreaterThanOrEqual(100_000 + 1000);
    expect(garbageLines).toBeGreaterThanOrEqual(3);
    const second = await open();
    expect(JSON.parse(textOf(await call(second.client, 'create', 'c')))).toMatchObject({ execution: 1 });
    expect(readFaultLedgerFile(ledgerFile).keys['c']).toMatchObject({ received: 2, executions: 1 });
  });

  it('slow start delays initialize', async () => {
    const transport = new StdioClientTransport(stdioFaultServer({ startDelayMs: 600 }));
    const client = new Client({ name: 'fault-tests', version: '0' });
    cleanups.push(() => client.close());
    const t = performance.now();
    await client.connect(transport);
    expect(performance.now() - t).toBeGreaterThanOrEqual(550);
  });
});

describe('fault server over Streamable HTTP', () => {
  let http: FaultHttpServer | undefined;
  afterEach(async () => {
    await http?.close();
    http = undefined;
  });
  const connectHttp = async (server: FaultHttpServer): Promise<Client> => {
    const client = new Client({ name: 'fault-tests', version: '0' });
    client.onerror = () => undefined;
    await client.connect(new StreamableHTTPClientTransport(new URL(server.url)));
    cleanups.push(() => client.close());
    return client;
  };

  it('session-expired answers 404 and forgets the session; 429 carries Retry-After; drop-before destroys the socket', async () => {
    http = await startFaultHttpServer({
      faults: { script: ['session-expired', { kind: 'retry-after', retryAfterMs: 2000, status: 503 }, 'drop-before', 'ok'] },
    });
    const client = await connectHttp(http);
    expect(http.sessionCount).toBe(1);
    await expect(call(client, 'create', 'a')).rejects.toMatchObject({ code: 404, message: expect.stringMatching(/Session not found/) });
    expect(http.sessionCount).toBe(0);
    const fresh = await connectHttp(http);
    await expect(call(fresh, 'create', 'b')).rejects.toThrow(/503.*retryAfter/s);
    await expect(call(fresh, 'create', 'c')).rejects.toThrow(/fetch failed|other side closed|socket/i);
    await call(fresh, 'create', 'd');
    expect(['a', 'b', 'c', 'd'].map((k) => [http!.ledger.received(k), http!.ledger.executions(k)])).toEqual([
      [1, 0],
      [1, 0],
      [1, 0],
      [1, 1],
    ]);
    expect(http.sessionsCreated).toBe(2);
  });

  it('429 sends a Retry-After header; crash forgets every session', async () => {
    http = await startFaultHttpServer({ faults: { script: [{ kind: 'retry-after', retryAfterMs: 3000 }] } });
    // A raw POST to see the header (the SDK client drops response headers).
    const client = await connectHttp(http);
    const sessionId = (client as unknown as { _transport: StreamableHTTPClientTransport })._transport.sessionId!;
    const response = await fetch(http.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-session-id': sessionId,
        'mcp-protocol-version': '2025-06-18',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 99, method: 'tools/call', params: { name: 'lookup', arguments: { key: 'raw' } } }),
    });
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('3');
    http.setFaults({ script: ['crash'] });
    await connectHttp(http);
    expect(http.sessionCount).toBe(2);
    await expect(call(client, 'lookup', 'x')).rejects.toThrow();
    expect(http.sessionCount).toBe(0);
  });
});
