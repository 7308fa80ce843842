import { definePlugin, type Plugin } from '@mcp-bridge/core';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import pkg from '../package.json' with { type: 'json' };
import { setupAccess } from './access-setup.js';
import { accessOptionsSchema, type AccessOptions } from './options.js';

/** What the plugin attaches to the bridge as `bridge.access`. */
export interface AccessControl {
  /** Whether `caller` may call a server's tool (upstream name). */
  isAllowed(server: string, tool: string, caller?: string): boolean;
  /**
   * Whether `caller` may see the server at all (its server-wide rules): the gateway sends a caller a
   * server's log messages, and names it in a list's `_meta`, only when this is true.
   */
  serverVisible(server: string, caller?: string): boolean;
  /**
   * The catalog's tools this caller may see (exposed form): what `bridge.listTools({ caller })`
   * lists (the plugin hides denied tools per caller through `api.filterList`).
   */
  visibleTools(caller?: string): Tool[];
}

declare module '@mcp-bridge/core' {
  interface BridgeExtensions {
    access: AccessControl;
  }
}

/**
 * Access rules: allow and deny servers and tools by name, glob and server tag, globally and per
 * caller; rename tools and override their descriptions. Denied tools disappear from lists (global
 * rules from the shared catalog; per-caller rules from the list built for that caller, through
 * `api.filterList`) and every denied call is refused with an {@link AccessDeniedError} that says which rule.
 *
 * Occupies the `policy` phase (`order: 'before'`): refused calls never reach validation, cache or
 * an upstream.
 *
 * @example
 * ```ts
 * const bridge = createBridge({
 *   servers,
 *   plugins: [
 *     accessRules({
 *       deny: ['*\/delete_*', 'tag:experimental'],
 *       tools: { 'github/create_issue': { name: 'new_issue', description: 'Open an issue in our tracker' } },
 *       callers: { 'agent-*': { allow: ['github/search_*'] } },
 *     }),
 *   ],
 * });
 * ```
 */
export const accessRules: (options?: AccessOptions) => Plugin = definePlugin({
  name: pkg.name,
  version: pkg.version,
  core: '^0.1.0',
  options: accessOptionsSchema,
  setup(api, opts) {
    setupAccess(api, opts);
  },
});
