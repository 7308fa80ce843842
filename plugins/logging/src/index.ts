/**
 * `@mcp-bridge/plugin-logging`: structured logs with pino, with redaction of secrets and
 * arguments by rule.
 *
 * @example
 * ```ts
 * import { createBridge } from '@mcp-bridge/core';
 * import { logging } from '@mcp-bridge/plugin-logging';
 * const bridge = createBridge({ servers, plugins: [logging({ level: 'info' })] });
 * ```
 * @packageDocumentation
 */
export { logging } from './logging.js';
export { ARGUMENT_MODES, DEFAULT_REDACT_KEYS, DEFAULT_REDACT_PATTERNS, loggingOptionsSchema, logRuleSchema } from './options.js';
export type { LoggingOptions, LogRule } from './options.js';
export { REDACTED, redactValue } from './redact.js';
