import { describe, expect, it } from 'vitest';
import { createBridge } from '../src/index.js';
import { inMemoryTestServer } from '@mcp-bridge/testing';

describe('replicas', () => {
  it('expands replicas: N into N upstreams behind one name whose tools appear once', async () => {
    const bridge = createBridge({ servers: { t: { ...inMemoryTestServer(), replicas: 3 } } });
    await bridge.start();
    try {
      expect(bridge.upstreams('t').map((u) => u.id)).toEqual(['t#1', 't#2', 't#3']);
      const { tools } = await bridge.listTools();
      expect(tools.filter((t) => t.name === 'echo')).toHaveLength(1);
      const result = await bridge.callTool('echo', { text: 'hi' });
      expect(result.isError).toBeFalsy();
    } finally {
      await bridge.close();
    }
  });

  it('merges each listed target over the entry and reports bad targets by path', async () => {
    const bridge = createBridge({
      servers: {
        web: { headers: { 'x-a': '1' }, replicas: ['http://127.0.0.1:1/mcp', { url: 'http://127.0.0.1:2/mcp' }] },
        // @ts-expect-error -- a bad target on purpose: typed servers reject it, start() must still report it
        bad: { replicas: [{ url: 'ftp://x' }, 3] },
        zero: { command: 'node', replicas: 0 },
      },
    });
    expect(
      bridge.upstreams('web').map((u) => [u.id, (u.config as { url: string }).url, (u.config as { headers: unknown }).headers]),
    ).toEqual([
      ['web#1', 'http://127.0.0.1:1/mcp', { 'x-a': '1' }],
      ['web#2', 'http://127.0.0.1:2/mcp', { 'x-a': '1' }],
    ]);
    const status = bridge.status();
    const bad = status.find((s) => s.name === 'bad');
    expect(JSON.stringify(bad)).toContain('replicas[1]: expected a URL or an object, got number');
    const zero = status.find((s) => s.name === 'zero');
    expect(JSON.stringify(zero)).toContain('replicas: expected an integer from 1 to 64');
    await bridge.close();
  });
});
