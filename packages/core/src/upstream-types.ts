import type { Implementation, ServerCapabilities } from '@modelcontextprotocol/sdk/types.js';
import type { ProtocolEra, ServerConfig, TransportKind, UpstreamProtocol } from '@mcp-bridge/transports';

// The upstream vocabulary: one connection target, its state, and what its config entry says.
// A leaf of types.ts (which re-exports it): it imports nothing from core, so no type loop.

/** Health of one upstream as the host sees it; the health plugin refines it. */
export type HealthState = 'healthy' | 'degraded' | 'unhealthy';

/** Connection status of one upstream. */
export type UpstreamStatus = 'idle' | 'connecting' | 'ready' | 'failed' | 'closed';

/**
 * One concrete connection target. A logical server has one upstream, or several replicas
 * (added by the load balancer) that share the server's name and catalog. Plugins get read-only
 * views: the host alone changes status, health and counts (assigning a field throws).
 */
export interface Upstream {
  /** Unique id: the server name, or `server#n` for replicas. */
  readonly id: string;
  /** The logical server this upstream belongs to. */
  readonly server: string;
  /** Its validated config. */
  readonly config: UpstreamConfig;
  /** Transport kind derived from the config. */
  readonly kind: TransportKind;
  /** Connection status, reported by the pool (`PoolHost.statusChanged`). */
  readonly status: UpstreamStatus;
  /** Health, kept by the host (and refined by health plugins through `HealthHost.setHealth`). */
  readonly health: HealthState;
  /** The last connection or call failure, for reports. */
  readonly lastError: Error | undefined;
  /** Calls in flight on this upstream (maintained by the host; used by pickers). */
  readonly inFlight: number;
  /** What the upstream said it can do at its last initialize (`undefined` until it connected). */
  readonly capabilities: ServerCapabilities | undefined;
  /** Name and version the upstream reported at its last initialize. */
  readonly serverInfo: Implementation | undefined;
  /** The era its last connection speaks (`modern`: 2026-07-28, stateless); `undefined` until it connected. */
  readonly era?: ProtocolEra;
  /** The protocol version of its last connection. */
  readonly protocolVersion?: string;
}

/**
 * What a server entry says about how far to believe and how to call it, besides its transport:
 * typed and validated here, so no plugin reads them through casts.
 */
export interface ServerPolicyFields {
  /**
   * The server's tool annotations (`readOnlyHint`, `idempotentHint`) are believed: retry, caching and
   * hedging of `tools/call` rely on them (see `ToolEntry.safety`). A server is trusted only when every
   * one of its replicas is. Default false.
   */
  trusted?: boolean;
  /** Per-server call settings. */
  settings?: ServerSettings;
  /**
   * Who shares an upstream session (see docs/sessions.md). `auto` (default): a session carries the
   * calls of one caller at a time and, once it answered `roots/list`, only callers with those roots;
   * `shared`: one session for every caller, no caller state; `per-client`: one session per downstream
   * client; `per-principal`: one per caller name (named token).
   */
  sessions?: SessionsMode;
  /**
   * Which MCP era to speak to it: `auto` (default: a `server/discover` probe, falling back to
   * `initialize`), `2025-11-25` (sessionful, no probe) or `2026-07-28` (stateless, no `initialize`).
   * Validated by the transport's config check; see docs/protocol-eras.md.
   */
  protocol?: UpstreamProtocol;
  /** Most upstream sessions of one upstream (replica) under `auto`/`per-client`/`per-principal`. Default 32. */
  maxSessionsPerUpstream?: number;
  /** A caller session (not the first, shared one) unused this long is closed (stdio: its process ends), ms. Default 60_000. */
  sessionIdleMs?: number;
}

/** How callers share an upstream's sessions (`sessions` in a server entry). */
export type SessionsMode = 'auto' | 'shared' | 'per-client' | 'per-principal';

/** Per-server call settings (`settings` in a server entry). */
export interface ServerSettings {
  /** Default time limit of each request to this server, ms. */
  timeout?: number;
  /** At most this many retries of a call to this server. */
  retries?: number;
}

/** A server's validated config: its transport fields and {@link ServerPolicyFields} (validated by core's config parsing). */
export type UpstreamConfig = ServerConfig & ServerPolicyFields;
