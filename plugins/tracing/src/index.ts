/**
 * `@mcp-bridge/plugin-tracing`: OpenTelemetry spans for every call and attempt of an mcp-bridge
 * host (MCP semantic conventions), with W3C trace context sent to upstreams in `params._meta`.
 *
 * @example
 * ```ts
 * import { createBridge } from '@mcp-bridge/core';
 * import { tracing } from '@mcp-bridge/plugin-tracing';
 * const bridge = createBridge({ servers, plugins: [tracing()] });
 * ```
 * @packageDocumentation
 */
export { ATTR, tracing } from './tracing-plugin.js';
export { tracingOptionsSchema } from './options.js';
export type { TracingOptions } from './options.js';
export { extractW3C, injectW3C } from './w3c.js';
