import { definePlugin, type Plugin } from '@mcp-bridge/core';
import type { Logger } from 'pino';
import pkg from '../package.json' with { type: 'json' };
import { setupLogging } from './logging-setup.js';
import { loggingOptionsSchema, type LoggingOptions } from './options.js';

/** What the plugin attaches to the bridge as `bridge.logger`. */
declare module '@mcp-bridge/core' {
  interface BridgeExtensions {
    /** The pino logger of `@mcp-bridge/plugin-logging` (a child with `name: 'mcp-bridge'`). */
    logger: Logger;
  }
}

/**
 * Structured logs with pino: one line per call (method, server, tool, caller, attempts, duration,
 * outcome, arguments as the rules allow, error code and message) and lines for lifecycle events.
 * Secrets are redacted by key and by pattern, arguments by rule. With the level off a call costs
 * one level check: arguments are never read.
 *
 * Occupies the `observe` phase (unmarked order).
 *
 * @example
 * ```ts
 * const bridge = createBridge({
 *   servers,
 *   plugins: [logging({ level: 'info', rules: [{ match: 'vault/*', arguments: 'omit' }, { match: 'search/*', arguments: 'full' }] })],
 * });
 * ```
 */
export const logging: (options?: LoggingOptions) => Plugin = definePlugin({
  name: pkg.name,
  version: pkg.version,
  core: '^0.1.0',
  options: loggingOptionsSchema,
  setup(api, opts) {
    setupLogging(api, opts);
  },
});
