/**
 * `@mcp-bridge/plugin-access`: allow/deny rules for servers and tools, per caller, with renaming
 * and description overrides.
 *
 * @example
 * ```ts
 * import { createBridge } from '@mcp-bridge/core';
 * import { accessRules } from '@mcp-bridge/plugin-access';
 * const bridge = createBridge({ servers, plugins: [accessRules({ deny: ['*\/delete_*'] })] });
 * ```
 * @packageDocumentation
 */
export { accessRules } from './access-rules.js';
export type { AccessControl } from './access-rules.js';
export { AccessDeniedError } from './errors.js';
export { accessOptionsSchema, selectorSchema } from './options.js';
export type { AccessOptions, RuleSet, Selector } from './options.js';
