/**
 * `@mcp-bridge/discovery`: finds the MCP server configs people already have (project `.mcp.json`,
 * Claude Code, Claude Desktop, Cursor, VS Code), interpolates `${VAR}` placeholders, merges them by
 * precedence with provenance, and watches them so a running bridge reconnects only what changed.
 * It never writes a user's file.
 *
 * @example
 * ```ts
 * import { createBridge } from '@mcp-bridge/core';
 * import { applyChange, bridgeServers, discover, watchConfigs } from '@mcp-bridge/discovery';
 *
 * const result = await discover();
 * const bridge = createBridge({ servers: bridgeServers(result) });
 * await bridge.start();
 * const watcher = await watchConfigs({}, (change) => applyChange(bridge, change), { initial: result });
 * ```
 * @packageDocumentation
 */
export { applyChange, DiscoveryApplyError, type ApplyFailure } from './apply.js';
export { canonicalConfig, diffDiscovery } from './diff.js';
export { bridgeServers, discover } from './discover.js';
export { formatDiscoveryIssue } from './format.js';
export { interpolateString, type InterpolationContext } from './interpolate.js';
export { claudeCodeFile, claudeDesktopFile, configLocations, type ConfigLocation } from './locations.js';
export { redactConfig, REDACTED, scrubSecrets } from './redact.js';
export { serverExtrasSchema } from './entry.js';
export {
  SOURCE_KINDS,
  type ConfigFileReport,
  type DiscoveredServer,
  type DiscoverOptions,
  type DiscoveryChange,
  type DiscoveryIssue,
  type DiscoveryResult,
  type Provenance,
  type SkippedServer,
  type SourceKind,
} from './types.js';
export { watchConfigs, type ConfigWatcher, type WatchConfigsOptions } from './watch.js';
