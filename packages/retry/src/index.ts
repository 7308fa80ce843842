/**
 * `@mcp-bridge/retry`: safe retries (backoff with full jitter, `Retry-After`, one deadline, a retry
 * budget) and a circuit breaker per upstream (opossum), as one plugin.
 *
 * @example
 * ```ts
 * import { createBridge } from '@mcp-bridge/core';
 * import { retry } from '@mcp-bridge/retry';
 * const bridge = createBridge({ servers, plugins: [retry({ attemptTimeoutMs: 2_000 })] });
 * ```
 * @packageDocumentation
 */
import './events.js';

export { retry } from './retry-plugin.js';
export type { RetryControl } from './retry-plugin.js';
export { RETRY_DEFAULTS, retryOptionsSchema } from './options.js';
export type { BreakerOptions, BudgetOptions, RetryMode, RetryOptions, RetryPolicyOptions } from './options.js';
export type { BreakerSnapshot, BreakerState, OpenReason } from './breaker.js';
export type { GiveUpReason } from './events.js';
export { SAFE_METHODS } from './classify.js';
export { fullJitterDelay, parseRetryAfter } from './backoff.js';
export { RetryBudget } from './budget.js';
