import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { ProtocolEra } from '@mcp-bridge/transports';
import type { ListKind } from './catalog.js';
import { callContext, run } from './call-path.js';
import { ALL_KINDS, CatalogSync } from './catalog-sync.js';
import { MAX_TIMER_MS } from './call-wait.js';
import { parseServers, type ValidServer } from './config.js';
import { BridgeError, ConfigError, NoUpstreamError, UpstreamUnavailableError } from './errors.js';
import { errorMessage } from './helpers.js';
import { ensureReady, type HostCore } from './host-core.js';
import { deliverProgressFirst } from './progress-order.js';
import { ServerWatch } from './server-watch.js';
import type { HealthState, PoolHost, ServerListStatus, Services, Upstream, UpstreamStatus } from './types.js';
import { HostUpstream, upstreamState } from './upstream.js';
import { CORE_VERSION } from './version.js';

// The upstream registry: servers and their upstreams (add, remove), connecting them, their status.

/** Snapshot of one server for reports (`bridge.status()`). */
export interface ServerStatus {
  name: string;
  /**
   * `starting` until its first listing settled (never `ok` before); `pending` while the bridge itself
   * starts (`startMode: 'wait'`); `invalid` when its config entry was rejected.
   */
  state: 'ok' | 'degraded' | 'down' | 'invalid' | 'pending' | 'starting';
  upstreams: {
    id: string;
    kind: string;
    status: UpstreamStatus;
    health: HealthState;
    inFlight: number;
    pid?: number;
    /** The era of its live connection: `legacy` (2025, sessions) or `modern` (2026-07-28, stateless). */
    era?: ProtocolEra;
    /** The protocol version of its live connection. */
    protocolVersion?: string;
    lastError?: string;
  }[];
  lists: Record<ListKind, ServerListStatus>;
  /** Config problems, for `invalid` servers. */
  issues?: { path: string; message: string }[];
}

const CHANGED_NOTIFICATIONS: Record<string, readonly ListKind[]> = {
  'notifications/tools/list_changed': ['tools'],
  'notifications/prompts/list_changed': ['prompts'],
  'notifications/resources/list_changed': ['resources', 'templates'],
};

/** What the pool gets from the bridge: connect an upstream (with the connect events), report its status. */
export function createPoolHost(s: HostCore, transport: Services['transport']): PoolHost {
  const clientInfo = s.options.clientInfo ?? { name: 'mcp-bridge', version: CORE_VERSION };
  const capabilities = s.options.clientCapabilities ?? {};
  const connectAttempts = new WeakMap<Upstream, number>();
  return {
    connect: async (given, signal) => {
      // A caller's lane connects as its real upstream: events, capabilities and metrics name that one.
      const up = s.lanes.realOf(given);
      const attempt = (connectAttempts.get(up) ?? 0) + 1;
      connectAttempts.set(up, attempt);
      s.events.emit('connect:before', { server: up.server, upstream: up, attempt });
      const started = performance.now();
      const signals = signal ? AbortSignal.any([signal, s.closeController.signal]) : s.closeController.signal;
      try {
        const connection = await transport.connect(up.server, up.config, {
          clientInfo,
          capabilities,
          timeoutMs: s.options.connectTimeout ?? 30_000,
          signal: signals,
          // A per-principal session calls as its principal (an HTTP upstream's `auth`).
          principal: s.lanes.principalOf(given),
          configure: (client) => {
            s.lanes.clientCreated(given, client);
            configureClient(s, up, client);
          },
        });
        deliverProgressFirst(connection.client);
        const state = upstreamState(up);
        state.capabilities = connection.client.getServerCapabilities();
        state.serverInfo = connection.client.getServerVersion();
        state.era = connection.era;
        state.protocolVersion = connection.protocolVersion;
        s.events.emit('connect:after', { server: up.server, upstream: up, connection, durationMs: performance.now() - started });
        return connection;
      } catch (cause) {
        const error = BridgeError.isInstance(cause)
          ? (cause as Error)
          : new UpstreamUnavailableError(`server "${up.server}" failed to connect: ${errorMessage(cause)}`, {
              cause,
              // A call that waited for this connect never left the bridge (retry may resend any call).
              data: { server: up.server, upstream: up.id, kind: up.kind, sent: false },
            });
        if (!s.closeController.signal.aborted) {
          s.events.emit('connect:error', { server: up.server, upstream: up, error, durationMs: performance.now() - started });
        }
        throw error;
      }
    },
    statusChanged: (up, status, error) => {
      // A caller's lane is one more session of its upstream: its failure tells health, its other changes are no news.
      if (!s.lanes.isLane(up)) statusChanged(s, up, status, error);
      else if (status === 'failed' && !s.closeController.signal.aborted) s.health.disconnected(s.lanes.realOf(up), error);
    },
  };
}

/** An upstream's connection status changed: keep its state, tell health, re-list after a reconnect. */
export function statusChanged(s: HostCore, up: Upstream, status: UpstreamStatus, error?: Error): void {
  const state = upstreamState(up);
  state.status = status;
  if (error) state.lastError = error;
  // Once closing, plugins have cleaned up: no more health changes or events.
  if (s.closeController.signal.aborted) return;
  if (status === 'ready') {
    state.lastError = undefined;
    s.health.connected(up);
    // A reconnect may come back with another catalog (a new version of the server), and a server
    // that was down when last listed has never been listed: re-list either, except kinds being
    // fetched right now (that fetch may be what reconnected).
    const unlisted = ALL_KINDS.some((kind) => s.catalog.fetchStatus(up.server, kind)?.status !== 'ok');
    if ((s.connectedBefore.has(up) || unlisted) && s.state === 'ready') void s.sync.refreshIdle(up.server);
    s.connectedBefore.add(up);
  } else if (status === 'failed') {
    s.health.disconnected(up, error);
  }
}

/** The health policy's verdict on an upstream, with `upstream:health` when it changed. */
export function setHealth(s: HostCore, up: Upstream, state: HealthState, reason?: string): void {
  const previous = up.health;
  if (previous === state) return;
  upstreamState(up).health = state;
  s.events.emit('upstream:health', { server: up.server, upstream: up, state, previous, ...(reason ? { reason } : {}) });
}

/** A new SDK client of an upstream: list_changed notifications re-list, every notification is an event. */
export function configureClient(s: HostCore, up: Upstream, client: Client): void {
  // The SDK's handler type returns a promise; nothing here waits.
  // eslint-disable-next-line @typescript-eslint/require-await
  client.fallbackNotificationHandler = async (notification) => {
    const kinds = CHANGED_NOTIFICATIONS[notification.method];
    if (kinds && (s.state === 'ready' || s.state === 'starting')) void s.sync.refresh(up.server, kinds);
    s.events.emit('notification', {
      server: up.server,
      upstream: up,
      client,
      method: notification.method,
      params: notification.params,
    });
  };
  s.events.emit('client:created', { server: up.server, upstream: up, client });
}

/** Connects some upstream of the server, healthiest first, for the catalog. */
export async function warm(s: HostCore, server: string): Promise<Upstream> {
  const ups = s.upstreams.get(server);
  if (!ups || ups.length === 0) throw new NoUpstreamError(`server "${server}" has no upstream`, { data: { server } });
  const ordered = [...ups].sort((a, b) => Number(a.health === 'unhealthy') - Number(b.health === 'unhealthy'));
  let lastError: unknown;
  for (const up of ordered) {
    try {
      await s.pool.warm(up);
      return up;
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

/**
 * Adds a server to a running bridge and lists it (fail-open, like at start). Rejects with a
 * {@link ConfigError} naming the field when the entry is invalid, or when the name is taken.
 */
export async function addServer(s: HostCore, name: string, config: unknown): Promise<void> {
  ensureReady(s);
  if (s.upstreams.has(name)) throw new ConfigError(`server "${name}" already exists; remove it first`, { data: { server: name } });
  const { valid, invalid } = parseServers({ [name]: config });
  if (invalid[0]) {
    throw new ConfigError(`server "${name}" has an invalid config: ${invalid[0].issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, {
      data: { server: name, issues: invalid[0].issues },
    });
  }
  s.invalid.delete(name);
  const ups = newUpstreams(valid[0]!);
  s.upstreams.set(name, ups);
  s.catalog.addServer(name);
  for (const up of ups) s.events.emit('upstream:add', { server: name, upstream: up });
  await s.watch.begin(name);
}

/**
 * Removes a server: its entries leave the catalog (`catalog:changed`), its connections are closed
 * (stdio: the process group is ended). Resolves `false` when there was no such server.
 */
export async function removeServer(s: HostCore, name: string): Promise<boolean> {
  ensureReady(s);
  const ups = s.upstreams.get(name);
  if (!ups) return s.invalid.delete(name);
  s.upstreams.delete(name);
  s.catalog.removeServer(name);
  s.sync.forget(name);
  s.watch.forget(name);
  for (const up of ups) s.events.emit('upstream:remove', { server: name, upstream: up });
  s.events.emit('catalog:changed', { server: name, kinds: ['tools', 'prompts', 'resources'] });
  await Promise.allSettled(ups.flatMap((up) => [s.lanes.release(up), s.pool.release(up)]));
  return true;
}

/** A report of every server: connection, health, list status, config problems. */
export function serverStatuses(s: HostCore): ServerStatus[] {
  const out: ServerStatus[] = [];
  const catalog = s.catalog;
  const lists = catalog
    ? (Object.fromEntries(ALL_KINDS.map((k) => [k, catalog.status(k)])) as Record<ListKind, Record<string, ServerListStatus>>)
    : undefined;
  for (const [name, ups] of s.upstreams) {
    const upstreams = ups.map((u) => {
      const conn = s.pool?.connection(u);
      return {
        id: u.id,
        kind: u.kind,
        status: u.status,
        health: u.health,
        inFlight: u.inFlight,
        ...(conn?.pid !== undefined ? { pid: conn.pid } : {}),
        ...(conn?.era !== undefined ? { era: conn.era } : {}),
        ...(conn?.protocolVersion !== undefined ? { protocolVersion: conn.protocolVersion } : {}),
        ...(u.lastError ? { lastError: u.lastError.message } : {}),
      };
    });
    const listStatus = Object.fromEntries(ALL_KINDS.map((k) => [k, lists?.[k][name] ?? { status: 'pending' as const }])) as Record<
      ListKind,
      ServerListStatus
    >;
    const healthy = upstreams.filter((u) => u.health !== 'unhealthy').length;
    const state =
      s.state === 'new' || s.state === 'starting'
        ? 'pending'
        : s.watch.isStarting(name)
          ? 'starting'
          : healthy === 0
            ? 'down'
            : healthy < upstreams.length
              ? 'degraded'
              : 'ok';
    out.push({ name, state, upstreams, lists: listStatus });
  }
  for (const bad of s.invalid.values()) {
    const failed: ServerListStatus = {
      status: 'error',
      code: 'CONFIG_INVALID',
      error: bad.issues.map((i) => `${i.path}: ${i.message}`).join('; '),
    };
    out.push({
      name: bad.name,
      state: 'invalid',
      upstreams: [],
      lists: { tools: failed, prompts: failed, resources: failed, templates: failed },
      issues: bad.issues,
    });
  }
  return out;
}

// Frozen: plugins get this very array from upstreams(); a server's replicas change only by replacing it.
export function newUpstreams(server: ValidServer): readonly Upstream[] {
  return Object.freeze(server.replicas.map((replica) => new HostUpstream(replica.id, server.name, replica.config, replica.kind)));
}

/** Builds the catalog sync and the server watch (at boot, once the catalog and pool are there). */
export function watchServers(s: HostCore): void {
  s.sync = new CatalogSync({
    catalog: s.catalog,
    warm: (server) => warm(s, server),
    list: (server, method, params) =>
      run(s, callContext(s, method, server, params, undefined, undefined, 'catalog')) as Promise<Record<string, unknown>>,
    live: () => s.state === 'starting' || s.state === 'ready',
    changed: (server, kind) => {
      if (s.state === 'ready') s.events.emit('catalog:changed', { server, kinds: [kind] });
    },
    warn: (server, warning) => s.events.emit('catalog:warning', { server, ...warning }),
    onError: (error) => s.onError(error),
    settled: (server) => s.watch.settled(server),
  });
  s.watch = new ServerWatch({
    catalog: () => s.catalog,
    servers: () => [...s.upstreams.keys()],
    refresh: (server, kinds) => s.sync.refresh(server, kinds),
    live: (server) => s.upstreams.has(server) && (s.state === 'starting' || s.state === 'ready'),
    started: (server, durationMs) => {
      const failed = ALL_KINDS.map((kind) => s.catalog.fetchStatus(server, kind)).find(
        (st) => st && st.status !== 'ok' && st.status !== 'pending',
      );
      s.events.emit('server:started', { server, ok: failed === undefined, durationMs, ...(failed?.error ? { error: failed.error } : {}) });
    },
    retry:
      s.options.startMode === 'background'
        ? { minMs: s.options.reconnectMinMs ?? 500, maxMs: s.options.reconnectMaxMs ?? 30_000 }
        : undefined,
  });
}

/** Lists every server at start, for at most `startTimeout`. */
export async function initialListing(s: HostCore): Promise<void> {
  const all = Promise.all([...s.upstreams.keys()].map((srv) => s.watch.begin(srv)));
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, Math.min(s.options.startTimeout ?? 30_000, MAX_TIMER_MS));
  });
  try {
    // Late servers keep listing in the background and join the catalog (with catalog:changed) when they answer.
    await Promise.race([all, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
