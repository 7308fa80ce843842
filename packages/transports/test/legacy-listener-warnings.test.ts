import { afterEach, describe, expect, it } from 'vitest';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { connect, type Connection } from '@mcp-bridge/transports';
import { textOf } from './helpers/fixture-server.js';
import { startStreamableHttpServer } from './helpers/http-servers.js';

// Node's fetch adds an abort listener per request to the one signal an SDK 1.x transport gives every
// fetch, and drops it only when the request is garbage-collected: past 1500 of them, every request
// printed a MaxListenersExceededWarning (see quiet-signal-fetch.ts).

describe('a 2025 Streamable HTTP upstream under many calls', () => {
  let connection: Connection | undefined;
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await connection?.close();
    await close?.();
  });

  it('makes 2000 calls without a MaxListenersExceededWarning', async () => {
    const server = await startStreamableHttpServer();
    close = () => server.close();
    connection = await connect('legacy', { url: server.url, protocol: '2025-11-25' });
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => void (warning.name === 'MaxListenersExceededWarning' && warnings.push(warning.message));
    process.on('warning', onWarning);
    try {
      for (let i = 0; i < 2000; i++) {
        const result = await connection.client.request(
          { method: 'tools/call', params: { name: 'echo', arguments: { text: `${i}` } } },
          CallToolResultSchema,
        );
        if (i % 500 === 0) expect(textOf(result)).toBe(`${i}`);
      }
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).toEqual([]);
  }, 30_000);
});
