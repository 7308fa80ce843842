import { describe, expect, it } from 'vitest';
import type { CallContext, PoolHost, Upstream } from '@mcp-bridge/core';
import { connect } from '@mcp-bridge/transports';
import { createSessionPool, poolOptionsSchema, resolvePoolOptions } from '../src/index.js';
import { childProcessesOf, processesWith } from '@mcp-bridge/testing';
import { killAll, tinyServer, uniqueMarker } from './helpers.js';

const CYCLES = 1_000;
const CONCURRENCY = 8;

function upstream(id: string, config: ReturnType<typeof tinyServer>): Upstream {
  return {
    id,
    server: id,
    config,
    kind: 'stdio',
    status: 'idle',
    health: 'healthy',
    lastError: undefined,
    inFlight: 0,
    capabilities: undefined,
    serverInfo: undefined,
  };
}

function context(up: Upstream): CallContext {
  return {
    id: 1,
    method: 'ping',
    server: up.server,
    params: {},
    tool: undefined,
    signal: undefined,
    deadline: Date.now() + 20_000,
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

describe('process hygiene', () => {
  it(`${CYCLES} spawn/close cycles leave the process count flat and no orphans`, async () => {
    const marker = uniqueMarker('cycles');
    const host: PoolHost = {
      connect: (up, signal) => connect(up.server, up.config, { signal, timeoutMs: 20_000 }),
      statusChanged: () => undefined,
    };
    const pool = createSessionPool(host, resolvePoolOptions(poolOptionsSchema.parse({})), {
      emit: () => undefined,
      hasListeners: () => false,
    });
    const childrenBefore = childProcessesOf().length;
    const handlesBefore = process.getActiveResourcesInfo().filter((r) => r === 'ProcessWrap').length;
    let peak = 0;
    let next = 0;
    const started = Date.now();
    try {
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < CYCLES) {
            const n = next++;
            const up = upstream(`tiny-${n}`, tinyServer(marker));
            await pool.warm(up);
            await pool.run(up, context(up), (client) => client.ping());
            // Scanning /proc costs a few ms: sample the process count now and then.
            if (n % 50 === 0) peak = Math.max(peak, childProcessesOf().length - childrenBefore);
            await pool.release(up);
          }
        }),
      );
    } finally {
      await pool.close();
      killAll(processesWith(marker));
    }
    const seconds = (Date.now() - started) / 1000;
    console.log(`${CYCLES} cycles in ${seconds.toFixed(1)} s (concurrency ${CONCURRENCY}, peak ${peak} children)`);
    // One server per concurrent cycle, plus the transports' reaper (one /bin/sh while any stdio child runs).
    expect(peak).toBeLessThanOrEqual(CONCURRENCY + 1);
    expect(processesWith(marker)).toEqual([]);
    expect(childProcessesOf().length).toBe(childrenBefore);
    expect(process.getActiveResourcesInfo().filter((r) => r === 'ProcessWrap').length).toBe(handlesBefore);
  }, 150_000);
});
