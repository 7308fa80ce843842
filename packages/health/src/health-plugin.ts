import {
  failureOf,
  parsePluginOptions,
  type CallContext,
  type HealthHost,
  type HealthState,
  type Plugin,
  type Upstream,
} from '@mcp-bridge/core';
import { healthOptionsSchema, PROBE_DEFAULTS, type HealthOptions, type ProbeSettings, type ProbeTarget } from './options.js';
import { HealthTracker, type UpstreamRecord } from './tracker.js';
import { VERSION } from './version.js';

/** One upstream in a {@link HealthSnapshot}. */
export interface UpstreamHealth {
  id: string;
  state: HealthState;
  /** Why it is in this state. */
  reason: string | undefined;
  /** When it entered this state (epoch ms). */
  since: number;
  /** Connection status (from the pool). */
  status: Upstream['status'];
  inFlight: number;
  /** Epoch ms when the current ejection ends, if ejected. */
  ejectedUntil: number | undefined;
  ejections: number;
  consecutiveFailures: number;
  /** Success share of the last `window` calls (1 with none). */
  successRate: number;
  /** Calls in the window. */
  calls: number;
  /** Latency quantiles of the calls in the window, ms. */
  latencyMs: { p50: number; p95: number; p99: number } | undefined;
  /** The last active probe. */
  probe: { ok: boolean; ms: number; at: number; error?: string } | undefined;
}

/** `bridge.health()`: every server, its overall state and its upstreams. */
export interface HealthSnapshot {
  at: number;
  servers: Record<string, { state: HealthState; hidden: boolean; upstreams: UpstreamHealth[] }>;
}

/**
 * Whether a failed call counts against its upstream by default (the `isFailure` option replaces it):
 * core's verdict says the upstream itself failed (`unreachable`, `timeout`). The caller's own bad
 * request, a refusal before sending, an answer (the upstream is alive) or the caller giving up do not.
 */
export function countsAgainstUpstream(error: unknown, signal?: AbortSignal): boolean {
  const kind = failureOf(error, signal).kind;
  return kind === 'unreachable' || kind === 'timeout';
}

declare module '@mcp-bridge/core' {
  interface BridgeExtensions {
    /** Added by `@mcp-bridge/health`: a snapshot of every server's health. */
    health: () => HealthSnapshot;
  }
  interface BridgeEvents {
    /** Passive outlier detection ejected an upstream for `durationMs`. */
    'health:eject': { server: string; upstream: Upstream; durationMs: number; ejections: number; reason: string };
    /** An active probe ended. */
    'health:probe': { server: string; upstream: Upstream; ok: boolean; ms: number; error?: string };
  }
}

/**
 * Health for upstreams: provides the `health` service (passive outlier detection on call results)
 * and runs active probes. Core emits `upstream:health` on every state change; the load balancer
 * skips UNHEALTHY replicas. Adds `bridge.health()`.
 *
 * @example
 * ```ts
 * import { createBridge } from '@mcp-bridge/core';
 * import { health } from '@mcp-bridge/health';
 *
 * const bridge = createBridge({
 *   servers: { api: { command: 'node', args: ['api.js'], replicas: 3 } },
 *   plugins: [health({ probes: { intervalMs: 5_000 }, hideUnhealthy: true })],
 * });
 * await bridge.start();
 * bridge.on('upstream:health', (e) => console.log(e.upstream.id, e.previous, '->', e.state, e.reason));
 * console.log(bridge.health().servers.api);
 * ```
 */
export function health(options: HealthOptions = {}): Plugin {
  return {
    name: '@mcp-bridge/health',
    version: VERSION,
    core: '^0.1.0',
    provides: ['health'],
    setup(api) {
      const o = parsePluginOptions(api.plugin, healthOptionsSchema, options);
      const now = o.now ?? Date.now;
      const random = o.random ?? Math.random;
      const probes: ProbeSettings | false = o.probes === true ? PROBE_DEFAULTS : o.probes;
      const isFailure = (error: unknown, ctx: CallContext): boolean => (o.isFailure ? o.isFailure(error) : countsAgainstUpstream(error, ctx.signal));
      const bridge = api.bridge;
      let host: HealthHost | undefined;
      let closed = false;
      const starts = new WeakMap<CallContext, number>();

      const tracker = new HealthTracker({
        options: o,
        now,
        siblings: (up) => bridge.upstreams(up.server),
        host: () => host,
        changed: (up) => syncHidden(up.server),
        ejected: (up, durationMs, ejections, reason) => {
          if (api.hasListeners('health:eject')) api.emit('health:eject', { server: up.server, upstream: up, durationMs, ejections, reason });
        },
      });

      /** Hide a server's entries while every upstream of it is down; show them when one is back. */
      const syncHidden = (server: string): void => {
        if (!o.hideUnhealthy || closed || bridge.state !== 'ready') return;
        const ups = bridge.upstreams(server);
        const down = ups.length > 0 && ups.every((u) => u.health === 'unhealthy');
        if (bridge.isServerHidden(server) !== down) bridge.setServerHidden(server, down);
      };

      api.provide('health', (h) => {
        host = h;
        return {
          connected: (up) => tracker.connected(up),
          disconnected: (up, error) => tracker.disconnected(up, error),
          attempted(up, ctx, error) {
            // Probes report through the prober; a cancelled attempt (caller or hedge) says nothing about the upstream.
            if (ctx.origin === 'probe') return;
            if (error !== undefined && ctx.signal?.aborted) return;
            const started = starts.get(ctx);
            const ms = started === undefined ? 0 : performance.now() - started;
            if (error === undefined) tracker.callResult(up, true, ms);
            else if (isFailure(error, ctx)) tracker.callResult(up, false, ms, error);
          },
        };
      });

      // Innermost: time the attempt itself, after any queueing in outer phases.
      api.use({
        name: '@mcp-bridge/health:timing',
        phase: 'upstream',
        order: 'after',
        handle(ctx, next) {
          starts.set(ctx, performance.now());
          return next();
        },
      });

      const targetOf = (server: string): ProbeTarget => (probes === false ? false : (probes.servers[server] ?? probes.target));

      const schedule = (rec: UpstreamRecord): void => {
        if (probes === false || closed || targetOf(rec.up.server) === false) return;
        const delay = probes.intervalMs * (1 + probes.jitter * (2 * random() - 1));
        rec.probeTimer = setTimeout(() => void probe(rec), Math.max(1, delay));
        rec.probeTimer.unref?.();
      };

      const probe = async (rec: UpstreamRecord): Promise<void> => {
        rec.probeTimer = undefined;
        const up = rec.up;
        if (closed || probes === false || !bridge.upstreams(up.server).includes(up)) return;
        const target = targetOf(up.server);
        // Never wake an upstream that is not started (lazy pools) or was closed on purpose.
        if (target === false || up.status === 'idle' || up.status === 'closed') return schedule(rec);
        const started = performance.now();
        let ok = true;
        let error: unknown;
        try {
          // No close signal here: the SDK would keep one abort listener per probe on it; close ends the connection anyway.
          // Aimed at its replica by a pin, which core honours before any balancer (or hedging) chooses.
          const options = { origin: 'probe', upstream: up.id, timeout: probes.timeoutMs } as const;
          if (target === 'ping') await bridge.request(up.server, 'ping', {}, options);
          else {
            const result = (await bridge.request(up.server, 'tools/call', { name: target.tool, arguments: target.arguments }, options)) as { isError?: boolean };
            if (result.isError) throw new Error(`probe tool "${target.tool}" returned isError`);
          }
        } catch (e) {
          ok = false;
          error = e;
        }
        if (closed) return;
        const ms = performance.now() - started;
        tracker.probeResult(up, ok, ms, error);
        if (api.hasListeners('health:probe')) {
          api.emit('health:probe', { server: up.server, upstream: up, ok, ms, ...(ok ? {} : { error: error instanceof Error ? error.message : String(error) }) });
        }
        schedule(rec);
      };

      api.on('host:ready', () => {
        for (const server of bridge.servers()) {
          for (const up of bridge.upstreams(server)) schedule(tracker.record(up));
          // A server that went down while the bridge was starting.
          syncHidden(server);
        }
      });
      api.on('upstream:add', ({ upstream }) => {
        const rec = tracker.record(upstream);
        if (bridge.state === 'ready') schedule(rec);
      });
      api.on('upstream:remove', ({ upstream }) => tracker.forget(upstream));
      api.onClose(() => {
        closed = true;
        tracker.stop();
      });

      api.expose('health', () => {
        const servers: HealthSnapshot['servers'] = {};
        for (const server of bridge.servers()) {
          const ups = bridge.upstreams(server);
          const upstreams = ups.map((up): UpstreamHealth => {
            const rec = tracker.record(up);
            return {
              id: up.id,
              state: up.health,
              reason: rec.reason,
              since: rec.since,
              status: up.status,
              inFlight: up.inFlight,
              ejectedUntil: rec.ejectedUntil || undefined,
              ejections: rec.ejections,
              consecutiveFailures: rec.consecutiveFailures,
              successRate: rec.window.successRate(),
              calls: rec.window.count,
              latencyMs: rec.window.latency(),
              probe: rec.probe.last,
            };
          });
          const unhealthy = upstreams.filter((u) => u.state === 'unhealthy').length;
          const state: HealthState =
            unhealthy === upstreams.length ? 'unhealthy' : unhealthy === 0 && upstreams.every((u) => u.state === 'healthy') ? 'healthy' : 'degraded';
          servers[server] = { state, hidden: bridge.isServerHidden(server), upstreams };
        }
        return { at: now(), servers };
      });
    },
  };
}
