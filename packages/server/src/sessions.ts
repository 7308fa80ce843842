import type { SessionIdentity } from './session-identity.js';
import type { Bridge } from '@mcp-bridge/core';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { ClientCapabilities, LoggingLevel } from '@modelcontextprotocol/sdk/types.js';

/** One downstream MCP session (an HTTP session, or the stdio client). */
export interface DownstreamSession {
  /** Session id. */
  readonly id: string;
  /** The `caller` of every bridge call it makes, lists included: a named token's name, the `caller` option's answer, or a random per-session handle (never the session id, which is a secret). */
  readonly caller: string;
  /** The SDK server speaking to this client. */
  readonly server: Server;
  /** Minimum level of log messages this client asked for (`undefined`: everything). */
  logLevel: LoggingLevel | undefined;
  /** Exposed URIs this client subscribed to. */
  readonly subscriptions: Set<string>;
  /** The authenticated principal behind `caller`, if any (see {@link SessionIdentity}). */
  readonly identity?: SessionIdentity | undefined;
}

/** The client capabilities a session declared at initialize. */
export function capabilitiesOf(session: DownstreamSession): ClientCapabilities | undefined {
  return session.server.getClientCapabilities();
}

const LEVELS: readonly LoggingLevel[] = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];

/**
 * The log levels of the sessions of one bridge. Upstreams are asked for the most verbose level any
 * session wants (a session that never set a level wants everything); each session then gets only
 * what its own level lets through ({@link allows}).
 */
export class LogLevels {
  readonly #bridge: Bridge;
  readonly #sessions: ReadonlyMap<string, DownstreamSession>;
  readonly #onError: (error: unknown) => void;
  #upstreamLevel: LoggingLevel | undefined;

  constructor(bridge: Bridge, sessions: ReadonlyMap<string, DownstreamSession>, onError: (error: unknown) => void) {
    this.#bridge = bridge;
    this.#sessions = sessions;
    this.#onError = onError;
  }

  /** Whether a log message of `level` reaches `session`. */
  static allows(session: DownstreamSession, level: unknown): boolean {
    if (session.logLevel === undefined) return true;
    const index = LEVELS.indexOf(level as LoggingLevel);
    return index === -1 || index >= LEVELS.indexOf(session.logLevel);
  }

  /** The sessions changed, or one's level did: tell the upstreams the level they should now send (as `caller`). */
  async sync(caller: string): Promise<void> {
    if (this.#sessions.size === 0) return;
    let min = LEVELS.length - 1;
    for (const s of this.#sessions.values()) min = Math.min(min, s.logLevel === undefined ? 0 : LEVELS.indexOf(s.logLevel));
    const level = LEVELS[min]!;
    // Never told: the upstreams send everything already.
    if (level === this.#upstreamLevel || (this.#upstreamLevel === undefined && level === 'debug')) return;
    this.#upstreamLevel = level;
    const bridge = this.#bridge;
    if (bridge.state !== 'ready') return;
    const servers = bridge.servers().filter((s) => bridge.upstreams(s).some((u) => u.capabilities?.logging));
    const results = await Promise.allSettled(servers.map((s) => bridge.request(s, 'logging/setLevel', { level }, { caller })));
    for (const r of results) if (r.status === 'rejected') this.#onError(r.reason);
  }
}
