/**
 * `@mcp-bridge/server`: expose an mcp-bridge host as one MCP server, over stdio and Streamable HTTP.
 *
 * @example
 * ```ts
 * import { createBridge } from '@mcp-bridge/core';
 * import { serveHttp, gatewayClientCapabilities } from '@mcp-bridge/server';
 *
 * const bridge = createBridge({ servers, clientCapabilities: gatewayClientCapabilities });
 * const gateway = await serveHttp(bridge, { port: 3000 });
 * ```
 * @packageDocumentation
 */
export { serveHttp } from './http.js';
export type { HttpGateway } from './http.js';
export { serveStdio } from './stdio.js';
export type { StdioGateway } from './stdio.js';
export type { GatewayConfig, GatewayOptions, HttpGatewayOptions, StdioGatewayOptions } from './options.js';
export { gatewayConfigSchema } from './options.js';
export { HTTP_LIMIT_DEFAULTS } from './http-limits.js';
export type { GatewayLoad } from './http-limits.js';
export { gatewayClientCapabilities } from './capabilities.js';
export { defaultAllowedHosts, isLoopbackHost } from './http-checks.js';
export { SERVER_VERSION } from './version.js';
