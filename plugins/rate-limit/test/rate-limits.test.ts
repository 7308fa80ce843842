import * as core from '@mcp-bridge/core';
import { BridgeError, createBridge, type Bridge, type BridgeEvents } from '@mcp-bridge/core';
import { describePluginConformance, inMemoryFaultServer } from '@mcp-bridge/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RateLimitedError, rateLimits, TokenBucket, type RateLimitOptions } from '../src/index.js';

describePluginConformance(() => rateLimits({ caller: { limit: 1_000 }, server: { limit: 1_000 }, tool: { limit: 1_000 } }), {
  core,
  vitest: { describe, it },
});

const open: Bridge[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((b) => b.close()));
  vi.useRealTimers();
});

async function start(options: RateLimitOptions) {
  const up = inMemoryFaultServer({ tools: { lookup: { readOnlyHint: true }, expensive: {} } });
  const other = inMemoryFaultServer({ name: 'other', tools: { other_lookup: {} } });
  const bridge = createBridge({ servers: { up, other }, plugins: [rateLimits(options)] });
  open.push(bridge);
  const refused: BridgeEvents['rate-limit:refused'][] = [];
  bridge.on('rate-limit:refused', (e) => refused.push(e));
  await bridge.start();
  return { bridge, ledger: up.ledger, refused };
}

const refusal = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (error: unknown) => error as RateLimitedError,
  );

describe('rateLimits (fake clock)', () => {
  beforeEach(() => {
    // Only Date: the bridge's own timers stay real, the buckets read the fake clock.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-01-01T00:00:00Z'));
  });
  const advance = (ms: number) => vi.setSystemTime(Date.now() + ms);

  it('per caller: each caller has its own bucket; refusals carry Retry-After and never reach the upstream', async () => {
    const { bridge, ledger, refused } = await start({ caller: { limit: 2, intervalMs: 1_000 } });
    await bridge.callTool('lookup', { key: 'a1' }, { caller: 'alice' });
    await bridge.callTool('lookup', { key: 'a2' }, { caller: 'alice' });
    const error = await refusal(bridge.callTool('lookup', { key: 'a3' }, { caller: 'alice' }));
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(error).toBeInstanceOf(BridgeError);
    expect(error!.code).toBe('RATE_LIMITED');
    expect(error!.message).toBe(
      '[mcp-bridge] [@mcp-bridge/plugin-rate-limit] rate limit of caller "alice" reached (2 per 1000 ms); retry after 1 s',
    );
    expect(error!.data).toEqual({ scope: 'caller', key: 'alice', limit: 2, intervalMs: 1_000, retryAfterMs: 500, retryAfter: 1 });
    expect(ledger.received('a3')).toBe(0);
    expect(refused).toMatchObject([{ scope: 'caller', key: 'alice', retryAfterMs: 500 }]);
    // Someone else is not affected; calls without a caller share "anonymous".
    await bridge.callTool('lookup', { key: 'b1' }, { caller: 'bob' });
    await bridge.callTool('lookup', { key: 'n1' });
    // Retry-After is honest: 499 ms later still refused (1 ms left), at 500 ms a token is back.
    advance(499);
    expect((await refusal(bridge.callTool('lookup', {}, { caller: 'alice' })))!.data).toMatchObject({ retryAfterMs: 1 });
    advance(1);
    await bridge.callTool('lookup', { key: 'a4' }, { caller: 'alice' });
    expect(ledger.executions('a4')).toBe(1);
    expect(bridge.rateLimits.remaining('caller', 'alice')).toBe(0);
  });

  it('per server: one bucket shared by every caller of that server', async () => {
    const { bridge } = await start({ server: { only: { up: { limit: 1, intervalMs: 60_000 } } } });
    await bridge.callTool('lookup', {}, { caller: 'alice' });
    const error = await refusal(bridge.callTool('expensive', {}, { caller: 'bob' }));
    expect(error!.data).toMatchObject({ scope: 'server', key: 'up', retryAfterMs: 60_000, retryAfter: 60 });
    // A server without a limit of its own (no default) is not limited.
    for (let i = 0; i < 5; i++) await bridge.callTool('other_lookup', {});
  });

  it('per tool: defaults and per-tool overrides by exposed name', async () => {
    const { bridge } = await start({ tool: { default: { limit: 100 }, only: { expensive: { limit: 1, intervalMs: 10_000 } } } });
    await bridge.callTool('expensive', {});
    expect((await refusal(bridge.callTool('expensive', {})))!.data).toMatchObject({
      scope: 'tool',
      key: 'expensive',
      retryAfterMs: 10_000,
    });
    for (let i = 0; i < 10; i++) await bridge.callTool('lookup', {});
    advance(10_000);
    await bridge.callTool('expensive', {});
  });

  it('a refused call spends no token; the longest wait is reported', async () => {
    const { bridge } = await start({
      caller: { limit: 3, intervalMs: 1_000 },
      tool: { only: { expensive: { limit: 1, intervalMs: 5_000 } } },
    });
    await bridge.callTool('expensive', {}, { caller: 'alice' });
    // Refused by the tool bucket: alice's own bucket keeps its 2 tokens.
    await refusal(bridge.callTool('expensive', {}, { caller: 'alice' }));
    await refusal(bridge.callTool('expensive', {}, { caller: 'alice' }));
    expect(bridge.rateLimits.remaining('caller', 'alice')).toBe(2);
    await bridge.callTool('lookup', {}, { caller: 'alice' });
    await bridge.callTool('lookup', {}, { caller: 'alice' });
    // Both empty now: the tool needs ~4 s more, alice's bucket ~333 ms: Retry-After is the longer.
    advance(1_000);
    const both = await refusal(bridge.callTool('expensive', {}, { caller: 'alice' }));
    expect(both!.data).toMatchObject({ scope: 'tool', retryAfterMs: 4_000 });
  });

  it('bursts up to `burst` after a quiet period, then the steady rate', async () => {
    const { bridge } = await start({ caller: { limit: 1, intervalMs: 1_000, burst: 3 } });
    for (let i = 0; i < 3; i++) await bridge.callTool('lookup', {});
    expect(await refusal(bridge.callTool('lookup', {}))).toBeInstanceOf(RateLimitedError);
    advance(1_000);
    await bridge.callTool('lookup', {});
    expect(await refusal(bridge.callTool('lookup', {}))).toBeInstanceOf(RateLimitedError);
    advance(10_000);
    for (let i = 0; i < 3; i++) await bridge.callTool('lookup', {});
    expect(await refusal(bridge.callTool('lookup', {}))).toBeInstanceOf(RateLimitedError);
  });

  it("the host's own list refreshes are never limited", async () => {
    const { bridge } = await start({ server: { limit: 1, intervalMs: 60_000 }, methods: ['tools/list', 'tools/call'] });
    // start() listed both servers, and this refresh lists them again: no token spent.
    await bridge.listTools({ refresh: true });
    expect(bridge.rateLimits.remaining('server', 'up')).toBe(1);
    await bridge.callTool('lookup', {});
    expect(await refusal(bridge.callTool('lookup', {}))).toBeInstanceOf(RateLimitedError);
  });

  it("health probes (origin probe) are never limited, nor spend a caller's tokens", async () => {
    const { bridge } = await start({ caller: { limit: 1, intervalMs: 60_000 }, server: { limit: 1, intervalMs: 60_000 } });
    const probe = { origin: 'probe', upstream: 'up' } as const;
    for (let i = 0; i < 3; i++) await bridge.request('up', 'tools/call', { name: 'lookup', arguments: {} }, probe);
    expect(bridge.rateLimits.remaining('server', 'up')).toBe(1);
    expect(bridge.rateLimits.remaining('caller', 'anonymous')).toBe(1);
  });
});

describe('TokenBucket', () => {
  it('refills continuously, caps at capacity, and survives a clock going backwards', () => {
    const b = new TokenBucket(10, 1_000, 10, 0);
    for (let i = 0; i < 10; i++) b.take(0);
    expect(b.waitMs(0)).toBe(100);
    expect(b.waitMs(50)).toBe(50);
    expect(b.remaining(1_000)).toBe(10);
    expect(b.remaining(100_000)).toBe(10);
    expect(b.full(100_000)).toBe(true);
    b.take(100_000);
    expect(b.waitMs(0)).toBe(0);
    expect(b.remaining(0)).toBe(9);
  });
});

describe('options', () => {
  it('bad options fail start() naming the plugin and the option', async () => {
    const bridge = createBridge({
      plugins: [rateLimits({ caller: { limit: 0 }, tool: { only: { x: { limit: 'many' as unknown as number } } } })],
    });
    open.push(bridge);
    await expect(bridge.start()).rejects.toMatchObject({
      code: 'PLUGIN_OPTIONS_INVALID',
      message: expect.stringMatching(/\[@mcp-bridge\/plugin-rate-limit\] invalid options: caller/),
    });
  });
});
