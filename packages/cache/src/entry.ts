import { BridgeError, failureOf } from '@mcp-bridge/core';
import { McpError } from '@modelcontextprotocol/sdk/types.js';

/**
 * A cached answer as stored in both levels (short field names: it is what goes to Redis).
 * Times are epoch ms.
 */
export interface Entry {
  /** The result (deep-frozen once cached: every caller shares it). */
  v: unknown;
  /** As of: when the upstream call that produced it started (invalidations after this drop it). */
  t: number;
  /** Fresh until. */
  f: number;
  /** May be served stale, while one call refreshes it, until. */
  s: number;
  /** May be served stale when the upstream is unavailable, until. */
  e: number;
  /** The full key, checked on read: a hash collision or another partition never matches. */
  k: string;
  /** A cached "not found" JSON-RPC error instead of a result. */
  x?: { code: number; message: string; data?: unknown };
}

/** Whether a value read from L2 has the shape of an {@link Entry} (anything else is ignored). */
export function isEntry(value: unknown): value is Entry {
  if (typeof value !== 'object' || value === null) return false;
  const e = value as Entry;
  return (
    typeof e.k === 'string' && typeof e.t === 'number' && typeof e.f === 'number' && typeof e.s === 'number' && typeof e.e === 'number'
  );
}

/** The error a negative entry stands for. */
export function negativeError(entry: Entry): McpError {
  const x = entry.x!;
  return new McpError(x.code, x.message, x.data);
}

/** A JSON-RPC error from the upstream (any copy of the SDK): its code, when it is one. */
export function jsonRpcCode(error: unknown): number | undefined {
  if (!(error instanceof Error) || BridgeError.isInstance(error)) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'number' && Number.isInteger(code) ? code : undefined;
}

/** The negative-entry payload of a JSON-RPC error (the SDK's "MCP error <code>: " prefix removed, as McpError adds it again). */
export function negativePayload(error: Error, code: number): NonNullable<Entry['x']> {
  const message = error.message.replace(/^MCP error -?\d+: /, '');
  const data = (error as { data?: unknown }).data;
  return data === undefined ? { code, message } : { code, message, data };
}

/**
 * An error saying the upstream could not answer (not that it answered "no", nor that the request was
 * wrong): stale-if-error applies. Read from core's verdict; a retry that gave up has its last failure's.
 */
export function isAvailabilityError(error: unknown, signal?: AbortSignal): boolean {
  const v = failureOf(error, signal);
  if (v.kind === 'not-sent') return v.reason !== 'local' && v.reason !== 'stopped';
  return v.kind === 'unreachable' || v.kind === 'timeout';
}

/** Freezes a JSON value in depth, so a caller that mutates a shared cached result fails instead of corrupting it. */
export function deepFreeze(value: unknown): void {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
}
