/**
 * `mcp-bridge-plugin-example`: a template third-party plugin for mcp-bridge that reports slow calls.
 *
 * @example
 * ```ts
 * import { createBridge } from '@mcp-bridge/core';
 * import { slowCalls } from 'mcp-bridge-plugin-example';
 * const bridge = createBridge({ servers, plugins: [slowCalls({ thresholdMs: 500 })] });
 * ```
 * @packageDocumentation
 */
export { slowCalls } from './slow-calls.js';
export { slowCallsOptionsSchema } from './options.js';
export type { SlowCallsOptions } from './options.js';
export type { SlowCall, SlowCallsControl, SlowCallsStats } from './types.js';
