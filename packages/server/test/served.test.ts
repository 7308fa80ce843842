import { createBridge, type ServedRequest } from '@mcp-bridge/core';
import { inMemoryTestServer } from '@mcp-bridge/testing';
import { LATEST_PROTOCOL_VERSION, ResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { serveHttp, serveStdio } from '../src/index.js';
import { httpClient, testClient, type TestClient } from './support/clients.js';
import { streamPair } from './support/streams.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

describe('request:served: a gateway reports every request it answers', () => {
  for (const kind of ['pipe', 'tcp'] as const) {
    it(`over ${kind === 'pipe' ? 'stdio' : 'Streamable HTTP'}: the ones it answers itself too, with the bridge's verdict`, async () => {
      const bridge = createBridge({
        servers: { fixture: inMemoryTestServer({ name: 'fixture' }) },
        requestTimeout: 300,
        onError: () => undefined,
      });
      cleanups.push(() => bridge.close());
      const served: ServedRequest[] = [];
      bridge.on('request:served', (r) => void served.push(r));
      await bridge.start();
      const c = await connect(bridge, kind);

      await c.client.ping();
      await c.client.listTools();
      await c.client.callTool({ name: 'echo', arguments: { text: 'hi' } });
      expect((await c.client.callTool({ name: 'fail', arguments: { mode: 'isError' } })).isError).toBe(true);
      await expect(c.client.callTool({ name: 'fail', arguments: { mode: 'throw', code: -32002 } })).rejects.toThrow(/-32002/);
      // Cut short by the bridge's deadline: whatever the answer's form, the verdict is the error type.
      await c.client.callTool({ name: 'slow', arguments: { ms: 3000 } }).catch(() => undefined);
      await expect(c.client.request({ method: 'no/such-method', params: {} }, ResultSchema)).rejects.toThrow();

      expect(served.map((r) => [r.method, r.errorType, r.server ?? '', r.tool ?? ''])).toEqual([
        ['initialize', '', '', ''],
        ['ping', '', '', ''],
        ['tools/list', '', '', ''],
        ['tools/call', '', 'fixture', 'echo'],
        ['tools/call', 'tool_error', 'fixture', 'fail'],
        // Failed in the bridge (the upstream's JSON-RPC error): the bridge's verdict names it.
        ['tools/call', '-32002', 'fixture', 'fail'],
        ['tools/call', 'timeout', 'fixture', 'slow'],
        // The SDK server's own error answer: its JSON-RPC code.
        ['no/such-method', '-32601', '', ''],
      ]);
      for (const r of served) {
        expect(r.transport).toBe(kind);
        expect(r.protocolVersion).toBe(LATEST_PROTOCOL_VERSION);
        expect(r.caller).not.toBe('');
        expect(r.durationMs).toBeGreaterThanOrEqual(0);
      }
    });
  }
});

async function connect(bridge: Parameters<typeof serveHttp>[0], kind: 'pipe' | 'tcp'): Promise<TestClient> {
  if (kind === 'tcp') {
    const gateway = await serveHttp(bridge, { onError: () => undefined });
    cleanups.push(() => gateway.close());
    const c = await httpClient('served-http', gateway.url);
    cleanups.push(() => c.close());
    return c;
  }
  const { transport, stdin, stdout } = streamPair();
  const gateway = await serveStdio(bridge, { stdin, stdout, onError: () => undefined });
  cleanups.push(() => gateway.close());
  const c = await testClient('served-stdio', transport);
  cleanups.push(() => c.close());
  return c;
}
