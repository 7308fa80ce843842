import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import {
  UpstreamUnavailableError,
  type BridgeEvents,
  type CallContext,
  type PoolHost,
  type Upstream,
  type UpstreamStatus,
} from '@mcp-bridge/core';
import { createTestServer } from '@mcp-bridge/testing';
import { connect } from '@mcp-bridge/transports';
import {
  createSessionPool,
  DEFAULT_SETTINGS,
  poolOptionsSchema,
  resolvePoolOptions,
  restartDelay,
  type PoolOptions,
  type SessionPool,
} from '../src/index.js';

describe('restartDelay', () => {
  const s = DEFAULT_SETTINGS.restart;
  it('grows exponentially with equal jitter, is capped, and jumps to the crash-loop delay at the threshold', () => {
    expect(restartDelay(0, s, () => 0.5)).toBe(0);
    expect([1, 2, 3, 4].map((n) => restartDelay(n, s, () => 0))).toEqual([125, 250, 500, 1000]);
    expect([1, 2, 3, 4].map((n) => restartDelay(n, s, () => 0.999999))).toEqual([250, 500, 1000, 2000]);
    expect(restartDelay(4, { ...s, maxDelayMs: 600 }, () => 0)).toBe(300);
    expect(restartDelay(5, s, () => 0)).toBe(30_000);
    expect(restartDelay(9, { ...s, crashLoopDelayMs: 10, maxDelayMs: 1_000 }, () => 0)).toBe(1_000);
  });
});

/** A host over real in-memory connections whose connects can be made to fail and whose servers can be killed. */
function scriptedHost() {
  const state = { attempts: 0, failNext: 0, servers: [] as McpServer[], statuses: [] as UpstreamStatus[], times: [] as number[] };
  const host: PoolHost = {
    connect: (up, signal) => {
      state.attempts++;
      state.times.push(Date.now());
      if (state.failNext > 0) {
        state.failNext--;
        return Promise.reject(new UpstreamUnavailableError(`server "${up.server}" failed to connect: refused`));
      }
      return connect(
        up.server,
        { type: 'in-memory', server: () => state.servers[state.servers.push(createTestServer()) - 1]! },
        { signal },
      );
    },
    statusChanged: (_up, status) => void state.statuses.push(status),
  };
  return { host, state, kill: () => state.servers.at(-1)!.close() };
}

function upstream(): Upstream {
  return {
    id: 'svc',
    server: 'svc',
    config: { command: 'unused' },
    kind: 'in-memory',
    status: 'idle',
    health: 'healthy',
    lastError: undefined,
    inFlight: 0,
    capabilities: undefined,
    serverInfo: undefined,
  };
}

function ctx(up: Upstream): CallContext {
  return {
    id: 1,
    method: 'ping',
    server: up.server,
    params: {},
    tool: undefined,
    signal: undefined,
    deadline: Date.now() + 60_000,
    attemptTimeout: undefined,
    origin: 'caller',
    attempt: 1,
    upstream: up,
    tried: new Set(),
    onprogress: undefined,
    state: {},
    caller: undefined,
  };
}

describe('supervision state (fake timers)', () => {
  let pool: SessionPool | undefined;
  let events: { event: keyof BridgeEvents; payload: unknown }[];
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    events = [];
  });
  afterEach(async () => {
    await pool?.close();
    pool = undefined;
    vi.useRealTimers();
  });

  function make(host: PoolHost, options: PoolOptions = {}): SessionPool {
    pool = createSessionPool(host, resolvePoolOptions(poolOptionsSchema.parse({ random: () => 0, ...options })), {
      emit: (event, payload) => void events.push({ event, payload }),
      hasListeners: () => true,
    });
    return pool;
  }
  const named = (name: keyof BridgeEvents) => events.filter((e) => e.event === name).map((e) => e.payload as Record<string, unknown>);
  const ping = (p: SessionPool, up: Upstream) => p.run(up, ctx(up), (client) => client.ping());

  it('backs off after failed starts: calls fail fast until the wait is over, then the next call starts it', async () => {
    const { host, state } = scriptedHost();
    const p = make(host);
    const up = upstream();
    state.failNext = 2;
    await expect(ping(p, up)).rejects.toThrow(/refused/);
    expect(p.snapshot().svc).toMatchObject({ failures: 1, nextStartInMs: 125, crashLoop: false });
    const fast = await ping(p, up).catch((e: unknown) => e);
    expect(fast).toBeInstanceOf(UpstreamUnavailableError);
    expect((fast as Error).message).toMatch(/server "svc" is restarting after 1 failure: .*refused; next start in 125 ms/);
    expect(state.attempts).toBe(1);

    await vi.advanceTimersByTimeAsync(125);
    await expect(ping(p, up)).rejects.toThrow(/refused/);
    expect(p.snapshot().svc).toMatchObject({ failures: 2, nextStartInMs: 250 });
    await vi.advanceTimersByTimeAsync(250);
    await expect(ping(p, up)).resolves.toEqual({});
    expect(state.statuses).toEqual(['connecting', 'failed', 'connecting', 'failed', 'connecting', 'ready']);
    // A session that lives minUptimeMs clears the streak.
    await vi.advanceTimersByTimeAsync(DEFAULT_SETTINGS.restart.minUptimeMs);
    expect(p.snapshot().svc).toMatchObject({ failures: 0, nextStartInMs: 0 });
  });

  it('restarts a crashed session by itself, with growing waits, and declares a crash loop without respawning hot', async () => {
    const { host, state, kill } = scriptedHost();
    const p = make(host, { restart: { crashLoopThreshold: 4, crashLoopDelayMs: 60_000 } });
    const up = upstream();
    await p.warm(up);
    // Dies young four times in a row: restarts after 125, 250, 500 ms, then the crash loop.
    for (const wait of [125, 250, 500]) {
      await kill();
      await vi.advanceTimersByTimeAsync(0);
      expect(p.snapshot().svc?.sessions).toHaveLength(0);
      const before = state.attempts;
      await vi.advanceTimersByTimeAsync(wait - 1);
      expect(state.attempts).toBe(before);
      await vi.advanceTimersByTimeAsync(1);
      expect(state.attempts).toBe(before + 1);
      expect(p.snapshot().svc?.sessions.map((s) => s.state)).toEqual(['ready']);
    }
    expect(named('pool:restart').map((r) => r.delayMs)).toEqual([125, 250, 500]);
    await kill();
    await vi.advanceTimersByTimeAsync(0);
    expect(named('pool:crash-loop')).toEqual([expect.objectContaining({ server: 'svc', failures: 4, delayMs: 60_000 })]);
    expect(state.statuses.at(-1)).toBe('failed');
    const attempts = state.attempts;
    // A lazy upstream in a crash loop is not restarted in the background at all ...
    await vi.advanceTimersByTimeAsync(120_000);
    expect(state.attempts).toBe(attempts);
    expect(p.snapshot().svc).toMatchObject({ crashLoop: true, restarts: 3 });
    // ... and the next call after the delay starts it again.
    await expect(ping(p, up)).resolves.toEqual({});
    expect(state.attempts).toBe(attempts + 1);
  });

  it('keeps minSessions up through a crash loop, at the crash-loop pace', async () => {
    const { host, state, kill } = scriptedHost();
    const p = make(host, { minSessions: 1, restart: { crashLoopThreshold: 2, crashLoopDelayMs: 10_000 } });
    const up = upstream();
    await p.warm(up);
    await kill();
    await vi.advanceTimersByTimeAsync(125);
    expect(state.attempts).toBe(2);
    await kill();
    await vi.advanceTimersByTimeAsync(9_999);
    expect(state.attempts).toBe(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(state.attempts).toBe(3);
    expect(p.snapshot().svc?.sessions.map((s) => s.state)).toEqual(['ready']);
  });

  it('restarts at once after a crash that follows a stable run', async () => {
    const { host, state, kill } = scriptedHost();
    const p = make(host);
    const up = upstream();
    await p.warm(up);
    await vi.advanceTimersByTimeAsync(DEFAULT_SETTINGS.restart.minUptimeMs + 1);
    await kill();
    await vi.advanceTimersByTimeAsync(0);
    expect(state.attempts).toBe(2);
    expect(p.snapshot().svc).toMatchObject({ failures: 0, restarts: 1 });
    expect(named('pool:exit')).toEqual([expect.objectContaining({ reason: 'crash' })]);
  });

  it('closes an idle session after idleTimeoutMs, never below minSessions', async () => {
    const { host, state } = scriptedHost();
    const p = make(host, { minSessions: 1, maxSessions: 2, idleTimeoutMs: 1_000 });
    const up = upstream();
    await p.warm(up);
    // Two calls at once: the second finds the session busy and a second session is opened for later calls.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const held = p.run(up, ctx(up), async (client) => {
      await gate;
      return client.ping();
    });
    await ping(p, up);
    await vi.advanceTimersByTimeAsync(0);
    expect(p.snapshot().svc?.sessions).toHaveLength(2);
    release();
    await held;
    await vi.advanceTimersByTimeAsync(2_100);
    expect(p.snapshot().svc?.sessions).toHaveLength(1);
    expect(named('pool:exit').map((e) => e.reason)).toEqual(['idle']);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(p.snapshot().svc?.sessions).toHaveLength(1);
    expect(state.attempts).toBe(2);
  });
});
