import { describe, expect, it } from 'vitest';
import { createBridge, PluginError } from '@mcp-bridge/core';
import { inMemoryTestServer } from '@mcp-bridge/testing';
import { DEFAULT_SETTINGS, pool, poolOptionsSchema, resolvePoolOptions, type PoolOptions } from '../src/index.js';

async function startError(options: unknown): Promise<PluginError> {
  const bridge = createBridge({ servers: { a: inMemoryTestServer() }, plugins: [pool(options as PoolOptions)] });
  const error = await bridge.start().then(
    () => undefined,
    (e: unknown) => e,
  );
  await bridge.close();
  expect(error).toBeInstanceOf(PluginError);
  return error as PluginError;
}

describe('options', () => {
  it('fails start() naming the plugin, the option path and what was expected', async () => {
    expect((await startError({ maxSessions: 'many' })).message).toBe(
      '[mcp-bridge] [@mcp-bridge/pool] invalid options: maxSessions: expected number, got string ("many")',
    );
    expect((await startError({ servers: { a: { maxPending: -1 } } })).message).toMatch(/servers\.a\.maxPending: Too small/);
    expect((await startError({ idle: 5 })).message).toMatch(/\(options\): unknown option "idle"/);
    expect((await startError({ servers: { a: { minSessions: 3 } } })).message).toMatch(
      /servers\.a\.minSessions: minSessions \(3\) is larger than maxSessions \(1\)/,
    );
    expect((await startError({ restart: { initialDelayMs: 5_000, maxDelayMs: 100 } })).message).toMatch(
      /restart\.maxDelayMs: must not be smaller/,
    );
    expect((await startError({ random: 0.5 })).code).toBe('PLUGIN_OPTIONS_INVALID');
  });

  it('merges per-server and per-upstream overrides over the defaults', () => {
    const resolved = resolvePoolOptions(
      poolOptionsSchema.parse({
        maxConcurrent: 8,
        restart: { initialDelayMs: 10 },
        servers: { s: { maxSessions: 3, restart: { maxDelayMs: 99 } }, 's#2': { maxSessions: 5 } },
      }),
    );
    expect(resolved.settingsFor({ id: 'other', server: 'other' })).toEqual({
      ...DEFAULT_SETTINGS,
      maxConcurrent: 8,
      restart: { ...DEFAULT_SETTINGS.restart, initialDelayMs: 10 },
    });
    expect(resolved.settingsFor({ id: 's#1', server: 's' })).toMatchObject({
      maxConcurrent: 8,
      maxSessions: 3,
      restart: { initialDelayMs: 10, maxDelayMs: 99 },
    });
    expect(resolved.settingsFor({ id: 's#2', server: 's' })).toMatchObject({ maxSessions: 5, restart: { maxDelayMs: 99 } });
  });

  it('provides the pool service and a snapshot on the bridge', async () => {
    const bridge = createBridge({ servers: { a: inMemoryTestServer() }, plugins: [pool()] });
    // Exposed during setup, that is by start().
    expect(bridge.pool).toBeUndefined();
    await bridge.start();
    expect(bridge.pool().a).toMatchObject({
      server: 'a',
      upstream: 'a',
      kind: 'in-memory',
      running: 0,
      pending: 0,
      restarts: 0,
      sessions: [{ state: 'ready', inFlight: 0 }],
    });
    await bridge.close();
    expect(bridge.pool()).toEqual({});
  });
});
