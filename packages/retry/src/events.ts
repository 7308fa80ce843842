import type { CallContext, Upstream } from '@mcp-bridge/core';
import type { RetryControl } from './retry-plugin.js';
import type { OpenReason } from './breaker.js';
import type { GiveUpReason } from './give-up.js';

// In its own file: retry-plugin.ts uses it, and this file imports RetryControl from there.
export type { GiveUpReason } from './give-up.js';

declare module '@mcp-bridge/core' {
  interface BridgeEvents {
    /** A failed attempt is retried: `attempt` is the number of the attempt about to start, after `delayMs`. */
    'retry:attempt': { ctx: CallContext; attempt: number; delayMs: number; error: unknown };
    /** The retry plugin stopped: the call fails with `error`. Only emitted for failures it considered. */
    'retry:giveup': { ctx: CallContext; attempts: number; reason: GiveUpReason; error: unknown };
    /** An upstream's breaker opened for `openMs`. */
    'breaker:open': { server: string; upstream: Upstream; openMs: number; reason: OpenReason };
    /** An upstream's breaker lets `probes` calls through to test it. */
    'breaker:half-open': { server: string; upstream: Upstream; probes: number };
    /** An upstream's breaker closed: every probe succeeded. */
    'breaker:close': { server: string; upstream: Upstream };
  }
  interface BridgeExtensions {
    /** Breaker states and budgets of the retry plugin. */
    retry: RetryControl;
  }
}
