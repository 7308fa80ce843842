import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { connect, type Connection } from '@mcp-bridge/transports';
import { waitForCall } from './call-wait.js';
import { BridgeStateError, UpstreamUnavailableError } from './errors.js';
import { failureOf } from './failure.js';
import type { Balancer, CallContext, HealthPolicyFactory, Pool, PoolHost, TransportService, Upstream } from './types.js';

/**
 * Core's balancer: the first replica not yet tried by this call that is not unhealthy; failing
 * that, the first not yet tried; failing that (a retry on a single upstream), the first healthy.
 */
export const firstHealthyBalancer: Balancer = {
  pick(ctx: CallContext, candidates: readonly Upstream[]): Upstream | undefined {
    if (candidates.length === 1) return candidates[0];
    let untried: Upstream | undefined;
    let healthy: Upstream | undefined;
    for (const up of candidates) {
      const fresh = !ctx.tried.has(up.id);
      const ok = up.health !== 'unhealthy';
      if (fresh && ok) return up;
      if (fresh && !untried) untried = up;
      if (ok && !healthy) healthy = up;
    }
    return untried ?? healthy ?? candidates[0];
  },
};

/**
 * Core's passive health: unhealthy when a connection fails or is lost, or when a call fails at the
 * transport level (refused, reset, HTTP error); healthy again on connect or on the next success.
 */
export const defaultHealthPolicy: HealthPolicyFactory = (host) => ({
  connected(up) {
    host.setHealth(up, 'healthy');
  },
  disconnected(up, error) {
    host.setHealth(up, 'unhealthy', error?.message);
  },
  attempted(up, ctx, error) {
    if (error === undefined) {
      if (up.health !== 'healthy' && up.status === 'ready') host.setHealth(up, 'healthy', 'a call succeeded');
    } else if (failureOf(error, ctx.signal).kind === 'unreachable') {
      host.setHealth(up, 'unhealthy', (error as Error).message);
    }
  },
});

/** Core's transport service: the connectors of `@mcp-bridge/transports`. */
export const defaultTransport: TransportService = { connect };

/** Options of the default pool. */
export interface DefaultPoolOptions {
  /** First wait before reconnecting a failed upstream, ms (default 500). Doubles per failure. */
  reconnectMinMs?: number;
  /** Longest wait between reconnects, ms (default 30_000). */
  reconnectMaxMs?: number;
  /**
   * A connection that dies sooner than this after opening counts as a failed connect (ms, default
   * 5_000), so a server that crashes on its first request backs off instead of respawning hot.
   */
  minUptimeMs?: number;
}

interface Slot {
  connection: Connection | undefined;
  connectedAt: number;
  connecting: Promise<Connection> | undefined;
  failures: number;
  retryAt: number;
  lastError: Error | undefined;
}

/** The default pool's state, shared by the pool's methods and its opener. */
interface PoolState {
  readonly minMs: number;
  readonly maxMs: number;
  readonly minUptimeMs: number;
  readonly slots: Map<Upstream, Slot>;
  /** Upstreams of removed servers: a call that picked one before the removal must not reopen it. */
  readonly released: WeakSet<Upstream>;
  closed: boolean;
}

/** Opens (or shares the open of) an upstream's connection, with back-off after failures. */
function createOpener(host: PoolHost, s: PoolState): (up: Upstream) => Promise<Connection> {
  const { slots, released, minMs, maxMs, minUptimeMs } = s;

  const slotOf = (up: Upstream): Slot => {
    let slot = slots.get(up);
    if (!slot)
      slots.set(
        up,
        (slot = { connection: undefined, connectedAt: 0, connecting: undefined, failures: 0, retryAt: 0, lastError: undefined }),
      );
    return slot;
  };

  const backOff = (slot: Slot, error: Error): void => {
    slot.failures++;
    slot.lastError = error;
    slot.retryAt = Date.now() + Math.min(maxMs, minMs * 2 ** (slot.failures - 1));
  };

  return (up: Upstream): Promise<Connection> => {
    if (s.closed) return Promise.reject(new BridgeStateError('the bridge is closed'));
    if (released.has(up)) {
      return Promise.reject(
        new UpstreamUnavailableError(`server "${up.server}" was removed`, { data: { server: up.server, upstream: up.id, sent: false } }),
      );
    }
    const slot = slotOf(up);
    if (slot.connection) return Promise.resolve(slot.connection);
    if (slot.connecting) return slot.connecting;
    const now = Date.now();
    if (slot.failures > 0 && now < slot.retryAt) {
      return Promise.reject(
        new UpstreamUnavailableError(
          `server "${up.server}" is unavailable (${slot.lastError?.message ?? 'connection failed'}); next reconnect in ${Math.ceil((slot.retryAt - now) / 1000)} s`,
          { cause: slot.lastError, data: { server: up.server, upstream: up.id, sent: false } },
        ),
      );
    }
    host.statusChanged(up, 'connecting');
    const attempt = host.connect(up).then(
      (conn) => {
        slot.connecting = undefined;
        if (s.closed || released.has(up)) {
          void conn.close();
          throw s.closed
            ? new BridgeStateError('the bridge closed while connecting')
            : new UpstreamUnavailableError(`server "${up.server}" was removed`);
        }
        slot.connection = conn;
        slot.connectedAt = Date.now();
        host.statusChanged(up, 'ready');
        void conn.closed.then(() => {
          if (slot.connection !== conn) return;
          slot.connection = undefined;
          if (s.closed || released.has(up)) return;
          // Why, when the transport knows (a stdio server that closed its stdout, a sandboxed one killed at a limit).
          const why = conn.endReason?.();
          const error = new UpstreamUnavailableError(`server "${up.server}" closed its connection${why ? `: ${why}` : ''}`, {
            data: { server: up.server, upstream: up.id },
          });
          // A connection that lived is reopened on the next call at once; one that died young
          // counts as a failed connect, so a crash loop backs off.
          if (Date.now() - slot.connectedAt < minUptimeMs) backOff(slot, error);
          else slot.failures = 0;
          host.statusChanged(up, 'failed', error);
        });
        return conn;
      },
      (error: Error) => {
        slot.connecting = undefined;
        backOff(slot, error);
        if (!released.has(up)) host.statusChanged(up, 'failed', error);
        throw error;
      },
    );
    slot.connecting = attempt;
    return attempt;
  };
}

/**
 * Core's pool: one connection per upstream, opened lazily (or at start), reopened on the next call
 * after it dies, with a growing pause after consecutive failures so a broken server is not hammered.
 * The pool plugin replaces it with min/max sessions, supervision and bulkheads.
 */
export function createDefaultPool(host: PoolHost, options: DefaultPoolOptions = {}): Pool {
  const s: PoolState = {
    minMs: options.reconnectMinMs ?? 500,
    maxMs: options.reconnectMaxMs ?? 30_000,
    minUptimeMs: options.minUptimeMs ?? 5_000,
    slots: new Map<Upstream, Slot>(),
    released: new WeakSet<Upstream>(),
    closed: false,
  };
  const { slots, released } = s;
  const open = createOpener(host, s);

  return {
    run<T>(up: Upstream, ctx: CallContext, fn: (client: Client, ctx: CallContext) => Promise<T>): Promise<T> {
      const conn = slots.get(up)?.connection;
      if (conn) return fn(conn.client, ctx);
      // A connect is shared by every call waiting for it; each call still keeps its own deadline.
      return waitForCall(open(up), ctx, `server "${up.server}"`).then((c) => fn(c.client, ctx));
    },
    async warm(up) {
      await open(up);
    },
    connection(up) {
      return slots.get(up)?.connection;
    },
    async release(up) {
      released.add(up);
      const slot = slots.get(up);
      slots.delete(up);
      const conn = slot?.connection;
      if (slot) slot.connection = undefined;
      // A connect in flight closes its connection itself when it lands (released above).
      await (conn ?? (await slot?.connecting?.catch(() => undefined)))?.close();
    },
    async close() {
      s.closed = true;
      const all = [...slots.values()];
      slots.clear();
      await Promise.allSettled(
        all.map(async (slot) => {
          const conn = slot.connection ?? (await slot.connecting?.catch(() => undefined));
          await conn?.close();
        }),
      );
    },
  };
}
