import { describe, expect, it } from 'vitest';
import { createNamer, NAME_PATTERN, stableHash, toValidName } from '../src/naming.js';

const items = (...pairs: [string, string][]) => pairs.map(([server, name]) => ({ server, name }));

describe('naming', () => {
  it('collision policy prefixes every server that shares a name, and only those', () => {
    const namer = createNamer();
    expect(namer.names('tool', items(['a', 'echo'], ['a', 'only_a'], ['b', 'echo']))).toEqual(['a__echo', 'only_a', 'b__echo']);
  });

  it('prefix policy always prefixes; separator is configurable', () => {
    expect(createNamer({ policy: 'prefix' }).names('tool', items(['a', 'x']))).toEqual(['a__x']);
    expect(createNamer({ policy: 'prefix', separator: '-' }).names('tool', items(['a', 'x']))).toEqual(['a-x']);
  });

  it('never policy keeps the first server and hides the others', () => {
    expect(createNamer({ policy: 'never' }).names('tool', items(['a', 'x'], ['b', 'x']))).toEqual(['x', undefined]);
  });

  it('error policy reports the later server', () => {
    const out = createNamer({ policy: 'error' }).names('tool', items(['a', 'x'], ['b', 'x']));
    expect(out[0]).toBe('x');
    expect(out[1]).toBeInstanceOf(Error);
    expect((out[1] as Error).message).toMatch(/"x" of server "b" collides with the one of server "a"/);
  });

  it('makes every name valid for ^[a-zA-Z0-9_-]{1,64}$, stable and unique', () => {
    const long = 'x'.repeat(100);
    const out = createNamer({ policy: 'prefix' }).names(
      'tool',
      items(['my.server', 'read file'], ['s', long], ['s', `${long}y`], ['s', 'ok']),
    );
    for (const n of out) expect(n).toMatch(NAME_PATTERN);
    expect(new Set(out).size).toBe(4);
    expect(out[3]).toBe('s__ok');
    // Same input, same output, in any process: the suffix is a pure function of the identity.
    expect(createNamer({ policy: 'prefix' }).names('tool', items(['s', long]))[0]).toBe(out[1]);
    expect(toValidName('a.b', 'id')).toBe(`a_b_${stableHash('id')}`);
    expect(toValidName('a_b', 'id')).toBe('a_b');
    expect(stableHash('hello')).toBe(stableHash('hello'));
    expect(stableHash('hello')).not.toBe(stableHash('hellp'));
  });

  it('never gives two entries the same name even when prefixing meets a native name', () => {
    const out = createNamer({ policy: 'collision' }).names('tool', items(['a', 'b__c'], ['a__b', 'c'], ['a', 'c']));
    // 'c' collides (a, a__b) -> 'a__c' and 'a__b__c', which meets a's native 'b__c'? no: a's is 'b__c'.
    expect(new Set(out).size).toBe(3);
    const clash = createNamer({ policy: 'prefix' }).names('tool', items(['a', 'b__c'], ['a__b', 'c']));
    expect(clash[0]).toBe('a__b__c');
    expect(clash[1]).not.toBe('a__b__c');
    expect(clash[1]).toMatch(NAME_PATTERN);
  });

  it('maps URIs with server+uri on collision and keeps unique URIs as they are', () => {
    const namer = createNamer();
    expect(namer.uris('resource', items(['a', 'file:///x'], ['b', 'file:///x'], ['b', 'file:///y']))).toEqual([
      'a+file:///x',
      'b+file:///x',
      'file:///y',
    ]);
  });
});
