import type { CallContext } from '@mcp-bridge/core';
import type { EvictionReason } from './lru.js';

/** Hooks the plugin gives the engine (events, only built when someone listens). */
export interface ResultCacheHooks {
  hit?(ctx: CallContext, level: 'l1' | 'l2', negative: boolean): void;
  stale?(ctx: CallContext, reason: 'revalidate' | 'error', error: unknown): void;
  miss?(ctx: CallContext, coalesced: boolean): void;
  evict?(server: string, method: string, reason: EvictionReason): void;
}

/**
 * Sends a background refresh as a call of its own through the bridge's whole pipeline (the plugin
 * wires it to `bridge.request` with `origin: 'revalidate'`, by which the cache phase knows it).
 * `params` are in upstream form, without `_meta`.
 */
export type RefreshCall = (
  server: string,
  method: string,
  params: Record<string, unknown>,
  caller: string | undefined,
  signal: AbortSignal,
) => Promise<unknown>;
