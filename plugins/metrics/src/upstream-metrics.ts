import type { Upstream } from '@mcp-bridge/core';
import { Gauge } from 'prom-client';
import { LabeledCounts } from './histogram-data.js';
import type { MetricsKit } from './kit.js';

const HEALTH_STATES = ['healthy', 'degraded', 'unhealthy'] as const;

/** Health changes and connects per upstream, from core's events. */
export function addUpstreamEventMetrics(kit: MetricsKit): void {
  const { on, prefix: p } = kit;
  const healthChanges = new LabeledCounts(['server', 'upstream', 'state'] as const);
  on('upstream:health', (e) => {
    const up = e.upstream as Upstream | undefined;
    if (up) healthChanges.inc({ server: up.server, upstream: up.id, state: String(e.state) });
  });
  kit.counterFrom(`${p}upstream_health_changes_total`, 'Health changes of each upstream, by the state entered.', healthChanges);

  const connects = new LabeledCounts(['server', 'upstream', 'outcome'] as const);
  on('connect:after', (e) => {
    const up = e.upstream as Upstream | undefined;
    if (up) connects.inc({ server: up.server, upstream: up.id, outcome: 'ok' });
  });
  on('connect:error', (e) => {
    const up = e.upstream as Upstream | undefined;
    if (up) connects.inc({ server: up.server, upstream: up.id, outcome: 'error' });
  });
  kit.counterFrom(`${p}upstream_connects_total`, 'Connections opened to each upstream (ok) or that failed to open (error).', connects);
}

/** Health, connection state and in-flight requests per upstream, read from the bridge at scrape time. */
export function addUpstreamStateMetrics(kit: MetricsKit): void {
  const { prefix: p, registers } = kit;
  const bridge = kit.api.host;
  const eachUpstream = function* (): Iterable<Upstream> {
    for (const server of bridge.servers()) yield* bridge.upstreams(server);
  };
  kit.make(
    `${p}upstream_health`,
    () =>
      new Gauge({
        name: `${p}upstream_health`,
        help: 'Health of each upstream (1 for the current state): healthy, degraded, unhealthy.',
        labelNames: ['server', 'upstream', 'state'] as const,
        registers,
        collect() {
          this.reset();
          for (const up of eachUpstream())
            for (const s of HEALTH_STATES) this.set({ server: up.server, upstream: up.id, state: s }, up.health === s ? 1 : 0);
        },
      }),
  );
  kit.make(
    `${p}upstream_up`,
    () =>
      new Gauge({
        name: `${p}upstream_up`,
        help: 'Whether each upstream has a ready connection (1) or not (0).',
        labelNames: ['server', 'upstream'] as const,
        registers,
        collect() {
          this.reset();
          for (const up of eachUpstream()) this.set({ server: up.server, upstream: up.id }, up.status === 'ready' ? 1 : 0);
        },
      }),
  );
  kit.make(
    `${p}upstream_in_flight`,
    () =>
      new Gauge({
        name: `${p}upstream_in_flight`,
        help: 'Requests in flight on each upstream.',
        labelNames: ['server', 'upstream'] as const,
        registers,
        collect() {
          this.reset();
          for (const up of eachUpstream()) this.set({ server: up.server, upstream: up.id }, up.inFlight);
        },
      }),
  );
}
