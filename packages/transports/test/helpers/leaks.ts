import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';

function count(kind: string): number {
  return process.getActiveResourcesInfo().filter((name) => name === kind).length;
}

/**
 * Takes a snapshot of this worker's timers and 'exit' listeners (call in beforeEach); the returned
 * check (await it in afterEach, after closing everything) fails on any child process handle,
 * 'exit' listener or timer left behind. Timers get a short grace: undici's keep-alive parser and
 * the HTTP test servers clear theirs a few ms after the sockets close.
 */
export function leakSnapshot(): () => Promise<void> {
  const timers = count('Timeout');
  const exitListeners = process.listenerCount('exit');
  return async () => {
    expect(count('ProcessWrap'), 'child process handles left').toBe(0);
    expect(process.listenerCount('exit'), "process 'exit' listeners left").toBe(exitListeners);
    for (let waited = 0; count('Timeout') > timers && waited < 500; waited += 10) await sleep(10);
    expect(count('Timeout'), 'timers left').toBeLessThanOrEqual(timers);
  };
}
