import { BridgeError, type BridgeErrorOptions } from '@mcp-bridge/core';

/**
 * A call to a tool (or prompt) whose definition changed since it was pinned, under `onChange: 'block'`
 * (or a new one under `onNew: 'block'`). `data` holds `server`, `kind`, `name` (upstream name),
 * `change` (`changed` | `new`) and `fields` (what changed).
 */
export class PinDriftError extends BridgeError {
  static override readonly brand: string = 'PinDriftError';
  constructor(message: string, options: BridgeErrorOptions = {}) {
    super('PIN_DRIFT', message, options);
  }
}
