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

/**
 * A `Retry-After` hint in ms, from a JSON-RPC error's data (`retryAfterMs`, or `retryAfter` in
 * seconds or as an HTTP date) or from the body text of an HTTP 429/503 answer that the SDK's
 * transport puts in its error message (it drops the response headers).
 */
export function retryAfterMs(data: unknown, now: number): number | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const d = data as { retryAfterMs?: unknown; retryAfter?: unknown };
  if (typeof d.retryAfterMs === 'number' && d.retryAfterMs >= 0) return d.retryAfterMs;
  return parseRetryAfter(d.retryAfter, now);
}

/** `Retry-After` as seconds (number or digits) or an HTTP date. */
export function parseRetryAfter(value: unknown, now: number): number | undefined {
  if (typeof value === 'number') return value >= 0 ? value * 1000 : undefined;
  if (typeof value !== 'string') return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** A `Retry-After` hint found in an error message that carries a JSON body (`"retryAfterMs": 1500` or `"retryAfter": 2`). */
export function retryAfterFromText(text: string, now: number): number | undefined {
  const ms = /"retryAfterMs"\s*:\s*(\d+)/.exec(text);
  if (ms) return Number(ms[1]);
  const s = /"retryAfter"\s*:\s*"?([^",}]+)"?/.exec(text);
  return s ? parseRetryAfter(s[1], now) : undefined;
}

/** Resolves when `closed` does or after `ms`, whichever comes first; rejects when the caller aborts or the bridge closes. */
export function within(closed: Promise<unknown>, ms: number, signal: AbortSignal | undefined, closing: AbortSignal): Promise<void> {
  // The wait is cut short by the caller's abort or the bridge closing (it rejects), and ends with `closed`.
  const over = new AbortController();
  const wait = sleep(ms, signal, AbortSignal.any([closing, over.signal]));
  return Promise.race([closed.then(() => undefined), wait]).finally(() => over.abort());
}

/**
 * Waits `ms`, or rejects when `signal` or `closing` aborts. The timer exists only while waiting
 * for a retry, never on the success path.
 */
export function sleep(ms: number, signal: AbortSignal | undefined, closing: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    if (closing.aborted) return reject(closing.reason);
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      closing.removeEventListener('abort', onAbort);
    };
    const onAbort = (): void => {
      done();
      reject(signal?.aborted ? signal.reason : closing.reason);
    };
    const timer = setTimeout(() => {
      done();
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
    closing.addEventListener('abort', onAbort, { once: true });
  });
}
