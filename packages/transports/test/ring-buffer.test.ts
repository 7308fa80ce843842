import { describe, expect, it } from 'vitest';
import { ByteRing } from '../src/stdio/ring-buffer.js';

describe('ByteRing', () => {
  it('keeps the last capacity bytes across chunk boundaries', () => {
    const ring = new ByteRing(10);
    ring.push(Buffer.from('abcdef'));
    ring.push(Buffer.from('ghijkl'));
    expect(ring.toString()).toBe('cdefghijkl');
    ring.push(Buffer.from('mn'));
    expect(ring.toString()).toBe('efghijklmn');
    expect(ring.totalBytes).toBe(14);
  });

  it('keeps the tail of a chunk larger than the capacity', () => {
    const ring = new ByteRing(4);
    ring.push(Buffer.from('0123456789'));
    expect(ring.toString()).toBe('6789');
  });

  it('does not start with half a character after dropping bytes', () => {
    const ring = new ByteRing(4);
    ring.push(Buffer.from('aé€')); // 1 + 2 + 3 bytes: keeping 4 cuts 'é' in half
    expect(ring.toString()).toBe('€');
  });

  it('keeps nothing at capacity 0 but still counts', () => {
    const ring = new ByteRing(0);
    ring.push(Buffer.from('abc'));
    expect(ring.toString()).toBe('');
    expect(ring.totalBytes).toBe(3);
  });
});
