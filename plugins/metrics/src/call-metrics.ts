import { errorType, isToolError, type CallContext, type ToolEntry } from '@mcp-bridge/core';
import { Counter, Gauge } from 'prom-client';
import { AggregatedHistogram, type HistogramSeries } from './aggregated-histogram.js';
import { CallSeries, LabeledCounts, mergeHistograms } from './histogram-data.js';
import type { MetricsKit } from './kit.js';

const PLUGIN = '@mcp-bridge/plugin-metrics';

/**
 * Calls through the bridge (the hot path): an `observe`-phase middleware (`order: 'before'`, so it
 * sees every call, including ones a policy refused) adds to plain counters per series;
 * `calls_total`, `call_duration_seconds` and `calls_in_flight` read them at scrape time.
 */
export function addCallMetrics(kit: MetricsKit): void {
  const { seriesOf, allSeries } = callSeriesIndex(kit);
  kit.api.use({
    name: `${PLUGIN}:calls`,
    phase: 'observe',
    order: 'before',
    // An async function, not then-callbacks: nothing allocated per call but its promise.
    async handle(ctx, next) {
      const s = seriesOf(ctx);
      s.inFlight++;
      const started = performance.now();
      let result: unknown;
      try {
        result = await next();
      } catch (error) {
        s.inFlight--;
        s.error(errorType(error, ctx.signal)).add((performance.now() - started) / 1000);
        throw error;
      }
      s.inFlight--;
      (isToolError(result) ? s.toolError : s.ok).add((performance.now() - started) / 1000);
      return result;
    },
  });
  registerCallCounters(kit, allSeries);
  registerCallDurations(kit, allSeries);
}

/** One series per (method, server, tool), found without building a string key on the hot path where it can. */
function callSeriesIndex(kit: MetricsKit): { seriesOf: (ctx: CallContext) => CallSeries; allSeries: CallSeries[] } {
  const byMethod = new Map<string, Map<string, CallSeries>>();
  const byTool = new WeakMap<ToolEntry, CallSeries>();
  const toolKeyed = new Map<string, CallSeries>();
  const allSeries: CallSeries[] = [];
  const bounds = kit.bounds;
  const seriesOf = (ctx: CallContext): CallSeries => {
    const tool = ctx.tool;
    if (tool !== undefined) {
      let s = byTool.get(tool);
      if (s === undefined) {
        // Catalog entries are new objects after a refresh: the string key keeps one series per tool.
        const name = kit.toolName(tool);
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
    if (servers === undefined) byMethod.set(ctx.method, (servers = new Map<string, CallSeries>()));
    let s = servers.get(ctx.server);
    if (s === undefined) {
      s = new CallSeries(ctx.method, ctx.server, '', bounds);
      servers.set(ctx.server, s);
      allSeries.push(s);
    }
    return s;
  };
  return { seriesOf, allSeries };
}

/** `calls_total`, by outcome and error type. */
function registerCallCounters(kit: MetricsKit, allSeries: CallSeries[]): void {
  const { prefix: p, registers } = kit;
  const callLabels = ['server', 'method', 'tool', 'outcome', 'error_type'] as const;
  kit.make(
    `${p}calls_total`,
    () =>
      new Counter({
        name: `${p}calls_total`,
        help: 'Calls through the bridge by server, method, tool and outcome (ok, tool_error: an isError result, error: see error_type).',
        labelNames: callLabels,
        registers,
        collect() {
          this.reset();
          for (const s of allSeries) {
            for (const st of s.outcomes()) {
              if (st.count > 0)
                this.inc({ server: s.server, method: s.method, tool: s.tool, outcome: st.outcome, error_type: st.errorType }, st.count);
            }
          }
        },
      }),
  );
}

/** `call_duration_seconds` (by outcome only) and `calls_in_flight`, read from the series at scrape time. */
function registerCallDurations(kit: MetricsKit, allSeries: CallSeries[]): void {
  const { prefix: p, registers } = kit;
  kit.make(
    `${p}call_duration_seconds`,
    () =>
      new AggregatedHistogram(
        {
          name: `${p}call_duration_seconds`,
          help: 'Duration of calls through the bridge (every attempt and backoff included), seconds.',
          labelNames: ['server', 'method', 'tool', 'outcome'] as const,
          buckets: [...kit.bounds],
          registers,
        },
        function* (): Iterable<HistogramSeries<'server' | 'method' | 'tool' | 'outcome'>> {
          for (const s of allSeries) {
            // Error types are merged here: the histogram is by outcome only, to keep its series few.
            if (s.ok.count > 0) yield { labels: { server: s.server, method: s.method, tool: s.tool, outcome: 'ok' }, data: s.ok.duration };
            if (s.toolError.count > 0)
              yield { labels: { server: s.server, method: s.method, tool: s.tool, outcome: 'tool_error' }, data: s.toolError.duration };
            const errors = [...s.errors.values()].filter((e) => e.count > 0);
            if (errors.length === 1)
              yield { labels: { server: s.server, method: s.method, tool: s.tool, outcome: 'error' }, data: errors[0]!.duration };
            else if (errors.length > 1)
              yield {
                labels: { server: s.server, method: s.method, tool: s.tool, outcome: 'error' },
                data: mergeHistograms(errors.map((e) => e.duration)),
              };
          }
        },
      ),
  );
  kit.make(
    `${p}calls_in_flight`,
    () =>
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
}

/** Every attempt per upstream (replica), in the `route` phase (`order: 'before'`): a retried call makes several. */
export function addAttemptMetrics(kit: MetricsKit): void {
  const attempts = new LabeledCounts(['server', 'upstream', 'method', 'outcome', 'error_type'] as const);
  const count = (ctx: CallContext, outcome: string, type: string): void =>
    attempts.inc({ server: ctx.server, upstream: ctx.upstream?.id ?? '', method: ctx.method, outcome, error_type: type });
  kit.api.use({
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
  kit.counterFrom(
    `${kit.prefix}upstream_attempts_total`,
    'Attempts sent to each upstream (replica) by outcome; a retried call makes several.',
    attempts,
  );
}
