/**
 * Issues 12 (defect 1) and 13 (item 2): a hostile client sends arguments nested 20,000 deep. Core
 * bounds a request's depth at the door (`requestLimits.maxDepth`, default 64); behind it, a transport
 * that cannot serialise a request is the caller's failure too. Either way: `invalid-request`, JSON-RPC
 * -32602, never counted against the upstream: the breaker and health stay untouched, another client's
 * calls all pass. Real parts: a stdio upstream (child process) or an HTTP one, the HTTP gateway on
 * 127.0.0.1, raw HTTP for the hostile client (the SDK client itself could not serialise such a request).
 */
import { createBridge, type Bridge, type BridgeOptions } from '@mcp-bridge/core';
import { health } from '@mcp-bridge/health';
import { retry } from '@mcp-bridge/retry';
import { serveHttp, type HttpGateway } from '@mcp-bridge/server';
import { startHttpTestServer, stdioTestServer, type HttpTestServer } from '@mcp-bridge/testing';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterEach, describe, expect, it } from 'vitest';
import { openSession, percentile, rpc } from './raw-session.js';

/** A JSON text nested `depth` objects deep, built as text: JSON.stringify itself overflows on it. */
function deepJson(depth: number): string {
  return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

const ATTACKS = 20;
const VICTIM_CALLS = 100;

describe('20,000-deep arguments from a hostile client', () => {
  let bridge: Bridge | undefined;
  let gateway: HttpGateway | undefined;
  let upstream: HttpTestServer | undefined;
  afterEach(async () => {
    await gateway?.close();
    await bridge?.close();
    await upstream?.close();
    gateway = bridge = upstream = undefined;
  });

  /** Runs the attack, then the victim's calls; checks the upstream counted nothing. */
  async function attackThenVictim(servers: BridgeOptions['servers'], extra: Partial<BridgeOptions>, expected: RegExp): Promise<void> {
    bridge = createBridge({
      servers,
      plugins: [retry({ breaker: { minVolume: 2, consecutiveFailures: 2 } }), health()],
      onError: () => undefined,
      ...extra,
    });
    gateway = await serveHttp(bridge, { onError: () => undefined });

    const victim = new Client({ name: 'victim', version: '1' });
    await victim.connect(new StreamableHTTPClientTransport(new URL(gateway.url)));
    expect(await victim.callTool({ name: 'echo', arguments: { text: 'before' } })).toMatchObject({ content: [{ text: 'before' }] });

    const session = await openSession(gateway.url);
    for (let i = 0; i < ATTACKS; i++) {
      const body = `{"jsonrpc":"2.0","id":${10 + i},"method":"tools/call","params":{"name":"echo","arguments":{"text":${deepJson(20_000)}}}}`;
      const answer = await rpc(gateway.url, session, body);
      expect(answer.error?.code).toBe(-32602);
      expect(answer.error?.message).toMatch(expected);
    }

    // Nothing was counted against the upstream.
    const breaker = bridge.retry.breaker('tools');
    expect(breaker?.state).toBe('closed');
    expect(breaker?.window.failures ?? 0).toBe(0);
    const up = bridge.health().servers.tools!.upstreams[0]!;
    expect(up.state).toBe('healthy');
    expect(up.consecutiveFailures).toBe(0);
    expect(bridge.status().find((s) => s.name === 'tools')?.state).not.toMatch(/unhealthy|failed/);

    // Every one of the victim's calls passes.
    const latencies: number[] = [];
    let ok = 0;
    for (let i = 0; i < VICTIM_CALLS; i++) {
      const started = performance.now();
      const result = await victim.callTool({ name: 'echo', arguments: { text: `after ${i}` } });
      latencies.push(performance.now() - started);
      if ((result.content as { text?: string }[])[0]?.text === `after ${i}`) ok++;
    }
    console.log(`victim after ${ATTACKS} attacks: ${ok}/${VICTIM_CALLS} ok, p99 ${percentile(latencies, 99).toFixed(1)} ms`);
    expect(ok).toBe(VICTIM_CALLS);
    expect(bridge.retry.breaker('tools')?.state).toBe('closed');
    await victim.close();
  }

  it('are refused at the door (requestLimits.maxDepth, default 64): -32602 naming the limit and the path', async () => {
    await attackThenVictim(
      { tools: stdioTestServer({ name: 'tools' }) },
      {},
      /nested deeper than the limit of 64 levels \(requestLimits\.maxDepth\), at params\.arguments\.text\.a\.a\.a… \(depth 65\)/,
    );
  });

  it('past a door opened wide, a stdio transport that cannot serialise them is still the caller’s failure', async () => {
    await attackThenVictim(
      { tools: stdioTestServer({ name: 'tools' }) },
      { requestLimits: { maxDepth: 1_000_000 } },
      /cannot be serialised/,
    );
  });

  it('past a door opened wide, a Streamable HTTP transport that cannot serialise them is still the caller’s failure', async () => {
    upstream = await startHttpTestServer({ name: 'tools' });
    await attackThenVictim({ tools: { url: upstream.url } }, { requestLimits: { maxDepth: 1_000_000 } }, /cannot be serialised/);
  });
});
