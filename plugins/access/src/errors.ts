import { BridgeError, type BridgeErrorOptions } from '@mcp-bridge/core';

/**
 * A call refused by an access rule. `data` holds `server`, `tool` (upstream name), `caller` and
 * `reason`. Branded like every mcp-bridge error, so `instanceof` works across copies.
 */
export class AccessDeniedError extends BridgeError {
  static override readonly brand: string = 'AccessDeniedError';
  constructor(message: string, options: BridgeErrorOptions = {}) {
    super('ACCESS_DENIED', message, options);
  }
}
