import type { CallContext, ToolEntry, Upstream } from '@mcp-bridge/core';
import type { HistogramSeries } from './aggregated-histogram.js';
import { HistogramData } from './histogram-data.js';

/** Labels of the OpenTelemetry MCP operation-duration histograms, in Prometheus form (dots become underscores). */
export const OP_LABELS = [
  'mcp_method_name',
  'gen_ai_tool_name',
  'error_type',
  'network_transport',
  'mcp_protocol_version',
  'server',
] as const;
export type OpLabel = (typeof OP_LABELS)[number];
export type OpLabels = Record<OpLabel, string>;

/** Durations of one operation-duration histogram: one series per label set, kept by hand like the call histograms. */
export class OperationSeries {
  readonly #byKey = new Map<string, HistogramSeries<OpLabel>>();

  constructor(readonly bounds: readonly number[]) {}

  /** The counts of `labels`' series (made on first use). Builds a key: not for the per-call path (see {@link AttemptIndex}). */
  data(labels: OpLabels): HistogramData {
    const key = `${labels.mcp_method_name}\u0000${labels.gen_ai_tool_name}\u0000${labels.error_type}\u0000${labels.network_transport}\u0000${labels.mcp_protocol_version}\u0000${labels.server}`;
    let s = this.#byKey.get(key);
    if (s === undefined) this.#byKey.set(key, (s = { labels: inOrder(labels), data: new HistogramData(this.bounds) }));
    return s.data;
  }

  series(): Iterable<HistogramSeries<OpLabel>> {
    return this.#byKey.values();
  }
}

/** The labels in {@link OP_LABELS} order: prom-client writes them in the order of the object's keys. */
function inOrder(labels: OpLabels): OpLabels {
  return {
    mcp_method_name: labels.mcp_method_name,
    gen_ai_tool_name: labels.gen_ai_tool_name,
    error_type: labels.error_type,
    network_transport: labels.network_transport,
    mcp_protocol_version: labels.mcp_protocol_version,
    server: labels.server,
  };
}

/** The series of one (method, tool, upstream) by error type: success, the common case, needs no lookup. */
export class OutcomeSlot {
  readonly ok: HistogramData;
  readonly #byType = new Map<string, HistogramData>();

  constructor(
    private readonly labels: Omit<OpLabels, 'error_type'>,
    private readonly into: OperationSeries,
  ) {
    this.ok = into.data({ ...labels, error_type: '' });
  }

  of(errorType: string): HistogramData {
    let data = this.#byType.get(errorType);
    if (data === undefined) this.#byType.set(errorType, (data = this.into.data({ ...this.labels, error_type: errorType })));
    return data;
  }
}

/** Upstream side labels of an attempt, computed once per slot. */
export type SlotLabels = (ctx: CallContext, upstream: Upstream | undefined) => Omit<OpLabels, 'error_type'>;

/**
 * Finds the {@link OutcomeSlot} of an attempt from what its context holds (its tool entry or
 * method, its upstream object or server name) with a few map lookups: no label object, no string
 * key, nothing allocated once the slot exists. {@link reset} forgets the slots (their series stay)
 * when a label they baked in changes (an upstream's protocol version after a reconnect).
 */
export class AttemptIndex {
  #byTool = new WeakMap<ToolEntry, Map<Upstream | string, OutcomeSlot>>();
  #byMethod = new Map<string, Map<Upstream | string, OutcomeSlot>>();

  constructor(
    private readonly into: OperationSeries,
    private readonly labelsOf: SlotLabels,
  ) {}

  slot(ctx: CallContext): OutcomeSlot {
    const tool = ctx.method === 'tools/call' ? ctx.tool : undefined;
    let byPlace: Map<Upstream | string, OutcomeSlot> | undefined;
    if (tool !== undefined) {
      byPlace = this.#byTool.get(tool);
      if (byPlace === undefined) this.#byTool.set(tool, (byPlace = new Map<Upstream | string, OutcomeSlot>()));
    } else {
      byPlace = this.#byMethod.get(ctx.method);
      if (byPlace === undefined) this.#byMethod.set(ctx.method, (byPlace = new Map<Upstream | string, OutcomeSlot>()));
    }
    const upstream = ctx.upstream;
    const place = upstream ?? ctx.server;
    let slot = byPlace.get(place);
    if (slot === undefined) byPlace.set(place, (slot = new OutcomeSlot(this.labelsOf(ctx, upstream), this.into)));
    return slot;
  }

  reset(): void {
    this.#byTool = new WeakMap();
    this.#byMethod = new Map();
  }
}
