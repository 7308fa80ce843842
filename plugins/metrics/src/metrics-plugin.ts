import { errorType, isToolError, definePlugin, type CallContext, type Plugin, type PluginApi, type ToolEntry, type Upstream } from '@mcp-bridge/core';
import { Counter, Gauge, Registry } from 'prom-client';
import pkg from '../package.json' with { type: 'json' };
import { AggregatedHistogram, type HistogramSeries } from './aggregated-histogram.js';
import { CallSeries, LabeledCounts, mergeHistograms } from './histogram-data.js';
import { metricsControl, type MetricsControl } from './control.js';
import { DEFAULT_BUCKETS, metricsOptionsSchema, type MetricsOptions } from './options.js';
import { setupSemconv, type GatewayView } from './semconv.js';

const PLUGIN = '@mcp-bridge/plugin-metrics';

declare module '@mcp-bridge/core' {
  interface BridgeExtensions {
    /** Added by `@mcp-bridge/plugin-metrics`. */
    metrics: MetricsControl;
  }
}

/**
 * Other plugins' events, read loosely: this plugin must work without them installed, and declaring
 * their payload types here would clash with their own declarations in a user's program.
 */
type LooseOn = (event: string, listener: (payload: Record<string, unknown>) => void) => () => void;

type BreakerState = 'closed' | 'open' | 'half_open';
const BREAKER_STATES: readonly BreakerState[] = ['closed', 'open', 'half_open'];
const HEALTH_STATES = ['healthy', 'degraded', 'unhealthy'] as const;

/**
 * Prometheus metrics of a bridge, with prom-client.
 *
 * - `observe` phase (`order: 'before'`, so it sees every call, including ones a policy refused):
 *   calls by server, method, tool and outcome (`ok`, `tool_error` for `isError` results, `error`
 *   with its `error_type`), latency histograms, calls in flight.
 * - `route` phase (`order: 'before'`): every attempt per upstream (replica), when `attempts` is on.
 * - Events, when the plugins that emit them are installed: retries and give-ups (`@mcp-bridge/retry`),
 *   breaker state, cache lookups, evictions and store errors (`@mcp-bridge/cache`), health changes
 *   and connects (core). Health, connection state and in-flight per upstream are read at scrape time.
 *
 * The call path only adds to plain counters; prom-client formats them when scraped.
 *
 * @example
 * ```ts
 * import { createBridge } from '@mcp-bridge/core';
 * import { metrics } from '@mcp-bridge/plugin-metrics';
 * import { serveHttp } from '@mcp-bridge/server';
 *
 * const bridge = createBridge({ servers, plugins: [metrics()] });
 * await bridge.start();
 * const gateway = await serveHttp(bridge, { port: 3000, routes: { '/metrics': bridge.metrics.handler } });
 * // or in your own server: app.get('/metrics', bridge.metrics.handler)
 * ```
 */
export const metrics: (options?: MetricsOptions) => Plugin = definePlugin({
  name: PLUGIN,
  version: pkg.version,
  core: '^0.1.0',
  options: metricsOptionsSchema,
  setup(api, o) {
    setupMetrics(api, o);
  },
});

type Resolved = ReturnType<typeof metricsOptionsSchema.parse>;

function setupMetrics(api: PluginApi, o: Resolved): void {
  const owned = o.registry === undefined;
  const registry = o.registry ?? new Registry();
  if (owned && o.defaultLabels) registry.setDefaultLabels(o.defaultLabels);
  const bounds = o.buckets ?? DEFAULT_BUCKETS;
  const p = o.prefix;
  const registered: string[] = [];
  const registers = [registry];
  /** prom-client throws a bare "already registered": say which bridge, plugin and way out. */
  const make = <M>(name: string, create: () => M): M => {
    try {
      const metric = create();
      registered.push(name);
      return metric;
    } catch (error) {
      for (const n of registered) registry.removeSingleMetric(n);
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(`cannot register metric "${name}": ${reason} (is another bridge with this plugin using the same registry? give each its own registry or prefix)`);
    }
  };

  // ------------------------------------------------------------ calls (the hot path)

  const byMethod = new Map<string, Map<string, CallSeries>>();
  const byTool = new WeakMap<ToolEntry, CallSeries>();
  const toolKeyed = new Map<string, CallSeries>();
  const allSeries: CallSeries[] = [];

  const toolName = (tool: ToolEntry): string => (!o.toolLabel ? '' : tool.listed ? tool.upstreamName : '(unlisted)');
  const seriesOf = (ctx: CallContext): CallSeries => {
    const tool = ctx.tool;
    if (tool !== undefined) {
      let s = byTool.get(tool);
      if (s === undefined) {
        // Catalog entries are new objects after a refresh: the string key keeps one series per tool.
        const name = toolName(tool);
        const key = `${ctx.method}\u0000${ctx.server}\u0000${name}`;
        s = toolKeyed.get(key);
        if (s === undefined) {
          s = new CallSeries(ctx.method, ctx.server, name, bounds);
          toolKeyed.set(key, s);
          allSeries.push(s);
        }
        byTool.set(tool, s);
      }
      return s;
    }
    let servers = byMethod.get(ctx.method);
    if (servers === undefined) byMethod.set(ctx.method, (servers = new Map()));
    let s = servers.get(ctx.server);
    if (s === undefined) {
      s = new CallSeries(ctx.method, ctx.server, '', bounds);
      servers.set(ctx.server, s);
      allSeries.push(s);
    }
    return s;
  };

  api.use({
    name: `${PLUGIN}:calls`,
    phase: 'observe',
    order: 'before',
    handle(ctx, next) {
      const s = seriesOf(ctx);
      s.inFlight++;
      const started = performance.now();
      return next().then(
        (result) => {
          s.inFlight--;
          (isToolError(result) ? s.toolError : s.ok).add((performance.now() - started) / 1000);
          return result;
        },
        (error: unknown) => {
          s.inFlight--;
          s.error(errorType(error, ctx.signal)).add((performance.now() - started) / 1000);
          throw error;
        },
      );
    },
  });

  const callLabels = ['server', 'method', 'tool', 'outcome', 'error_type'] as const;
  make(`${p}calls_total`, () =>
    new Counter({
      name: `${p}calls_total`,
      help: 'Calls through the bridge by server, method, tool and outcome (ok, tool_error: an isError result, error: see error_type).',
      labelNames: callLabels,
      registers,
      collect() {
        this.reset();
        for (const s of allSeries) {
          for (const st of s.outcomes()) {
            if (st.count > 0) this.inc({ server: s.server, method: s.method, tool: s.tool, outcome: st.outcome, error_type: st.errorType }, st.count);
          }
        }
      },
    }),
  );
  make(`${p}call_duration_seconds`, () =>
    new AggregatedHistogram(
      {
        name: `${p}call_duration_seconds`,
        help: 'Duration of calls through the bridge (every attempt and backoff included), seconds.',
        labelNames: ['server', 'method', 'tool', 'outcome'] as const,
        buckets: [...bounds],
        registers,
      },
      function* (): Iterable<HistogramSeries<'server' | 'method' | 'tool' | 'outcome'>> {
        for (const s of allSeries) {
          // Error types are merged here: the histogram is by outcome only, to keep its series few.
          if (s.ok.count > 0) yield { labels: { server: s.server, method: s.method, tool: s.tool, outcome: 'ok' }, data: s.ok.duration };
          if (s.toolError.count > 0) yield { labels: { server: s.server, method: s.method, tool: s.tool, outcome: 'tool_error' }, data: s.toolError.duration };
          const errors = [...s.errors.values()].filter((e) => e.count > 0);
          if (errors.length === 1) yield { labels: { server: s.server, method: s.method, tool: s.tool, outcome: 'error' }, data: errors[0]!.duration };
          else if (errors.length > 1) yield { labels: { server: s.server, method: s.method, tool: s.tool, outcome: 'error' }, data: mergeHistograms(errors.map((e) => e.duration)) };
        }
      },
    ),
  );
  make(`${p}calls_in_flight`, () =>
    new Gauge({
      name: `${p}calls_in_flight`,
      help: 'Calls in flight through the bridge by server and method.',
      labelNames: ['server', 'method'] as const,
      registers,
      collect() {
        this.reset();
        const sums = new Map<string, { server: string; method: string; n: number }>();
        for (const s of allSeries) {
          const key = `${s.method}\u0000${s.server}`;
          const e = sums.get(key);
          if (e) e.n += s.inFlight;
          else sums.set(key, { server: s.server, method: s.method, n: s.inFlight });
        }
        for (const e of sums.values()) this.set({ server: e.server, method: e.method }, e.n);
      },
    }),
  );

  // ------------------------------------------------------------ attempts per upstream

  if (o.attempts) {
    const attempts = new LabeledCounts(['server', 'upstream', 'method', 'outcome', 'error_type'] as const);
    const count = (ctx: CallContext, outcome: string, type: string): void =>
      attempts.inc({ server: ctx.server, upstream: ctx.upstream?.id ?? '', method: ctx.method, outcome, error_type: type });
    api.use({
      name: `${PLUGIN}:attempts`,
      phase: 'route',
      order: 'before',
      handle(ctx, next) {
        return next().then(
          (result) => {
            count(ctx, isToolError(result) ? 'tool_error' : 'ok', isToolError(result) ? 'tool_error' : '');
            return result;
          },
          (error: unknown) => {
            count(ctx, 'error', errorType(error, ctx.signal));
            throw error;
          },
        );
      },
    });
    counterFrom(`${p}upstream_attempts_total`, 'Attempts sent to each upstream (replica) by outcome; a retried call makes several.', attempts);
  }

  // ------------------------------------------------------------ events of other plugins

  const on = api.on as unknown as LooseOn;
  const ctxLabels = (ctx: CallContext): { server: string; method: string; tool: string } => ({
    server: ctx.server,
    method: ctx.method,
    tool: ctx.tool ? toolName(ctx.tool) : '',
  });

  const retries = new LabeledCounts(['server', 'method', 'tool'] as const);
  on('retry:attempt', (e) => {
    if (isCtx(e.ctx)) retries.inc(ctxLabels(e.ctx));
  });
  counterFrom(`${p}retries_total`, 'Retries (attempts after the first) made by @mcp-bridge/retry.', retries);

  const giveups = new LabeledCounts(['server', 'method', 'reason'] as const);
  on('retry:giveup', (e) => {
    if (isCtx(e.ctx)) giveups.inc({ server: e.ctx.server, method: e.ctx.method, reason: String(e.reason) });
  });
  counterFrom(`${p}retry_giveups_total`, 'Calls @mcp-bridge/retry stopped retrying, by reason (attempts, deadline, budget, unsafe, not-retryable).', giveups);

  const breakers = new Map<string, { server: string; upstream: string; state: BreakerState }>();
  const breakerOpens = new LabeledCounts(['server', 'upstream', 'reason'] as const);
  const setBreaker = (e: Record<string, unknown>, state: BreakerState): void => {
    const up = e.upstream as Upstream | undefined;
    if (!up || typeof up.id !== 'string') return;
    breakers.set(up.id, { server: up.server, upstream: up.id, state });
  };
  on('breaker:open', (e) => {
    setBreaker(e, 'open');
    const up = e.upstream as Upstream | undefined;
    if (up) breakerOpens.inc({ server: up.server, upstream: up.id, reason: String(e.reason ?? '') });
  });
  on('breaker:half-open', (e) => setBreaker(e, 'half_open'));
  on('breaker:close', (e) => setBreaker(e, 'closed'));
  make(`${p}breaker_state`, () =>
    new Gauge({
      name: `${p}breaker_state`,
      help: 'Circuit breaker state per upstream (1 for the current state): closed, open, half_open. Absent until the breaker first changes.',
      labelNames: ['server', 'upstream', 'state'] as const,
      registers,
      collect() {
        this.reset();
        for (const b of breakers.values()) for (const s of BREAKER_STATES) this.set({ server: b.server, upstream: b.upstream, state: s }, b.state === s ? 1 : 0);
      },
    }),
  );
  counterFrom(`${p}breaker_opens_total`, 'Times a circuit breaker opened, by reason.', breakerOpens);

  const cache = new LabeledCounts(['server', 'method', 'result', 'detail'] as const);
  on('cache:hit', (e) => {
    if (isCtx(e.ctx)) cache.inc({ server: e.ctx.server, method: e.ctx.method, result: 'hit', detail: `${String(e.level)}${e.negative ? '_negative' : ''}` });
  });
  on('cache:miss', (e) => {
    if (isCtx(e.ctx)) cache.inc({ server: e.ctx.server, method: e.ctx.method, result: e.coalesced ? 'coalesced' : 'miss', detail: '' });
  });
  on('cache:stale', (e) => {
    if (isCtx(e.ctx)) cache.inc({ server: e.ctx.server, method: e.ctx.method, result: 'stale', detail: String(e.reason) });
  });
  counterFrom(
    `${p}cache_requests_total`,
    'Cache lookups by result: hit (detail: l1, l2, with _negative for a cached not-found), miss, coalesced (joined an identical call in flight), stale (detail: revalidate or error).',
    cache,
  );
  const evictions = new LabeledCounts(['server', 'method', 'reason'] as const);
  on('cache:evict', (e) => evictions.inc({ server: String(e.server), method: String(e.method), reason: String(e.reason) }));
  counterFrom(`${p}cache_evictions_total`, 'Entries that left the in-process cache, by reason.', evictions);
  const cacheErrors = new LabeledCounts(['operation', 'timed_out'] as const);
  on('cache:error', (e) => cacheErrors.inc({ operation: String(e.operation), timed_out: String(e.timedOut === true) }));
  counterFrom(`${p}cache_store_errors_total`, 'Cache store operations that failed or timed out (the call went on without the store).', cacheErrors);

  const healthChanges = new LabeledCounts(['server', 'upstream', 'state'] as const);
  on('upstream:health', (e) => {
    const up = e.upstream as Upstream | undefined;
    if (up) healthChanges.inc({ server: up.server, upstream: up.id, state: String(e.state) });
  });
  counterFrom(`${p}upstream_health_changes_total`, 'Health changes of each upstream, by the state entered.', healthChanges);

  const connects = new LabeledCounts(['server', 'upstream', 'outcome'] as const);
  on('connect:after', (e) => {
    const up = e.upstream as Upstream | undefined;
    if (up) connects.inc({ server: up.server, upstream: up.id, outcome: 'ok' });
  });
  on('connect:error', (e) => {
    const up = e.upstream as Upstream | undefined;
    if (up) connects.inc({ server: up.server, upstream: up.id, outcome: 'error' });
  });
  counterFrom(`${p}upstream_connects_total`, 'Connections opened to each upstream (ok) or that failed to open (error).', connects);

  on('upstream:remove', (e) => {
    const up = e.upstream as Upstream | undefined;
    if (up) breakers.delete(up.id);
  });

  // ------------------------------------------------------------ state read at scrape time

  const bridge = api.host;
  const eachUpstream = function* (): Iterable<Upstream> {
    for (const server of bridge.servers()) yield* bridge.upstreams(server);
  };
  make(`${p}upstream_health`, () =>
    new Gauge({
      name: `${p}upstream_health`,
      help: 'Health of each upstream (1 for the current state): healthy, degraded, unhealthy.',
      labelNames: ['server', 'upstream', 'state'] as const,
      registers,
      collect() {
        this.reset();
        for (const up of eachUpstream()) for (const s of HEALTH_STATES) this.set({ server: up.server, upstream: up.id, state: s }, up.health === s ? 1 : 0);
      },
    }),
  );
  make(`${p}upstream_up`, () =>
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
  make(`${p}upstream_in_flight`, () =>
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

  // ------------------------------------------------------------ exposure

  // OpenTelemetry MCP semantic conventions, sessions, build info, process metrics.
  const trackGateway = o.semconv
    ? setupSemconv({ api, registry, prefix: p, bounds, toolLabel: o.toolLabel, make, processMetrics: o.processMetrics ?? owned, registered })
    : (_gateway: GatewayView) => () => undefined;
  const control: MetricsControl = metricsControl(registry, trackGateway);
  api.expose('metrics', control);

  // A registry the user passed outlives the bridge: take our metrics out, so a new bridge can register them.
  if (!owned) api.onClose(() => registered.forEach((name) => registry.removeSingleMetric(name)));

  function counterFrom<L extends string>(name: string, help: string, counts: LabeledCounts<L>): void {
    make(name, () =>
      new Counter({
        name,
        help,
        labelNames: counts.labelNames,
        registers,
        collect() {
          this.reset();
          for (const { labels, value } of counts.entries()) this.inc(labels as never, value);
        },
      }),
    );
  }
}

function isCtx(value: unknown): value is CallContext {
  return typeof value === 'object' && value !== null && typeof (value as CallContext).server === 'string' && typeof (value as CallContext).method === 'string';
}
