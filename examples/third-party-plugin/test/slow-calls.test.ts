import * as core from '@mcp-bridge/core';
import { createBridge, type Bridge, type BridgeEvents } from '@mcp-bridge/core';
import { describePluginConformance, inMemoryFaultServer } from '@mcp-bridge/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { slowCalls } from '../src/index.js';

// The suite every plugin runs: metadata, fresh hosts, no late next(), abort, close, errors.
describePluginConformance(() => slowCalls({ thresholdMs: 0, summaryEveryMs: 100 }), { core, vitest: { describe, it } });

const open: Bridge[] = [];
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(open.splice(0).map((b) => b.close()));
});

/** A bridge over a fault server whose `lookup` answers after `delayMs` on the calls the script says. */
async function bridgeWith(options: Parameters<typeof slowCalls>[0], script: ({ kind: 'delay'; ms: number } | 'ok' | 'error')[]) {
  const upstream = inMemoryFaultServer({ toolFaults: { lookup: { script } } });
  const bridge = createBridge({ servers: { up: upstream }, plugins: [slowCalls(options)] });
  open.push(bridge);
  const slow: BridgeEvents['slow-calls:slow'][] = [];
  bridge.on('slow-calls:slow', (call) => slow.push(call));
  await bridge.start();
  return { bridge, slow, upstream };
}

describe('slowCalls', () => {
  it('reports calls over the threshold, with the tool, the outcome and the attempts', async () => {
    const { bridge, slow } = await bridgeWith({ thresholdMs: 150 }, ['ok', { kind: 'delay', ms: 300 }, 'ok']);
    await bridge.callTool('lookup', { key: 'fast' }, { caller: 'alice' });
    await bridge.callTool('lookup', { key: 'slow' }, { caller: 'alice' });
    await bridge.callTool('lookup', { key: 'fast-again' });
    expect(slow).toHaveLength(1);
    expect(slow[0]).toMatchObject({ method: 'tools/call', server: 'up', tool: 'lookup', caller: 'alice', attempts: 1, outcome: 'ok' });
    // A wide margin: the host is shared and noisy.
    expect(slow[0]!.durationMs).toBeGreaterThanOrEqual(250);
    expect(bridge.slowCalls.stats()).toEqual({ calls: 3, slow: 1 });
    expect(bridge.slowCalls.recent().map((c) => c.id)).toEqual([slow[0]!.id]);
    bridge.slowCalls.reset();
    expect(bridge.slowCalls.stats()).toEqual({ calls: 0, slow: 0 });
  });

  it('with log: true, writes one stderr line per slow call (and none by default)', async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void lines.push(args.join(' ')));
    try {
      const quiet = await bridgeWith({ thresholdMs: 0 }, ['ok']);
      await quiet.bridge.callTool('lookup', { key: 'a' });
      expect(lines).toEqual([]);
      const loud = await bridgeWith({ thresholdMs: 0, log: true }, ['ok']);
      await loud.bridge.callTool('lookup', { key: 'b' });
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^\[mcp-bridge-plugin-example\] slow call: up\/lookup took \d+ ms \(threshold 0 ms, ok\)$/);
    } finally {
      spy.mockRestore();
    }
  });

  it('counts failed calls and lets their error through unchanged', async () => {
    const { bridge, slow } = await bridgeWith({ thresholdMs: 0 }, ['error']);
    const error = await bridge.callTool('lookup', { key: 'k' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as { name: string }).name).toBe('McpError');
    expect(slow.map((c) => c.outcome)).toEqual(['error']);
  });

  it('watches only the methods it is given', async () => {
    const { bridge, slow } = await bridgeWith({ thresholdMs: 0, methods: ['tools/list'] }, ['ok']);
    // The host's own listing at start went through the pipeline too (ctx.origin 'catalog').
    expect(slow.map((c) => c.method)).toEqual(['tools/list']);
    slow.splice(0);
    await bridge.callTool('lookup', { key: 'k' });
    expect(slow).toEqual([]);
    await bridge.listTools({ refresh: true });
    expect(slow.map((c) => c.method)).toEqual(['tools/list']);
  });

  it('keeps only the most recent `keep` slow calls', async () => {
    const { bridge } = await bridgeWith({ thresholdMs: 0, keep: 2 }, []);
    for (const key of ['a', 'b', 'c']) await bridge.callTool('lookup', { key });
    expect(bridge.slowCalls.recent()).toHaveLength(2);
    expect(bridge.slowCalls.stats().slow).toBe(3);
  });

  it('emits a summary every summaryEveryMs, and stops at close', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const { bridge } = await bridgeWith({ thresholdMs: 0, summaryEveryMs: 1_000 }, []);
    const summaries: BridgeEvents['slow-calls:summary'][] = [];
    bridge.on('slow-calls:summary', (s) => summaries.push(s));
    await bridge.callTool('lookup', { key: 'a' });
    await bridge.callTool('lookup', { key: 'b' });
    vi.advanceTimersByTime(1_000);
    vi.advanceTimersByTime(1_000);
    expect(summaries).toEqual([
      { calls: 2, slow: 2, windowMs: 1_000 },
      { calls: 0, slow: 0, windowMs: 1_000 },
    ]);
    expect(vi.getTimerCount()).toBe(1);
    await bridge.close();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('rejects bad options at start, naming the plugin and the option', async () => {
    const bridge = createBridge({ plugins: [slowCalls({ thresholdMs: -1, keep: 'ten' as unknown as number })] });
    open.push(bridge);
    await expect(bridge.start()).rejects.toMatchObject({
      code: 'PLUGIN_OPTIONS_INVALID',
      message: expect.stringMatching(
        /\[mcp-bridge-plugin-example\] invalid options: thresholdMs: .*>=0.*; keep: expected number, got string \("ten"\)/,
      ),
    });
  });
});
