import type { BridgeEvents, Upstream } from '@mcp-bridge/core';
import type { PoolSnapshot } from './snapshot.js';

/** Where the pool reports what it does (the plugin passes `api.emit` / `api.hasListeners`). */
export interface PoolEvents {
  emit<E extends keyof BridgeEvents>(event: E, payload: BridgeEvents[E]): void;
  hasListeners(event: keyof BridgeEvents): boolean;
}

/** Why a session was opened. */
export type SpawnReason = 'demand' | 'warm' | 'restart' | 'replace';

/** Why a session ended. */
export type ExitReason = 'idle' | 'lifetime' | 'crash' | 'session-lost' | 'released' | 'closed';

declare module '@mcp-bridge/core' {
  interface BridgeEvents {
    /** A session (an SDK client; for stdio a process) is connected and takes calls. */
    'pool:spawn': { server: string; upstream: Upstream; session: number; pid?: number; reason: SpawnReason; durationMs: number };
    /** A session ended: closed by the pool (`idle`, `lifetime`, `released`, `closed`) or lost (`crash`, `session-lost`). */
    'pool:exit': { server: string; upstream: Upstream; session: number; pid?: number; reason: ExitReason; uptimeMs: number; error?: Error };
    /** A restart of a crashed or failed upstream is scheduled after `delayMs` (jittered exponential backoff). */
    'pool:restart': { server: string; upstream: Upstream; failures: number; delayMs: number };
    /** `failures` starts in a row failed: the upstream is reported failed and waits `delayMs` before the next start. */
    'pool:crash-loop': { server: string; upstream: Upstream; failures: number; delayMs: number; error: Error | undefined };
    /** A call was refused by the bulkhead (`OverloadedError`). */
    'pool:overload': {
      server: string;
      upstream: Upstream;
      method: string;
      running: number;
      pending: number;
      maxConcurrent: number;
      maxPending: number;
    };
    /** A Streamable HTTP server forgot the session: the pool re-initialises and re-sends the call once. */
    'pool:reinit': { server: string; upstream: Upstream; method: string; error: Error };
  }
  interface BridgeExtensions {
    /** Snapshot of the pool: sessions, calls in flight and waiting, restarts, per upstream id (added by `@mcp-bridge/pool`). */
    pool: () => PoolSnapshot;
  }
}
