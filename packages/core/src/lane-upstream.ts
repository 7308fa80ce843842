import { MODERN_PROTOCOL_VERSION } from '@mcp-bridge/transports';
import type { Upstream } from './types.js';

/** How the pool sees a lane: an upstream of its own with the real one's config (fields read through). */
export class LaneUpstream implements Upstream {
  constructor(
    readonly real: Upstream,
    readonly id: string,
  ) {}
  get server(): string {
    return this.real.server;
  }
  get config(): Upstream['config'] {
    return this.real.config;
  }
  get kind(): Upstream['kind'] {
    return this.real.kind;
  }
  get status(): Upstream['status'] {
    return this.real.status;
  }
  get health(): Upstream['health'] {
    return this.real.health;
  }
  get lastError(): Error | undefined {
    return this.real.lastError;
  }
  get inFlight(): number {
    return this.real.inFlight;
  }
  get capabilities(): Upstream['capabilities'] {
    return this.real.capabilities;
  }
  get serverInfo(): Upstream['serverInfo'] {
    return this.real.serverInfo;
  }
  get era(): Upstream['era'] {
    return this.real.era;
  }
  get protocolVersion(): Upstream['protocolVersion'] {
    return this.real.protocolVersion;
  }
}

/**
 * The upstream of the config behind an upstream a pool was given: a caller's session (docs/sessions.md)
 * is handed to the pool as an upstream of its own; per-upstream limits (a bulkhead) belong to this one.
 */
export function upstreamOf(up: Upstream): Upstream {
  return up instanceof LaneUpstream ? up.real : up;
}

/**
 * Whether the upstream keeps no session (MCP 2026-07-28): no caller state lives upstream, so callers
 * share one connection (the pool's limits and health still apply). Known from the pinned config
 * before any connect, else from the era its connection negotiated.
 */
export function isStateless(up: Upstream): boolean {
  return up.config.protocol === MODERN_PROTOCOL_VERSION || up.era === 'modern';
}
