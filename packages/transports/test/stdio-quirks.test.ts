import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect, parseServerConfig, type Connection, type StdioServerConfig } from '@mcp-bridge/transports';
import { LineReader, responseIdOf, type OversizeLine } from '../src/stdio/line-reader.js';
import { leakSnapshot } from './helpers/leaks.js';
import { textOf } from './helpers/fixture-server.js';
import { isRunning, killQuietly, waitFor } from './helpers/processes.js';

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const server = (name: string, extra: Partial<StdioServerConfig> = {}): StdioServerConfig => ({
  command: process.execPath,
  args: [fixture(name)],
  ...extra,
});

describe('stdio servers that misbehave on stdout', () => {
  const connections: Connection[] = [];
  const pids: number[] = [];
  let checkLeaks: () => Promise<void>;
  beforeEach(() => {
    checkLeaks = leakSnapshot();
  });
  afterEach(async () => {
    await Promise.all(connections.splice(0).map((c) => c.close()));
    for (const pid of pids.splice(0)) killQuietly(pid);
    await checkLeaks();
  });

  async function open(name: string, config: StdioServerConfig, errors: Error[] = []): Promise<Connection> {
    const connection = await connect(name, config, { configure: (client) => void (client.onerror = (e) => errors.push(e)) });
    connections.push(connection);
    if (connection.pid !== undefined) pids.push(connection.pid);
    return connection;
  }

  it('ends the connection when the server closes stdout but keeps running: the call fails at once, the process is ended', async () => {
    const errors: Error[] = [];
    const connection = await open('half', server('stdout-closing-server.mjs', { shutdownGraceMs: 300 }), errors);
    const pid = connection.pid!;
    const started = Date.now();
    const call = connection.client.callTool({ name: 'close_stdout', arguments: {} }, undefined, { timeout: 30_000 });
    await expect(call).rejects.toThrow(/Connection closed/);
    expect(Date.now() - started).toBeLessThan(2_000);
    await connection.closed;
    expect(errors.map((e) => e.message)).toContainEqual(
      expect.stringMatching(/MCP server "half" closed its stdout but is still running; ending it/),
    );
    // It ignores stdin EOF: SIGTERM after the grace ends it.
    expect(await waitFor(() => !isRunning(pid), 3_000)).toBe(true);
    await expect(connection.client.callTool({ name: 'echo', arguments: { text: 'x' } })).rejects.toThrow();
  });

  it('fails the call whose answer exceeds maxMessageBytes at once, names the option, and keeps the session', async () => {
    const errors: Error[] = [];
    const connection = await open('big', server('big-answer-server.mjs', { maxMessageBytes: 64 * 1024 }), errors);
    const started = Date.now();
    const error = await connection.client.callTool({ name: 'big', arguments: { bytes: 100_000 } }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(/MCP server "big": answer dropped: a message of \d+ bytes exceeds maxMessageBytes \(65536\)/);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(errors.map((e) => e.message)).toContainEqual(expect.stringMatching(/exceeds maxMessageBytes \(65536\).*failed request/));
    // Under the limit it works, and the session survived the dropped line.
    expect(textOf(await connection.client.callTool({ name: 'big', arguments: { bytes: 50_000 } }))).toHaveLength(50_000);
    // A huge notification is dropped with a report, and is never taken for an answer.
    expect(textOf(await connection.client.callTool({ name: 'big_notification', arguments: { bytes: 100_000 } }))).toBe('sent');
    expect(errors.map((e) => e.message)).toContainEqual(expect.stringMatching(/exceeds maxMessageBytes.*dropped it/));
  });

  it('applies the 10 MiB default: a 12 MB answer fails fast, an 8 MB one arrives', async () => {
    const connection = await open('big', server('big-answer-server.mjs'));
    await expect(
      connection.client.callTool({ name: 'big', arguments: { bytes: 12_000_000 } }, undefined, { timeout: 20_000 }),
    ).rejects.toThrow(/exceeds maxMessageBytes \(10485760\)/);
    expect(textOf(await connection.client.callTool({ name: 'big', arguments: { bytes: 8_000_000 } }))).toHaveLength(8_000_000);
  }, 30_000);

  it('validates maxMessageBytes in the config', () => {
    const result = parseServerConfig('tiny', { command: 'x', maxMessageBytes: 10 });
    expect(result.ok).toBe(false);
    expect(JSON.stringify(result)).toMatch(/maxMessageBytes.*at least 1024/);
    expect(parseServerConfig('bad', { command: 'x', maxMessageBytes: 'big' }).ok).toBe(false);
    expect(parseServerConfig('ok', { command: 'x', maxMessageBytes: 1 << 20 }).ok).toBe(true);
  });
});

describe('LineReader', () => {
  function read(chunks: string[], max: number): { lines: string[]; over: OversizeLine[] } {
    const reader = new LineReader(max);
    const lines: string[] = [];
    const over: OversizeLine[] = [];
    for (const chunk of chunks)
      reader.push(
        Buffer.from(chunk),
        (l) => lines.push(l),
        (o) => over.push(o),
      );
    return { lines, over };
  }

  it('splits lines across chunks, strips \\r, and skips an oversize line to its newline only', () => {
    const { lines, over } = read(
      ['{"a":1}\r\n{"b"', ':2}\n', '{"result":{"x":"', 'y'.repeat(100), '"},"jsonrpc":"2.0","id":42}\n{"c":3}\n'],
      64,
    );
    expect(lines).toEqual(['{"a":1}', '{"b":2}', '{"c":3}']);
    expect(over).toHaveLength(1);
    expect(over[0]!.bytes).toBe(Buffer.byteLength(`{"result":{"x":"${'y'.repeat(100)}"},"jsonrpc":"2.0","id":42}`));
    expect(responseIdOf(over[0]!)).toBe(42);
  });

  it('reads the id of a response only where it is provably the top-level one', () => {
    const line = (text: string): OversizeLine => ({ bytes: text.length, head: text.slice(0, 512), tail: text.slice(-512) });
    expect(responseIdOf(line('{"jsonrpc":"2.0","id":"a-1","result":{"x":1}}'))).toBe('a-1');
    expect(responseIdOf(line('{"jsonrpc":"2.0","result":{"x":1},"id":7}'))).toBe(7);
    // A request from the server carries an id too: never taken for an answer.
    expect(responseIdOf(line('{"method":"sampling/createMessage","params":{},"jsonrpc":"2.0","id":7}'))).toBeUndefined();
    // The id of a nested object is not the response's.
    expect(responseIdOf(line('{"result":{"item":{"id":3}}}'))).toBeUndefined();
  });
});
