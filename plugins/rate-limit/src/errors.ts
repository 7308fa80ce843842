import { BridgeError, type BridgeErrorOptions } from '@mcp-bridge/core';

/**
 * A call refused by a rate limit. `data.retryAfterMs` and `data.retryAfter` (seconds, rounded up,
 * as in an HTTP `Retry-After` header) say when a call would be let through; `data.scope`
 * (`caller`, `server` or `tool`), `data.key`, `data.limit` and `data.intervalMs` say which limit.
 */
export class RateLimitedError extends BridgeError {
  static override readonly brand: string = 'RateLimitedError';
  constructor(message: string, options: BridgeErrorOptions = {}) {
    super('RATE_LIMITED', message, options);
  }
}
