import { Histogram, type MetricObjectWithValues, type MetricValueWithName, type Registry } from 'prom-client';
import type { HistogramData } from './histogram-data.js';

/** One series of an {@link AggregatedHistogram}: its labels and its counts. */
export interface HistogramSeries<L extends string> {
  labels: Record<L, string>;
  data: HistogramData;
}

/**
 * A prom-client histogram whose figures come from {@link HistogramData} kept by the plugin, read at
 * scrape time. It registers and formats like any prom-client histogram (text, OpenMetrics, JSON);
 * only the recording side is replaced, because `observe()` is too slow for the call path.
 */
export class AggregatedHistogram<L extends string> extends Histogram<L> {
  readonly #series: () => Iterable<HistogramSeries<L>>;
  readonly #metricName: string;

  constructor(
    config: { name: string; help: string; labelNames: readonly L[]; buckets: number[]; registers: Registry[] },
    series: () => Iterable<HistogramSeries<L>>,
  ) {
    super(config);
    this.#series = series;
    this.#metricName = config.name;
  }

  // prom-client's Metric.get() is async by contract; this one has nothing to wait for.
  // eslint-disable-next-line @typescript-eslint/require-await
  override async get(): Promise<MetricObjectWithValues<MetricValueWithName<L>>> {
    const name = this.#metricName;
    const values: MetricValueWithName<L>[] = [];
    for (const { labels, data } of this.#series()) {
      let cumulative = 0;
      for (let i = 0; i < data.bounds.length; i++) {
        cumulative += data.counts[i]!;
        values.push({ labels: { ...labels, le: data.bounds[i]! }, value: cumulative, metricName: `${name}_bucket` });
      }
      values.push({ labels: { ...labels, le: '+Inf' }, value: data.count, metricName: `${name}_bucket` });
      values.push({ labels, value: data.sum, metricName: `${name}_sum` });
      values.push({ labels, value: data.count, metricName: `${name}_count` });
    }
    return {
      name,
      help: (this as unknown as { help: string }).help,
      type: 'histogram' as never,
      aggregator: 'sum',
      values,
      collect: undefined as never,
    };
  }

  /** The registry formats text from this when a metric has it (prom-client's own histogram does). */
  getForPromString(): Promise<MetricObjectWithValues<MetricValueWithName<L>>> {
    return this.get();
  }
}
