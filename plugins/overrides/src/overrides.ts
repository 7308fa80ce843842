import { definePlugin, type Plugin } from '@mcp-bridge/core';
import pkg from '../package.json' with { type: 'json' };
import { overridesOptionsSchema, type OverridesOptions } from './options.js';
import { setupOverrides } from './overrides-setup.js';

/**
 * Tool curation: per tool (keyed `server/tool`, upstream names), rename it, rewrite its title and
 * description, hide it, fix arguments the model cannot change (removed from the listed `inputSchema`,
 * injected on every call; a call that sends one is refused) and give defaults (listed as the schema's
 * `default`, injected when absent). Everything is computed when the server lists its tools; a call
 * costs a map lookup.
 *
 * Occupies `policy` (list rewrite, rename, defaults) and `validate` with `order: 'after'` (fixed values
 * injected after the validation plugin checked what the model sent against the listed schema).
 *
 * @example
 * ```ts
 * overrides({
 *   tools: {
 *     'github/create_issue': { name: 'file_bug', fixed: { owner: 'acme', repo: 'app' }, defaults: { labels: ['triage'] } },
 *     'github/delete_repo': { hide: true },
 *   },
 * })
 * ```
 */
export const overrides: (options: OverridesOptions) => Plugin = definePlugin({
  name: pkg.name,
  version: pkg.version,
  core: '^0.1.0',
  options: overridesOptionsSchema,
  setup(api, opts) {
    setupOverrides(api, opts);
  },
});
