import { describe, expect, it } from 'vitest';
import { EventBus } from '../src/events.js';

describe('the event bus', () => {
  it('reports sync throws and async rejections of listeners, and keeps calling the others', async () => {
    const errors: string[] = [];
    const bus = new EventBus((event, error) => errors.push(`${event}: ${(error as Error).message}`));
    const seen: string[] = [];
    bus.on('host:ready', () => {
      throw new Error('sync');
    });
    // A listener that rejects is what this test is about: the bus must report it, not leave it unhandled.
    // eslint-disable-next-line @typescript-eslint/no-misused-promises
    bus.on('host:ready', async () => {
      throw new Error('async');
    });
    bus.on('host:ready', ({ servers }) => {
      seen.push(...servers);
    });
    bus.emit('host:ready', { servers: ['a'] });
    await new Promise((r) => setTimeout(r, 0));
    expect(seen).toEqual(['a']);
    expect(errors).toEqual(['host:ready: sync', 'host:ready: async']);
  });

  it('costs nothing without listeners and unsubscribes cleanly', () => {
    const bus = new EventBus(() => undefined);
    expect(bus.has('call:error')).toBe(false);
    const off = bus.on('call:error', () => undefined);
    expect(bus.has('call:error')).toBe(true);
    off();
    expect(bus.has('call:error')).toBe(false);
  });
});
