/**
 * `@mcp-bridge/plugin-overrides`: rename, retitle, describe and hide tools, and fix or default their
 * arguments, with the listed `inputSchema` rewritten to match.
 *
 * @example
 * ```ts
 * import { createBridge } from '@mcp-bridge/core';
 * import { overrides } from '@mcp-bridge/plugin-overrides';
 * const bridge = createBridge({ servers, plugins: [overrides({ tools: { 'files/write_file': { hide: true } } })] });
 * ```
 * @packageDocumentation
 */
export { overrides } from './overrides.js';
export { OverrideConfigError } from './errors.js';
export { overridesOptionsSchema } from './options.js';
export type { OverridesOptions, ResolvedOverridesOptions, ToolOverride } from './options.js';
export { rewriteList } from './rewrite.js';
export type { CallPlan, ServerPlan } from './rewrite.js';
