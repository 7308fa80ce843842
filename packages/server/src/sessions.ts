import type { SessionIdentity } from './session-identity.js';
import type { Bridge } from '@mcp-bridge/core';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { ClientCapabilities, LoggingLevel, Root } from '@modelcontextprotocol/sdk/types.js';

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
  /** Who the client is for core's per-caller upstream sessions (`CallLink.client`): unique per session, not a secret. */
  readonly key: string;
  /** The client's roots as it last answered `roots/list` (`undefined`: not asked yet, or changed since). */
  roots: Root[] | undefined;
  /** Fingerprint of {@link roots} (`'[]'` when none): an upstream session bound to other roots is not lent to this client. */
  rootsKey: string;
  /** The `roots/list` in progress, shared by the calls that wait for it. */
  rootsFetch: Promise<void> | undefined;
  /** Bumped by each `roots/list_changed`: an answer to an older ask is stale. */
  rootsVersion: number;
}

/** How long the gateway waits for a client's `roots/list` answer before its call goes on without roots. */
const ROOTS_TIMEOUT_MS = 10_000;

/** The fingerprint of a roots list: its URIs, sorted (names do not change what a server may reach). */
export function rootsFingerprint(roots: readonly Root[]): string {
  return JSON.stringify(roots.map((r) => r.uri).sort());
}

/** The client announced new roots: forget the old ones; its next call asks again (and gets an upstream session bound to the new ones). */
export function rootsChanged(session: DownstreamSession): void {
  session.rootsVersion++;
  session.roots = undefined;
  session.rootsFetch = undefined;
}

/**
 * Resolves once the session's roots are known, asking the client through `ask` (a call's link, so
 * over HTTP the request travels on that call's stream) when they are not; `undefined` when they are
 * known already (the hot path: nothing to wait for). A client without the `roots` capability has none.
 */
export function rootsReady(
  session: DownstreamSession,
  ask: (request: { method: string }, options: { signal?: AbortSignal; timeout?: number }) => Promise<Record<string, unknown>>,
  signal: AbortSignal | undefined,
): Promise<void> | undefined {
  if (session.roots !== undefined) return undefined;
  if (!session.server.getClientCapabilities()?.roots) {
    session.roots = [];
    session.rootsKey = '[]';
    return undefined;
  }
  const version = session.rootsVersion;
  const settle = (roots: Root[]): void => {
    if (session.rootsVersion !== version) return;
    session.roots = roots;
    session.rootsKey = rootsFingerprint(roots);
    session.rootsFetch = undefined;
  };
  session.rootsFetch ??= ask({ method: 'roots/list' }, { ...(signal ? { signal } : {}), timeout: ROOTS_TIMEOUT_MS }).then(
    (result) => settle(validRoots(result.roots)),
    () => {
      // The call that asked was cancelled: the client did not answer "no roots"; the next call asks again.
      if (signal?.aborted) {
        if (session.rootsVersion === version) session.rootsFetch = undefined;
        return;
      }
      // A client that cannot say has no roots the gateway could pass on; the call goes on without.
      settle([]);
    },
  );
  return session.rootsFetch;
}

function validRoots(value: unknown): Root[] {
  if (!Array.isArray(value)) return [];
  return value.filter((r): r is Root => typeof r === 'object' && r !== null && typeof (r as { uri?: unknown }).uri === 'string');
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
