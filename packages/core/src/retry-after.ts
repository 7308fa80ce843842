/**
 * `Retry-After` hints, read once when a failure is classified (`failure.ts`): from a JSON-RPC error's
 * data, or from the body of an HTTP 429/503 answer that the SDK's transport puts in its error message
 * (it drops the response headers).
 */

/**
 * A `Retry-After` hint in ms from a JSON-RPC error's data: `retryAfterMs`, or `retryAfter` in seconds
 * or as an HTTP date.
 */
export function retryAfterFromData(data: unknown, now: number): number | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const d = data as { retryAfterMs?: unknown; retryAfter?: unknown };
  if (typeof d.retryAfterMs === 'number' && d.retryAfterMs >= 0) return d.retryAfterMs;
  return parseRetryAfter(d.retryAfter, now);
}

/**
 * `Retry-After` as seconds (number or digits) or an HTTP date, in ms from `now`.
 *
 * @example
 * parseRetryAfter('2', Date.now()); // 2000
 */
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
