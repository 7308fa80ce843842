/** One slow call, as reported by the `slow-calls:slow` event and `bridge.slowCalls.recent()`. */
export interface SlowCall {
  /** The bridge's call id. */
  readonly id: number;
  readonly method: string;
  readonly server: string;
  /** Exposed tool name, for `tools/call`. */
  readonly tool: string | undefined;
  readonly caller: string | undefined;
  /** Whole call, every attempt included. */
  readonly durationMs: number;
  /** Attempts made (more than 1 when a retry plugin retried). */
  readonly attempts: number;
  readonly outcome: 'ok' | 'error';
}

/** Counts since the bridge started (or the last `reset()`). */
export interface SlowCallsStats {
  readonly calls: number;
  readonly slow: number;
}

/** What the plugin attaches to the bridge as `bridge.slowCalls`. */
export interface SlowCallsControl {
  /** The most recent slow calls, oldest first. */
  recent(): SlowCall[];
  stats(): SlowCallsStats;
  /** Forget the recent calls and zero the counters. */
  reset(): void;
}

// Declaration merging: the plugin's event payloads, per-call state and bridge property are typed
// for everyone who imports this package, with no cast at the call site.
declare module '@mcp-bridge/core' {
  interface BridgeEvents {
    /** A watched call took longer than `thresholdMs`. */
    'slow-calls:slow': SlowCall;
    /** Every `summaryEveryMs`: calls and slow calls in that window. */
    'slow-calls:summary': SlowCallsStats & { readonly windowMs: number };
  }
  interface CallState {
    /** When the outermost middleware saw the call (performance.now()). */
    slowCallsStartedAt?: number;
  }
  interface BridgeExtensions {
    slowCalls: SlowCallsControl;
  }
}
