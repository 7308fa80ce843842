import type { ProtocolEra, ServerConfig, TransportKind } from '@mcp-bridge/transports';
import type { Implementation, ServerCapabilities } from '@modelcontextprotocol/sdk/types.js';
import type { HealthState, Upstream, UpstreamStatus } from './types.js';

/** The fields of an upstream only the host changes. */
export interface UpstreamState {
  status: UpstreamStatus;
  health: HealthState;
  lastError: Error | undefined;
  inFlight: number;
  capabilities: ServerCapabilities | undefined;
  serverInfo: Implementation | undefined;
  era?: ProtocolEra;
  protocolVersion?: string;
}

let stateOf: (up: HostUpstream) => UpstreamState;

/**
 * The host's upstream object. Plugins, pools and balancers get this very object (so identity,
 * WeakMaps and `includes` keep working), but its changing fields are getters over private state:
 * assigning `up.health = ...` throws, so only the host (through {@link upstreamState}) changes them.
 */
export class HostUpstream implements Upstream {
  readonly id: string;
  readonly server: string;
  readonly config: ServerConfig;
  readonly kind: TransportKind;
  readonly #state: UpstreamState = {
    status: 'idle',
    health: 'healthy',
    lastError: undefined,
    inFlight: 0,
    capabilities: undefined,
    serverInfo: undefined,
  };

  static {
    stateOf = (up) => up.#state;
  }

  constructor(id: string, server: string, config: ServerConfig, kind: TransportKind) {
    this.id = id;
    this.server = server;
    this.config = config;
    this.kind = kind;
  }

  get status(): UpstreamStatus {
    return this.#state.status;
  }
  get health(): HealthState {
    return this.#state.health;
  }
  get lastError(): Error | undefined {
    return this.#state.lastError;
  }
  get inFlight(): number {
    return this.#state.inFlight;
  }
  get capabilities(): ServerCapabilities | undefined {
    return this.#state.capabilities;
  }
  get serverInfo(): Implementation | undefined {
    return this.#state.serverInfo;
  }
  get era(): ProtocolEra | undefined {
    return this.#state.era;
  }
  get protocolVersion(): string | undefined {
    return this.#state.protocolVersion;
  }

  /** Own enumerable fields are only the fixed ones: show the live state too (console, test diffs). */
  toJSON(): Record<string, unknown> {
    const { id, server, kind } = this;
    return { id, server, kind, ...this.#state, lastError: this.#state.lastError?.message };
  }
}

/**
 * The writable state behind an upstream. An object that is not the host's own (a test's fake, or a
 * custom service's) is its own state, as before upstreams were read-only.
 */
export function upstreamState(up: Upstream): UpstreamState {
  return up instanceof HostUpstream ? stateOf(up) : up;
}
