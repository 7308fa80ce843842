/**
 * `@mcp-bridge/plugin-tool-search`: progressive discovery. The client is listed a few meta-tools
 * (search the catalog, describe a tool, call a tool) instead of the whole catalog.
 *
 * @example
 * ```ts
 * import { createBridge } from '@mcp-bridge/core';
 * import { toolSearch } from '@mcp-bridge/plugin-tool-search';
 * const bridge = createBridge({ servers, plugins: [toolSearch({ alwaysList: ['read_file'] })] });
 * ```
 * @packageDocumentation
 */
export { toolSearch } from './tool-search.js';
export type { ToolSearchControl } from './tool-search.js';
export type { ListedHit } from './meta-tools.js';
export { toolSearchOptionsSchema } from './options.js';
export type { ToolSearchOptions } from './options.js';
export { ToolIndex } from './tool-index.js';
export type { IndexableTool, ToolHit, ToolIndexOptions, ToolQuery } from './tool-index.js';
export { splitWords, SYNONYM_GROUPS, Vocabulary } from './text.js';
