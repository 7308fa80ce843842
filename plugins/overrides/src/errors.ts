import { BridgeError, type BridgeErrorOptions } from '@mcp-bridge/core';

/**
 * An override that does not fit the tool the server lists: an argument the tool does not have, a
 * fixed or default value its schema refuses, a rename onto another tool's name. The message names the
 * tool (`tools["server/tool"]`) and the field; the server's tool list fails with it until the config is fixed.
 */
export class OverrideConfigError extends BridgeError {
  static override readonly brand: string = 'OverrideConfigError';
  constructor(message: string, options: BridgeErrorOptions = {}) {
    super('OVERRIDE_INVALID', message, options);
  }
}
