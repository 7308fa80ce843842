/**
 * `@mcp-bridge/plugin-rate-limit`: token-bucket rate limits per caller, per server and per tool.
 *
 * @example
 * ```ts
 * import { createBridge } from '@mcp-bridge/core';
 * import { rateLimits } from '@mcp-bridge/plugin-rate-limit';
 * const bridge = createBridge({ servers, plugins: [rateLimits({ caller: { limit: 10 } })] });
 * ```
 * @packageDocumentation
 */
export { rateLimits } from './rate-limits.js';
export type { RateLimitControl } from './rate-limits.js';
export { RateLimitedError } from './errors.js';
export { limitSchema, rateLimitOptionsSchema } from './options.js';
export type { Limit, RateLimitOptions, ScopeLimits } from './options.js';
export { TokenBucket } from './token-bucket.js';
