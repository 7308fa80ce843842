/**
 * Issue 13 item 2: a request's params are bounded (depth, size) where the call enters the bridge, so
 * hostile content is the caller's invalid request and never reaches a transport or an upstream.
 */
import { inMemoryTestServer, stdioTestServer } from '@mcp-bridge/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createBridge, failureOf, InvalidRequestError, type Bridge, type BridgeOptions } from '../src/index.js';

/** `{ a: { a: ... 1 } }`, `depth` objects deep, built without recursion. */
function nested(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = { a: 1 };
  for (let i = 1; i < depth; i++) value = { a: value };
  return value;
}

describe('request bounds at the door', () => {
  let bridge: Bridge | undefined;
  afterEach(async () => {
    await bridge?.close();
    bridge = undefined;
  });

  async function start(options: Partial<BridgeOptions> = {}): Promise<{ bridge: Bridge; calls: () => number }> {
    const server = inMemoryTestServer({ name: 'alpha' });
    bridge = createBridge({ servers: { alpha: server }, ...options });
    await bridge.start();
    return { bridge, calls: () => server.ledger.calls('echo') };
  }

  it('refuses arguments nested past maxDepth (default 64) before anything is sent, naming the limit and the path', async () => {
    const { bridge: b, calls } = await start();
    // params (1) → arguments (2) → payload (3) → 62 more levels: depth 65.
    const error = await b.callTool('echo', { text: 'deep', payload: nested(63) }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect((error as Error).message).toMatch(/nested deeper than the limit of 64 levels \(requestLimits\.maxDepth\)/);
    expect((error as Error).message).toContain('at params.arguments.payload.a.a.a… (depth 65)');
    expect(failureOf(error)).toMatchObject({ kind: 'invalid-request', sent: false });
    expect(calls()).toBe(0);
    // One level less passes.
    await expect(b.callTool('echo', { text: 'deep', payload: nested(62) })).resolves.toMatchObject({ content: [{ text: 'deep' }] });
    expect(calls()).toBe(1);
  });

  it('refuses 20,000-deep arguments without overflowing the stack', async () => {
    const { bridge: b, calls } = await start();
    await expect(b.callTool('echo', { text: 'deep', payload: nested(20_000) })).rejects.toThrow(/maxDepth/);
    expect(calls()).toBe(0);
  });

  it('refuses params larger than maxSize, and a BigInt, on any method', async () => {
    const { bridge: b, calls } = await start({ requestLimits: { maxSize: 10_000 } });
    await expect(b.callTool('echo', { text: 'x'.repeat(10_000) })).rejects.toThrow(/larger than the limit of 10000 characters/);
    await expect(b.callTool('echo', { text: 'big', payload: Array.from({ length: 5_000 }, () => 0) })).rejects.toThrow(
      /requestLimits\.maxSize/,
    );
    // Counted from below: params whose JSON fits are never refused.
    const fits = { text: 'fits', payload: Array.from({ length: 4_900 }, () => 0) };
    expect(JSON.stringify({ name: 'echo', arguments: fits }).length).toBeLessThan(10_000);
    await expect(b.callTool('echo', fits)).resolves.toMatchObject({ content: [{ text: 'fits' }] });
    await expect(b.callTool('echo', { text: 'ok', n: 10n })).rejects.toThrow(/BigInt/);
    await expect(b.readResource('test://alpha/readme', { meta: { pad: 'x'.repeat(20_000) } })).rejects.toThrow(/requestLimits\.maxSize/);
    expect(calls()).toBe(1);
    await expect(b.callTool('echo', { text: 'x'.repeat(9_000) })).resolves.toMatchObject({ content: [{ text: 'x'.repeat(9_000) }] });
  });

  it('ends on a cycle and on an object shared exponentially often', async () => {
    const { bridge: b } = await start();
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    await expect(b.callTool('echo', { text: 'cycle', payload: cyclic })).rejects.toThrow(/maxDepth/);
    // 2^60 paths through 60 objects: the size bound ends the walk.
    let shared: unknown = 'leaf';
    for (let i = 0; i < 60; i++) shared = [shared, shared];
    await expect(b.callTool('echo', { text: 'shared', payload: shared })).rejects.toThrow(/requestLimits\.maxSize/);
  });

  it('is configurable, and a bad limit is a config error naming the field', async () => {
    const { bridge: b } = await start({ requestLimits: { maxDepth: 200 } });
    await expect(b.callTool('echo', { text: 'deep', payload: nested(150) })).resolves.toMatchObject({ content: [{ text: 'deep' }] });
    expect(() => createBridge({ requestLimits: { maxDepth: 0 } })).toThrow(/requestLimits\.maxDepth/);
    expect(() => createBridge({ requestLimits: { maxDepht: 3 } as never })).toThrow(/requestLimits/);
  });

  it('behind a door opened wide, params a stdio transport cannot serialise are the caller’s, never the upstream’s failure', async () => {
    bridge = createBridge({ servers: { local: stdioTestServer({ name: 'local' }) }, requestLimits: { maxDepth: 1_000_000 } });
    await bridge.start();
    const hostile = [
      { text: 'deep', payload: nested(20_000) },
      {
        text: 'toJSON',
        payload: {
          toJSON() {
            throw new Error('no JSON for you');
          },
        },
      },
    ];
    for (const args of hostile) {
      const error = await bridge.callTool('echo', args).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(InvalidRequestError);
      expect((error as Error).message).toMatch(/cannot be serialised as JSON/);
      expect(failureOf(error)).toMatchObject({ kind: 'invalid-request', sent: false });
    }
    // Core's own passive health counted nothing: the upstream is healthy, its calls pass.
    const status = bridge.status().find((s) => s.name === 'local');
    expect(status?.state).toBe('ok');
    expect(status?.upstreams[0]?.health).toBe('healthy');
    await expect(bridge.callTool('echo', { text: 'after' })).resolves.toMatchObject({ content: [{ text: 'after' }] });
  });
});
