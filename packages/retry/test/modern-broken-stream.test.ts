import { afterEach, describe, expect, it } from 'vitest';
import { createBridge, type Bridge } from '@mcp-bridge/core';
import { retry } from '../src/index.js';
import { startModernHttpServer, type ModernHttpServer } from '../../transports/test/helpers/modern-http.js';
// @ts-expect-error -- a plain .mjs fixture; no types
import { ledger } from '../../transports/test/fixtures/modern-lib.mjs';

// A 2026-07-28 upstream whose response stream breaks after the call started: the request may have run.
// The retry rules decide: a read-only tool of a trusted server is re-issued; anything else fails clearly,
// never re-issued as a new execution (the ledger counts executions).

const executed = (tool: string): number => (ledger as string[]).filter((e) => e === `${tool} executed`).length;

describe('a broken modern response stream', () => {
  let http: ModernHttpServer | undefined;
  let bridge: Bridge | undefined;
  afterEach(async () => {
    await bridge?.close();
    await http?.close();
  });

  async function start(breaks: (name: string, nth: number) => boolean): Promise<Bridge> {
    const seen = new Map<string, number>();
    http = await startModernHttpServer({
      legacy: 'reject',
      breakStream: (body) => {
        const params = (body as { method?: string; params?: { name?: string } } | undefined)?.params;
        if ((body as { method?: string } | undefined)?.method !== 'tools/call' || params?.name === undefined) return false;
        const nth = (seen.get(params.name) ?? 0) + 1;
        seen.set(params.name, nth);
        return breaks(params.name, nth);
      },
    });
    bridge = createBridge({
      servers: { m: { url: http.url, protocol: '2026-07-28', trusted: true } },
      plugins: [retry({ attempts: 3, baseDelayMs: 1, maxDelayMs: 5, budget: false, breaker: false })],
      onError: () => undefined,
    });
    await bridge.start();
    return bridge;
  }

  it('a non-idempotent call is not re-issued: one execution, a clear error', async () => {
    const b = await start((name) => name === 'fragile_write');
    const before = executed('fragile_write');
    const error = await b.callTool('fragile_write', {}, { onprogress: () => undefined }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(Error);
    expect(error!.message).toMatch(/fragile_write/);
    expect(executed('fragile_write') - before).toBe(1);
  });

  it('a read-only call of a trusted server is re-issued and succeeds', async () => {
    const b = await start((name, nth) => name === 'fragile_read' && nth === 1);
    const before = executed('fragile_read');
    const result = await b.callTool('fragile_read', {}, { onprogress: () => undefined });
    expect((result.content[0] as { text: string }).text).toBe('fragile_read done');
    expect(executed('fragile_read') - before).toBe(2);
  });
});
