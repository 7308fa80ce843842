import type { Caps } from './caller-limits.js';
import type { HttpGatewayOptions } from './options.js';

const MiB = 1024 * 1024;

/**
 * The defaults of the session table and the per-caller caps. Generous for real use (an agent runs
 * a few dozen calls at once; a client uses a handful of connections; answers are read as they
 * come), tight enough that one caller cannot hold the gateway: 100 unread 9 MiB answers or 100
 * stalled 4 MiB bodies hit the 64 MiB byte budget long before the gateway's memory.
 */
export const HTTP_LIMIT_DEFAULTS = {
  sessionIdleMs: 30 * 60_000,
  sessionInitMs: 20_000,
  maxSessions: 1000,
  maxSessionsPerCaller: 100,
  maxRequestsPerCaller: 256,
  maxRequests: 2048,
  maxConnectionsPerCaller: 256,
  maxConnections: 4096,
  maxBufferedBytesPerCaller: 64 * MiB,
  maxBufferedBytes: 512 * MiB,
  bodyTimeoutMs: 30_000,
  sendTimeoutMs: 30_000,
} as const;

/** The limits in force: each option, or its default. */
export type HttpLimits = Caps & { -readonly [K in keyof typeof HTTP_LIMIT_DEFAULTS]: number };

/** The limits of a gateway from its options. */
export function limitsOf(o: HttpGatewayOptions): HttpLimits {
  const out = { ...HTTP_LIMIT_DEFAULTS } as HttpLimits;
  for (const key of Object.keys(HTTP_LIMIT_DEFAULTS) as (keyof HttpLimits)[]) {
    const value = o[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/** What an HTTP gateway holds right now (see `HttpGateway.load`). */
export interface GatewayLoad {
  /** Open sessions. */
  sessions: number;
  /** Open sessions by caller key (`token:<name>`, `caller:<id>`, `shared-token:`, `address:<ip>`): for the operator, never sent to clients. */
  sessionsByCaller: Record<string, number>;
  /** Requests in progress. */
  requests: number;
  /** Connections that carried a request. */
  connections: number;
  /** Request bodies being read plus answers not yet drained, in bytes. */
  bufferedBytes: number;
  /** Callers holding anything. */
  callers: number;
}
