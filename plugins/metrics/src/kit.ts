import type { CallContext, PluginApi, ToolEntry } from '@mcp-bridge/core';
import { Counter, Registry } from 'prom-client';
import type { LabeledCounts } from './histogram-data.js';
import { DEFAULT_BUCKETS, type metricsOptionsSchema } from './options.js';

/** The plugin's options after parsing. */
export type Resolved = ReturnType<typeof metricsOptionsSchema.parse>;

/**
 * Other plugins' events, read loosely: this plugin must work without them installed, and declaring
 * their payload types here would clash with their own declarations in a user's program.
 */
export type LooseOn = (event: string, listener: (payload: Record<string, unknown>) => void) => () => void;

/** What every metric family needs: where to register, names, and the plugin's API. */
export interface MetricsKit {
  readonly api: PluginApi;
  readonly options: Resolved;
  readonly registry: Registry;
  /** True when the plugin made the registry (it is not the user's). */
  readonly owned: boolean;
  readonly registers: Registry[];
  /** Metric name prefix. */
  readonly prefix: string;
  /** Histogram bucket bounds, seconds. */
  readonly bounds: readonly number[];
  /** Names of the metrics registered so far (taken out of a user's registry on close). */
  readonly registered: string[];
  /** Listens to an event of another plugin (see {@link LooseOn}). */
  readonly on: LooseOn;
  /** Registers a metric, with an explanation prom-client's bare "already registered" lacks. */
  readonly make: <M>(name: string, create: () => M) => M;
  /** A counter read from `counts` at scrape time. */
  counterFrom<L extends string>(name: string, help: string, counts: LabeledCounts<L>): void;
  /** The `tool` label of a catalog entry ('' when tool labels are off). */
  toolName(tool: ToolEntry): string;
}

/** Builds the kit for one bridge: its own registry unless the user gave one. */
export function createKit(api: PluginApi, o: Resolved): MetricsKit {
  const owned = o.registry === undefined;
  const registry = o.registry ?? new Registry();
  if (owned && o.defaultLabels) registry.setDefaultLabels(o.defaultLabels);
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
      throw new Error(
        `cannot register metric "${name}": ${reason} (is another bridge with this plugin using the same registry? give each its own registry or prefix)`,
        { cause: error },
      );
    }
  };
  const counterFrom = <L extends string>(name: string, help: string, counts: LabeledCounts<L>): void => {
    make(
      name,
      () =>
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
  };
  return {
    api,
    options: o,
    registry,
    owned,
    registers,
    prefix: o.prefix,
    bounds: o.buckets ?? DEFAULT_BUCKETS,
    registered,
    on: api.on.bind(api) as unknown as LooseOn,
    make,
    counterFrom,
    toolName: (tool) => (!o.toolLabel ? '' : tool.listed ? tool.upstreamName : '(unlisted)'),
  };
}

/** True for a call context in another plugin's event payload (read loosely, see {@link LooseOn}). */
export function isCtx(value: unknown): value is CallContext {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as CallContext).server === 'string' &&
    typeof (value as CallContext).method === 'string'
  );
}
