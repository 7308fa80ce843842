import { wait } from '@mcp-bridge/core';

/**
 * Exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff And Jitter"):
 * a uniform delay in [0, min(cap, base * 2^(retry-1))). Full jitter spreads a burst of failed
 * calls over the whole interval, so their retries do not arrive together.
 *
 * @param retry 1 for the first retry.
 */
export function fullJitterDelay(retry: number, baseMs: number, capMs: number, random: () => number): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(retry - 1, 30));
  return Math.floor(random() * ceiling);
}

/** `Retry-After` as seconds or an HTTP date: core's parser (failures are classified there, once). */
export { parseRetryAfter } from '@mcp-bridge/core';

/** Resolves when `closed` does or after `ms`, whichever comes first; rejects when the caller aborts or the bridge closes. */
export function within(closed: Promise<unknown>, ms: number, signal: AbortSignal | undefined, closing: AbortSignal): Promise<void> {
  // The wait is cut short by the caller's abort or the bridge closing (it rejects), and ends with `closed`.
  const over = new AbortController();
  const wait = sleep(ms, signal, AbortSignal.any([closing, over.signal]));
  return Promise.race([closed.then(() => undefined), wait]).finally(() => over.abort());
}

/**
 * Waits `ms`, or rejects when `signal` or `closing` aborts: core's one abort-aware `wait`. The timer
 * exists only while waiting for a retry, never on the success path.
 */
export function sleep(ms: number, signal: AbortSignal | undefined, closing: AbortSignal): Promise<void> {
  return wait(ms, signal, closing);
}
