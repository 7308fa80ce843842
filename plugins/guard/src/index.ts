/**
 * `@mcp-bridge/plugin-guard`: rules on `tools/call` arguments beyond the schema (paths, URLs,
 * sizes, deny patterns) and secret detection in arguments and results.
 *
 * @example
 * ```ts
 * import { createBridge } from '@mcp-bridge/core';
 * import { guard } from '@mcp-bridge/plugin-guard';
 * const bridge = createBridge({ servers, plugins: [guard({ paths: { roots: ['/srv/data'], detect: true } })] });
 * ```
 * @packageDocumentation
 */
export { guard } from './guard.js';
export type { GuardControl, GuardRedactedEvent, GuardRefusedEvent, GuardStats } from './guard.js';
export { GUARD_META_KEY } from './results.js';
export { MAX_DEPTH } from './scan.js';
export type { Refusal } from './scan.js';
export {
  denyRuleSchema,
  guardOptionsSchema,
  limitsSchema,
  pathRulesSchema,
  ruleSetSchema,
  secretActionSchema,
  secretRulesSchema,
  urlRulesSchema,
} from './options.js';
export type { DenyRule, GuardOptions, PathRules, SecretAction, SecretRules, SizeLimits, UrlRules } from './options.js';
export { checkPath, expandHome } from './paths.js';
export { checkUrl, compileUrlPolicy } from './urls.js';
export type { UrlPolicy } from './urls.js';
export { scanSecrets } from './secrets.js';
export type { SecretFinding } from './secrets.js';
