import type { HealthState, PluginApi, Upstream } from '@mcp-bridge/core';
import type { HealthTracker } from './tracker.js';

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

/** `bridge.health()` now: a server is unhealthy when all its upstreams are, healthy when all are. */
export function healthSnapshot(api: PluginApi, tracker: HealthTracker, now: () => number): HealthSnapshot {
  const bridge = api.host;
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
      unhealthy === upstreams.length
        ? 'unhealthy'
        : unhealthy === 0 && upstreams.every((u) => u.state === 'healthy')
          ? 'healthy'
          : 'degraded';
    servers[server] = { state, hidden: bridge.isServerHidden(server), upstreams };
  }
  return { at: now(), servers };
}
