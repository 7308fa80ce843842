import { describe, expect, it } from 'vitest';
import { canonicalParams } from '../src/canonical.js';
import { Lru } from '../src/lru.js';

describe('canonicalParams', () => {
  it('sorts keys at every level and leaves out the top-level _meta', () => {
    const a = canonicalParams({ name: 't', arguments: { b: [1, { y: 2, x: 1 }], a: 'z' }, _meta: { progressToken: 1 } }, 1_000);
    const b = canonicalParams({ arguments: { a: 'z', b: [1, { x: 1, y: 2 }] }, name: 't' }, 1_000);
    expect(a).toBe(b);
    expect(a).toBe('{"arguments":{"a":"z","b":[1,{"x":1,"y":2}]},"name":"t"}');
    // A nested _meta is data, not request metadata.
    expect(canonicalParams({ arguments: { _meta: 1 } }, 1_000)).toBe('{"arguments":{"_meta":1}}');
  });

  it('writes what JSON would send, and refuses what cannot be a key', () => {
    expect(canonicalParams({ a: undefined, b: () => 1, c: [undefined], d: Number.NaN }, 1_000)).toBe('{"c":[null],"d":null}');
    expect(canonicalParams({ a: 1n }, 1_000)).toBeUndefined();
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(canonicalParams(cycle, 1_000_000)).toBeUndefined();
    expect(canonicalParams({ text: 'x'.repeat(100) }, 50)).toBeUndefined();
    expect(canonicalParams({ d: new Date(0) }, 1_000)).toBe('{"d":"1970-01-01T00:00:00.000Z"}');
  });
});

describe('Lru', () => {
  it('evicts the least recently used entry past the entry bound', () => {
    const evicted: string[] = [];
    const lru = new Lru<number>(2, 1_000, (key, _v, reason) => evicted.push(`${key}:${reason}`));
    lru.set('a', 1, 1);
    lru.set('b', 2, 1);
    expect(lru.get('a')).toBe(1);
    lru.set('c', 3, 1);
    expect(evicted).toEqual(['b:entries']);
    expect([lru.peek('a'), lru.peek('b'), lru.peek('c')]).toEqual([1, undefined, 3]);
  });

  it('keeps the byte bound, and refuses an entry bigger than the bound', () => {
    const lru = new Lru<string>(100, 10);
    lru.set('a', 'a', 4);
    lru.set('b', 'b', 4);
    lru.set('c', 'c', 4);
    expect(lru.size).toBe(2);
    expect(lru.bytes).toBe(8);
    expect(lru.set('huge', 'h', 11)).toBe(false);
    lru.set('b', 'b2', 1);
    expect(lru.bytes).toBe(5);
    expect(lru.deleteWhere((v) => v.startsWith('b'))).toBe(1);
    expect(lru.bytes).toBe(4);
  });
});
