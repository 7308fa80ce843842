import type { PluginApi } from '@mcp-bridge/core';
import type { ProbeSettings, ProbeTarget } from './options.js';
import type { HealthTracker, UpstreamRecord } from './tracker.js';

/** What the active prober needs from the plugin. */
export interface ProberDeps {
  readonly api: PluginApi;
  readonly tracker: HealthTracker;
  readonly probes: ProbeSettings | false;
  readonly random: () => number;
  /** True once the bridge closes: no probe is sent or scheduled after. */
  closed(): boolean;
}

/**
 * Active probes: each upstream gets its own jittered timer; a probe is a `ping` (or a configured
 * tool call) sent through the bridge as a caller of its own, aimed at that one replica. Returns
 * `schedule`, which arms the next probe of an upstream.
 */
export function createProber(d: ProberDeps): (rec: UpstreamRecord) => void {
  const { api, tracker, probes, random } = d;
  const bridge = api.host;
  const targetOf = (server: string): ProbeTarget => (probes === false ? false : (probes.servers[server] ?? probes.target));

  const schedule = (rec: UpstreamRecord): void => {
    if (probes === false || d.closed() || targetOf(rec.up.server) === false) return;
    const delay = probes.intervalMs * (1 + probes.jitter * (2 * random() - 1));
    rec.probeTimer = setTimeout(() => void probe(rec), Math.max(1, delay));
    rec.probeTimer.unref?.();
  };

  const probe = async (rec: UpstreamRecord): Promise<void> => {
    rec.probeTimer = undefined;
    const up = rec.up;
    if (d.closed() || probes === false || !bridge.upstreams(up.server).includes(up)) return;
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
        const result = (await bridge.request(up.server, 'tools/call', { name: target.tool, arguments: target.arguments }, options)) as {
          isError?: boolean;
        };
        if (result.isError) throw new Error(`probe tool "${target.tool}" returned isError`);
      }
    } catch (e) {
      ok = false;
      error = e;
    }
    if (d.closed()) return;
    const ms = performance.now() - started;
    tracker.probeResult(up, ok, ms, error);
    if (api.hasListeners('health:probe')) {
      api.emit('health:probe', {
        server: up.server,
        upstream: up,
        ok,
        ms,
        ...(ok ? {} : { error: error instanceof Error ? error.message : String(error) }),
      });
    }
    schedule(rec);
  };
  return schedule;
}

/** Probes every upstream once the bridge is ready, and each one added later. */
export function probeUpstreams(
  api: PluginApi,
  tracker: HealthTracker,
  schedule: (rec: UpstreamRecord) => void,
  syncHidden: (server: string) => void,
): void {
  const bridge = api.host;
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
}
