import { afterEach, describe, expect, it } from 'vitest';
import {
  createBridge,
  UpstreamUnavailableError,
  type Bridge,
  type BridgeEvents,
  type BridgeOptions,
  type CallToolOptions,
} from '@mcp-bridge/core';
import type { Connection } from '@mcp-bridge/transports';
import { eventually, processesWith, stdioFaultServer } from '@mcp-bridge/testing';
import { pool, type PoolOptions } from '../src/index.js';
import { killAll, text, tinyServer, uniqueMarker, wrappedServer } from './helpers.js';

const open: Bridge[] = [];
const markers: string[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((b) => b.close()));
  for (const m of markers.splice(0)) killAll(processesWith(m));
});

async function started(servers: BridgeOptions['servers'], options: PoolOptions = {}): Promise<Bridge> {
  const bridge = createBridge({ servers, plugins: [pool(options)] });
  open.push(bridge);
  await bridge.start();
  return bridge;
}

function marker(name: string): string {
  const m = uniqueMarker(name);
  markers.push(m);
  return m;
}

function call(bridge: Bridge, server: string, tool: string, args: Record<string, unknown>, options: CallToolOptions = {}) {
  return bridge.callTool(tool, args, { ...options, server });
}

function record<E extends keyof BridgeEvents>(bridge: Bridge, event: E): BridgeEvents[E][] {
  const seen: BridgeEvents[E][] = [];
  bridge.on(event, (e) => seen.push(e));
  return seen;
}

describe('sessions of a stdio upstream', () => {
  it('warms minSessions at start and spreads concurrent calls over up to maxSessions processes', async () => {
    const m = marker('spread');
    const bridge = await started({ tiny: tinyServer(m) }, { minSessions: 2, maxSessions: 3 });
    expect(await eventually(() => bridge.pool().tiny?.sessions.filter((s) => s.state === 'ready').length === 2)).toBe(true);
    expect(processesWith(m)).toHaveLength(2);

    // Three slow calls at once: the third finds both sessions busy and a third one is opened for later calls.
    const slow = await Promise.all([0, 1, 2].map(() => call(bridge, 'tiny', 'slow', { ms: 300 })));
    expect(slow.map(text)).toEqual(['slept 300', 'slept 300', 'slept 300']);
    expect(await eventually(() => processesWith(m).length === 3)).toBe(true);
    const pids = new Set<string>();
    await Promise.all(
      [0, 1, 2].map(async () => {
        const [, pid] = await Promise.all([call(bridge, 'tiny', 'slow', { ms: 200 }), call(bridge, 'tiny', 'pid', {})]);
        pids.add(text(pid));
      }),
    );
    expect(pids.size).toBeGreaterThanOrEqual(2);
    expect(processesWith(m).length).toBeLessThanOrEqual(3);
  });

  it('closes idle sessions down to minSessions and respawns on the next call', async () => {
    const m = marker('idle');
    const bridge = await started({ tiny: tinyServer(m) }, { idleTimeoutMs: 150 });
    const exits = record(bridge, 'pool:exit');
    const first = text(await call(bridge, 'tiny', 'pid', {}));
    expect(await eventually(() => processesWith(m).length === 0, 5_000)).toBe(true);
    expect(exits.map((e) => e.reason)).toContain('idle');
    expect(bridge.upstreams('tiny')[0]?.status).toBe('idle');
    const second = text(await call(bridge, 'tiny', 'pid', {}));
    expect(second).not.toBe(first);
    expect(bridge.upstreams('tiny')[0]?.health).toBe('healthy');
  });

  it('recycles a session past maxLifetimeMs without cutting the call in flight', async () => {
    const m = marker('lifetime');
    const bridge = await started({ tiny: tinyServer(m) }, { maxLifetimeMs: 400 });
    const exits = record(bridge, 'pool:exit');
    const before = text(await call(bridge, 'tiny', 'pid', {}));
    // Runs across the session's end of life: the session drains, the call completes.
    const long = call(bridge, 'tiny', 'slow', { ms: 900 });
    expect(text(await long)).toBe('slept 900');
    expect(await eventually(() => exits.some((e) => e.reason === 'lifetime'))).toBe(true);
    const after = text(await call(bridge, 'tiny', 'pid', {}));
    expect(after).not.toBe(before);
    expect(await eventually(() => !processesWith(m).includes(Number(before)))).toBe(true);
  });
});

describe('lifecycle', () => {
  it('with minSessions, opens the replacement before a recycled session closes', async () => {
    const m = marker('replace');
    const bridge = await started({ tiny: tinyServer(m) }, { minSessions: 1, maxLifetimeMs: 300 });
    const spawns = record(bridge, 'pool:spawn');
    const atExit: string[][] = [];
    bridge.on('pool:exit', (e) => {
      if (e.reason === 'lifetime') atExit.push(bridge.pool().tiny!.sessions.map((s) => s.state));
    });
    expect(await eventually(() => spawns.some((s) => s.reason === 'replace'), 5_000)).toBe(true);
    // When the old session ended, its replacement was already on its way.
    expect(atExit[0]).toEqual(['connecting']);
    // Never without a session: calls keep working through the recycling.
    for (let i = 0; i < 5; i++) expect(text(await call(bridge, 'tiny', 'echo', { text: String(i) }))).toBe(String(i));
    expect(bridge.upstreams('tiny')[0]?.status).toBe('ready');
  });

  it('removing a server fails its queued calls and ends its process', async () => {
    const m = marker('remove');
    const bridge = await started({ tiny: tinyServer(m), other: tinyServer(marker('other')) }, { maxConcurrent: 1, maxPending: 4 });
    const running = call(bridge, 'tiny', 'slow', { ms: 5_000 }).catch((e: unknown) => e);
    await eventually(() => bridge.pool().tiny?.running === 1);
    const queued = [0, 1].map(() => call(bridge, 'tiny', 'echo', { text: 'q' }).catch((e: unknown) => e));
    expect(bridge.pool().tiny?.pending).toBe(2);
    await bridge.removeServer('tiny');
    for (const error of await Promise.all(queued)) {
      expect(error).toBeInstanceOf(UpstreamUnavailableError);
      expect((error as Error).message).toMatch(/server "tiny" was removed/);
    }
    expect(await running).toBeInstanceOf(Error);
    expect(processesWith(m)).toEqual([]);
    expect(bridge.pool().tiny).toBeUndefined();
  });
});

describe('supervision', () => {
  it('fails calls in flight on a dying process at once, not after their timeout, and restarts it', async () => {
    const m = marker('crash');
    const bridge = await started({ tiny: tinyServer(m) }, { restart: { initialDelayMs: 50 } });
    const spawns = record(bridge, 'pool:spawn');
    const firstPid = Number(text(await call(bridge, 'tiny', 'pid', {})));
    const t0 = Date.now();
    const inFlight = [0, 1, 2].map(() => call(bridge, 'tiny', 'slow', { ms: 20_000 }, { timeout: 30_000 }).catch((e: unknown) => e));
    await new Promise((r) => setTimeout(r, 100));
    process.kill(firstPid, 'SIGKILL');
    const errors = await Promise.all(inFlight);
    expect(Date.now() - t0).toBeLessThan(5_000);
    for (const error of errors) {
      expect(error).toBeInstanceOf(UpstreamUnavailableError);
      expect((error as Error).message).toMatch(/process \d+ exited.*while the call was in flight/);
    }
    // Supervised: a new process comes up without waiting for a call.
    expect(await eventually(() => spawns.some((s) => s.reason === 'restart'), 5_000)).toBe(true);
    const pid = Number(text(await call(bridge, 'tiny', 'pid', {})));
    expect(pid).not.toBe(firstPid);
    expect(bridge.pool().tiny?.restarts).toBe(1);
  });

  it('stops respawning hot in a crash loop and reports the upstream unhealthy', async () => {
    const m = marker('loop');
    const bridge = createBridge({
      servers: { good: tinyServer(marker('good')), loop: tinyServer(m, '--exit-after-init=0') },
      plugins: [pool({ restart: { initialDelayMs: 20, maxDelayMs: 100, crashLoopThreshold: 4, crashLoopDelayMs: 60_000 } })],
    });
    open.push(bridge);
    const loops = record(bridge, 'pool:crash-loop');
    const spawns = record(bridge, 'pool:spawn');
    await bridge.start();
    expect(await eventually(() => loops.length === 1, 10_000)).toBe(true);
    expect(loops[0]).toMatchObject({ server: 'loop', failures: 4, delayMs: 60_000 });
    const loopSpawns = spawns.filter((s) => s.server === 'loop').length;
    await new Promise((r) => setTimeout(r, 500));
    // No more starts during the crash-loop delay, and calls fail at once.
    expect(spawns.filter((s) => s.server === 'loop').length).toBe(loopSpawns);
    expect(processesWith(m)).toEqual([]);
    const t0 = performance.now();
    const error = await call(bridge, 'loop', 'echo', { text: 'x' }).catch((e: unknown) => e);
    expect(performance.now() - t0).toBeLessThan(200);
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect((error as Error).message).toMatch(/crash loop \(4 failed starts in a row\).*next start in \d+ ms/);
    expect(bridge.upstreams('loop')[0]).toMatchObject({ health: 'unhealthy', status: 'failed' });
    expect(bridge.pool().loop).toMatchObject({ crashLoop: true, failures: 4 });
    expect(text(await call(bridge, 'good', 'echo', { text: 'fine' }))).toBe('fine');
  });
});

describe('no orphans', () => {
  it('ends an npx-style wrapper and its grandchild server on close, even when both ignore SIGTERM', async () => {
    const m = marker('wrapped');
    const bridge = await started({ wrapped: { ...wrappedServer(m, '--ignore-sigterm'), shutdownGraceMs: 200 } });
    expect(text(await call(bridge, 'wrapped', 'echo', { text: 'hi' }))).toBe('hi');
    expect(processesWith(m)).toHaveLength(2);
    await bridge.close();
    expect(processesWith(m)).toEqual([]);
  });

  it('leaves no grandchild when the wrapper dies', async () => {
    const m = marker('wrapper-dies');
    const bridge = await started(
      { wrapped: { ...wrappedServer(m), shutdownGraceMs: 200 } },
      { restart: { initialDelayMs: 60_000, maxDelayMs: 60_000 } },
    );
    const wrapperPid = bridge.connection(bridge.upstreams('wrapped')[0]!)!.pid!;
    const serverPid = Number(text(await call(bridge, 'wrapped', 'pid', {})));
    process.kill(wrapperPid, 'SIGKILL');
    expect(await eventually(() => processesWith(m).length === 0, 5_000)).toBe(true);
    expect(processesWith(m)).not.toContain(serverPid);
  });

  it('completes every call of a server flooding stderr with 1 MiB per call', async () => {
    const m = marker('flood');
    const bridge = createBridge({ servers: { flood: tinyServer(m) }, plugins: [pool({ maxSessions: 2 })] });
    open.push(bridge);
    const conns: Connection[] = [];
    bridge.on('connect:after', (e) => conns.push(e.connection));
    await bridge.start();
    const results = await Promise.all(Array.from({ length: 12 }, () => call(bridge, 'flood', 'flood', { bytes: 1 << 20 })));
    expect(results.map(text)).toEqual(Array(12).fill('flooded'));
    // stderr is drained into a bounded ring (64 KiB), whatever the flood.
    expect(await eventually(() => conns.every((c) => (c.stderrTail?.().length ?? 0) === 64 * 1024) && conns.length > 0)).toBe(true);
    const tail = conns[0]!.stderrTail!();
    expect(tail.length).toBeLessThanOrEqual(64 * 1024);
  });

  it('completes every call of the fault server flooding stderr with 1 MiB per call', async () => {
    const bridge = await started({
      noisy: stdioFaultServer({ name: 'noisy', stderrFlood: { atStartBytes: 1 << 20, perCallBytes: 1 << 20 } }),
    });
    const results = await Promise.all(Array.from({ length: 16 }, (_, i) => call(bridge, 'noisy', 'lookup', { key: `k${i}` })));
    expect(results.map((r) => JSON.parse(text(r)).key)).toEqual(Array.from({ length: 16 }, (_, i) => `k${i}`));
    expect(bridge.pool().noisy).toMatchObject({ restarts: 0, failures: 0 });
    const conn = bridge.connection(bridge.upstreams('noisy')[0]!)!;
    expect(await eventually(() => conn.stderrTail!().length === 64 * 1024)).toBe(true);
  });
});
