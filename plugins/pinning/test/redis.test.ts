import KeyvRedis from '@keyv/redis';
import { Keyv } from 'keyv';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeyvPinStore, pinning } from '../src/index.js';
import { Scratch, tool, toolsChanged } from './helpers.js';

const REDIS = 'redis://127.0.0.1:6379';

let s: Scratch;
let prefix: string;
let keyv: Keyv;
beforeEach(async () => {
  s = await new Scratch().open();
  await s.define([tool('search', 'Search the docs')]);
  prefix = `mcp-bridge-test:pins:${process.pid}:${Date.now()}:`;
  keyv = new Keyv({ store: new KeyvRedis(REDIS), useKeyPrefix: false, namespace: '' });
});
afterEach(async () => {
  await s.close();
  const store = new KeyvPinStore(keyv, prefix);
  for (const pins of await store.all()) await store.delete(pins.identity);
  await keyv.delete(`${prefix}index`);
  expect(await store.all()).toEqual([]);
  await keyv.disconnect();
});

describe('pins shared in Redis', () => {
  it('a second gateway on the same Redis finds the pins of the first, and its approval is what later gateways find', async () => {
    const first = await s.bridge([pinning({ redis: REDIS, prefix, onChange: 'block', log: false })]);
    const stored = await new KeyvPinStore(keyv, prefix).all();
    expect(stored).toHaveLength(1);
    expect(Object.keys(stored[0]!.items)).toEqual(['tool:search']);

    const changed = toolsChanged(first);
    await s.define([tool('search', 'Search the docs, and more')]);
    await changed;
    await expect(first.callTool('search', {})).rejects.toThrow(/changed: description/);

    // Another gateway starting now sees the same drift: the pin came from Redis, not from its own first use.
    const second = await s.bridge([pinning({ redis: REDIS, prefix, onChange: 'block', log: false })]);
    expect(second.pins.drifts().map((d) => d.name)).toEqual(['search']);
    await second.pins.approve('docs', 'search');
    const third = await s.bridge([pinning({ redis: REDIS, prefix, onChange: 'block', log: false })]);
    expect(third.pins.drifts()).toEqual([]);
    expect((await third.callTool('search', {})).isError).toBeFalsy();
  });
});
