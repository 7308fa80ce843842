import { definePlugin, type Plugin } from '@mcp-bridge/core';
import pkg from '../package.json' with { type: 'json' };
import { metaTools, search, type ListedHit } from './meta-tools.js';
import { toolSearchOptionsSchema, type ToolSearchOptions } from './options.js';
import { ToolIndex } from './tool-index.js';

/** What the plugin attaches to the bridge as `bridge.toolSearch`. */
export interface ToolSearchControl {
  /** The catalog search the `search_tools` meta-tool runs, as `caller` sees the catalog (exposed names, best first). */
  search(query: string, options?: { caller?: string; server?: string; limit?: number }): ListedHit[];
}

declare module '@mcp-bridge/core' {
  interface BridgeExtensions {
    toolSearch: ToolSearchControl;
  }
}

/**
 * Tool search (progressive discovery): the client is listed three meta-tools, `search_tools`,
 * `describe_tool` and `call_tool` (plus any `alwaysList` tools), instead of the whole catalog. The
 * search ranks the catalog (BM25 over names, titles, descriptions, argument names and the server,
 * with identifier splitting, synonyms, stemming, prefix and fuzzy matching, and a boost for a server
 * the task names), rebuilt when the catalog changes. It shows a caller only the tools it may see, and
 * `call_tool` runs the tool through the whole pipeline (access, validation, cache, retry ...) with the
 * caller's options, exactly as a direct call. Tools stay callable by name directly too.
 *
 * Adds no middleware: a list transform (`api.transformList`) and three plugin tools (`api.addTool`).
 *
 * @example
 * ```ts
 * const bridge = createBridge({ servers, plugins: [accessRules({ deny: ['*\/delete_*'] }), validation(), toolSearch({ alwaysList: ['read_file'] })] });
 * ```
 */
export const toolSearch: (options?: ToolSearchOptions) => Plugin = definePlugin({
  name: pkg.name,
  version: pkg.version,
  core: '^0.1.0',
  options: toolSearchOptionsSchema,
  setup(api, opts) {
    const host = api.host;
    const index = new ToolIndex({ synonyms: opts.synonyms, serverAliases: opts.serverAliases });
    // Rebuilt on first use after a change: a burst of catalog:changed (every server at start) costs one build.
    let stale = true;
    api.on('catalog:changed', ({ kinds }) => {
      if (kinds.includes('tools')) stale = true;
    });
    const fresh = (): ToolIndex => {
      if (stale) {
        index.rebuild(host.tools());
        stale = false;
      }
      return index;
    };
    const deps = { host, opts, index: fresh };
    for (const tool of metaTools(deps)) api.addTool(tool);

    const listed = new Set([...Object.values(opts.names), ...opts.alwaysList]);
    api.transformList('tools', (items) => items.filter((t) => listed.has(t.name)));

    api.expose('toolSearch', {
      search(query, options = {}) {
        const { caller, ...rest } = options;
        const result = search(deps, { query, ...rest }, caller === undefined ? {} : { caller });
        const text = result.content[0]?.type === 'text' ? result.content[0].text : '';
        if (result.isError === true) throw new Error(`[mcp-bridge] [${api.plugin}] ${text}`);
        return (result.structuredContent as { tools: ListedHit[] }).tools;
      },
    });
  },
});
