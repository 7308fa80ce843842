import { PassThrough, Writable } from 'node:stream';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { StdioSessionTransport } from '../src/stdio-transport.js';

/** A stdout that records each write the stream hands to the OS (one entry per write or writev). */
function recordingOut(): { out: Writable; writes: string[][] } {
  const writes: string[][] = [];
  const out = new Writable({
    write(chunk: Buffer, _encoding, done) {
      writes.push([chunk.toString()]);
      done();
    },
    writev(chunks, done) {
      writes.push(chunks.map((c) => (c.chunk as Buffer).toString()));
      done();
    },
  });
  return { out, writes };
}

async function started(): Promise<{
  transport: StdioSessionTransport;
  stdin: PassThrough;
  received: unknown[];
  errors: Error[];
  writes: string[][];
}> {
  const stdin = new PassThrough();
  const { out, writes } = recordingOut();
  const transport = new StdioSessionTransport(stdin, out);
  const received: unknown[] = [];
  const errors: Error[] = [];
  transport.onmessage = (m) => void received.push(m);
  transport.onerror = (e) => void errors.push(e);
  await transport.start();
  return { transport, stdin, received, errors, writes };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('the gateway stdio transport', () => {
  it('splits lines across chunks, multi-byte characters too, and accepts CRLF', async () => {
    const { stdin, received, errors } = await started();
    const line = `${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', params: { note: 'naïve ☕' } })}\r\n`;
    const bytes = Buffer.from(line + JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) + '\n');
    // Split inside the "☕" (3 bytes in UTF-8) and inside the second message.
    const cut = bytes.indexOf(Buffer.from('☕')) + 1;
    stdin.write(bytes.subarray(0, cut));
    stdin.write(bytes.subarray(cut, cut + 40));
    stdin.write(bytes.subarray(cut + 40));
    await tick();
    expect(received).toEqual([
      { jsonrpc: '2.0', id: 1, method: 'ping', params: { note: 'naïve ☕' } },
      { jsonrpc: '2.0', method: 'notifications/initialized' },
    ]);
    expect(errors).toEqual([]);
  });

  it('reports a line that is not JSON, skips blank lines, and goes on', async () => {
    const { stdin, received, errors } = await started();
    stdin.write('this is not json\n\n   \n{"jsonrpc":"2.0","id":2,"method":"ping"}\n');
    await tick();
    expect(received).toEqual([{ jsonrpc: '2.0', id: 2, method: 'ping' }]);
    expect(errors.map((e) => e.message)).toEqual([expect.stringContaining('not a JSON-RPC message')]);
  });

  it('sends the messages of one turn in one write, and a later one in its own', async () => {
    const { transport, writes } = await started();
    const answer = (id: number): JSONRPCMessage => ({ jsonrpc: '2.0', id, result: {} });
    await Promise.all([transport.send(answer(1)), transport.send(answer(2)), transport.send(answer(3))]);
    await tick();
    await transport.send(answer(4));
    await tick();
    expect(writes.map((w) => w.join(''))).toEqual([
      '{"jsonrpc":"2.0","id":1,"result":{}}\n{"jsonrpc":"2.0","id":2,"result":{}}\n{"jsonrpc":"2.0","id":3,"result":{}}\n',
      '{"jsonrpc":"2.0","id":4,"result":{}}\n',
    ]);
    expect(writes[0]).toHaveLength(3);
  });

  it('close stops reading and says so once', async () => {
    const { transport, stdin, received } = await started();
    let closed = 0;
    transport.onclose = () => void closed++;
    await transport.close();
    await transport.close();
    stdin.write('{"jsonrpc":"2.0","id":3,"method":"ping"}\n');
    await tick();
    expect([closed, received]).toEqual([1, []]);
  });
});
