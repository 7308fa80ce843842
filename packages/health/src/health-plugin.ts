import { definePlugin, failureOf, type CallContext, type HealthHost, type Plugin, type PluginApi, type Upstream } from '@mcp-bridge/core';
import { healthOptionsSchema, PROBE_DEFAULTS, type HealthOptions, type ProbeSettings } from './options.js';
import { createProber, probeUpstreams } from './prober.js';
import { healthSnapshot, type HealthSnapshot } from './snapshot.js';
import { HealthTracker } from './tracker.js';
import { VERSION } from './version.js';

export type { HealthSnapshot, UpstreamHealth } from './snapshot.js';

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
export const health: (options?: HealthOptions) => Plugin = definePlugin({
  name: '@mcp-bridge/health',
  version: VERSION,
  core: '^0.1.0',
  provides: ['health'],
  options: healthOptionsSchema,
  setup(api, o) {
    const now = o.now ?? Date.now;
    const random = o.random ?? Math.random;
    const probes: ProbeSettings | false = o.probes === true ? PROBE_DEFAULTS : o.probes;
    const isFailure = (error: unknown, ctx: CallContext): boolean =>
      o.isFailure ? o.isFailure(error) : countsAgainstUpstream(error, ctx.signal);
    const bridge = api.host;
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

    timeAttempts(api, starts);

    const schedule = createProber({ api, tracker, probes, random, closed: () => closed });

    probeUpstreams(api, tracker, schedule, syncHidden);
    api.on('upstream:remove', ({ upstream }) => tracker.forget(upstream));
    api.onClose(() => {
      closed = true;
      tracker.stop();
    });

    api.expose('health', () => healthSnapshot(api, tracker, now));
  },
});

/** Innermost: time the attempt itself, after any queueing in outer phases. */
function timeAttempts(api: PluginApi, starts: WeakMap<CallContext, number>): void {
  api.use({
    name: '@mcp-bridge/health:timing',
    phase: 'upstream',
    order: 'after',
    handle(ctx, next) {
      starts.set(ctx, performance.now());
      return next();
    },
  });
}
