import { CORE_VERSION, errorType, isToolError, type CallContext, type PluginApi, type Upstream } from '@mcp-bridge/core';
import { collectDefaultMetrics, Gauge, type Registry } from 'prom-client';
import { AggregatedHistogram } from './aggregated-histogram.js';
import { AttemptIndex, OP_LABELS, OperationSeries, type OpLabels } from './operation-series.js';

const PLUGIN = '@mcp-bridge/plugin-metrics';

/** A gateway serving the bridge to MCP clients, as the metrics see it. */
export interface GatewayView {
  /** `network.transport` of its clients: `tcp` (Streamable HTTP) or `pipe` (stdio). */
  transport: 'tcp' | 'pipe';
  /** Downstream sessions open now (read at scrape time). */
  sessions(): number;
}

/** What the semantic-convention metrics need from the plugin's setup. */
export interface SemconvContext {
  readonly api: PluginApi;
  readonly registry: Registry;
  readonly prefix: string;
  readonly bounds: readonly number[];
  readonly toolLabel: boolean;
  /** Registers a metric, with the plugin's "already registered" explanation. */
  make<M>(name: string, create: () => M): M;
  /** prom-client's process metrics too (`process_*`, `nodejs_*`). */
  readonly processMetrics: boolean;
  /** Names registered outside `make` (the process metrics), to remove from a registry the user passed. */
  readonly registered: string[];
}

/**
 * The OpenTelemetry MCP semantic-convention metrics, in Prometheus form:
 * `mcp_server_operation_duration_seconds` (every request a gateway answered for a downstream client,
 * as it reports them: `request:served`), `mcp_client_operation_duration_seconds` (every request
 * sent to an upstream: each attempt, the host's list refreshes, and `initialize`), downstream
 * sessions open, build info and prom-client's process metrics. Returns `trackGateway`.
 */
export function setupSemconv(c: SemconvContext): (gateway: GatewayView) => () => void {
  const registers = [c.registry];
  const gateways = new Set<GatewayView>();
  const served = observeServed(c);
  const sent = observeSent(c);
  for (const [side, data, help] of [
    [
      'server',
      served,
      'Duration of MCP requests the bridge served for downstream clients (OpenTelemetry mcp.server.operation.duration), seconds.',
    ],
    [
      'client',
      sent,
      'Duration of MCP requests the bridge sent to upstream servers, each attempt (OpenTelemetry mcp.client.operation.duration), seconds.',
    ],
  ] as const) {
    const name = `mcp_${side}_operation_duration_seconds`;
    c.make(
      name,
      () => new AggregatedHistogram({ name, help, labelNames: OP_LABELS, buckets: [...c.bounds], registers }, () => data.series()),
    );
  }
  addGatewayGauges(c, gateways);
  if (c.processMetrics) addProcessMetrics(c);

  return (gateway) => {
    gateways.add(gateway);
    return () => void gateways.delete(gateway);
  };
}

/**
 * mcp.server.operation.duration: every request a gateway in front of the bridge answered for a
 * downstream client (`request:served`): `initialize`, `ping` and the lists it answers from the
 * catalog as much as the calls. A library call on the bridge is not an MCP server operation.
 */
function observeServed(c: SemconvContext): OperationSeries {
  const served = new OperationSeries(c.bounds);
  const listed = listedToolNames(c.api);
  c.api.on('request:served', (r) => {
    const tool = r.method === 'tools/call' && c.toolLabel ? (r.tool !== undefined && listed().has(r.tool) ? r.tool : '(unlisted)') : '';
    served
      .data({
        mcp_method_name: r.method,
        gen_ai_tool_name: tool,
        error_type: r.errorType,
        network_transport: r.transport,
        mcp_protocol_version: r.protocolVersion,
        server: r.server ?? '',
      })
      .observe(r.durationMs / 1000);
  });
  return served;
}

/**
 * The exposed names of the listed tools, rebuilt after a catalog change: a name a client made up
 * becomes one `(unlisted)` label value, or callers could grow the series without bound.
 */
function listedToolNames(api: PluginApi): () => ReadonlySet<string> {
  let names: Set<string> | undefined;
  api.on('catalog:changed', () => void (names = undefined));
  return () => {
    if (names !== undefined) return names;
    try {
      names = new Set(api.host.tools().flatMap((t) => (t.listed ? [t.name] : [])));
    } catch {
      // Not ready yet (the catalog is still being built): nothing is listed.
      return new Set();
    }
    return names;
  };
}

/** mcp.client.operation.duration: every request sent to an upstream (each attempt, list refreshes, `initialize`). */
function observeSent(c: SemconvContext): OperationSeries {
  const { api } = c;
  const sent = new OperationSeries(c.bounds);
  const protocols = new Map<string, string>();
  const labelsOf = (method: string, server: string, up: Upstream | undefined, tool: string): Omit<OpLabels, 'error_type'> => ({
    mcp_method_name: method,
    gen_ai_tool_name: tool,
    network_transport: up === undefined ? '' : up.kind === 'stdio' ? 'pipe' : up.kind === 'in-memory' ? '' : 'tcp',
    mcp_protocol_version: up === undefined ? '' : (protocols.get(up.id) ?? ''),
    server,
  });
  // Labels are worked out once per (tool or method, upstream), when the index makes its slot.
  const index = new AttemptIndex(sent, (ctx: CallContext, up) => labelsOf(ctx.method, ctx.server, up, upstreamToolName(c, ctx)));
  api.use({
    name: `${PLUGIN}:sent`,
    phase: 'route',
    order: 'before',
    // An async function, not then-callbacks: nothing allocated per attempt but its promise. The
    // upstream is chosen inside `next()`: the slot is looked up when the attempt settles.
    async handle(ctx: CallContext, next) {
      const started = performance.now();
      let result: unknown;
      try {
        result = await next();
      } catch (error) {
        index
          .slot(ctx)
          .of(errorType(error))
          .observe((performance.now() - started) / 1000);
        throw error;
      }
      const slot = index.slot(ctx);
      (isToolError(result) ? slot.of('tool_error') : slot.ok).observe((performance.now() - started) / 1000);
      return result;
    },
  });
  api.on('connect:after', ({ server, upstream, connection, durationMs }) => {
    // Every transport kind: the connection keeps what `initialize` negotiated.
    const version = connection.protocolVersion;
    if (version !== undefined && protocols.get(upstream.id) !== version) {
      protocols.set(upstream.id, version);
      index.reset();
    }
    sent.data({ ...labelsOf('initialize', server, upstream, ''), error_type: '' }).observe(durationMs / 1000);
  });
  api.on('connect:error', ({ server, upstream, error, durationMs }) =>
    sent.data({ ...labelsOf('initialize', server, upstream, ''), error_type: errorType(error) }).observe(durationMs / 1000),
  );
  return sent;
}

/** The `gen_ai.tool.name` of an upstream `tools/call`: the upstream's name ('' when tool labels are off or for other methods). */
function upstreamToolName(c: SemconvContext, ctx: CallContext): string {
  if (!c.toolLabel || ctx.method !== 'tools/call') return '';
  // An unlisted tool is named by the caller: one label value for all of them, or callers could grow the series.
  const tool = ctx.tool;
  if (tool !== undefined) return tool.listed ? tool.upstreamName : '(unlisted)';
  return typeof ctx.params.name === 'string' ? '(unlisted)' : '';
}

/** Downstream sessions open on the gateways serving this bridge, and build info. */
function addGatewayGauges(c: SemconvContext, gateways: Set<GatewayView>): void {
  const registers = [c.registry];
  c.make(
    `${c.prefix}downstream_sessions`,
    () =>
      new Gauge({
        name: `${c.prefix}downstream_sessions`,
        help: 'MCP sessions of downstream clients open on the gateways serving this bridge, by network_transport (tcp: Streamable HTTP, pipe: stdio).',
        labelNames: ['network_transport'] as const,
        registers,
        collect() {
          this.reset();
          const sums = new Map<string, number>();
          for (const g of gateways) sums.set(g.transport, (sums.get(g.transport) ?? 0) + g.sessions());
          for (const [transport, n] of sums) this.set({ network_transport: transport }, n);
        },
      }),
  );
  c.make(`${c.prefix}build_info`, () => {
    const info = new Gauge({
      name: `${c.prefix}build_info`,
      help: 'Always 1; the version of @mcp-bridge/core running the bridge is in the labels.',
      labelNames: ['version'] as const,
      registers,
    });
    info.set({ version: CORE_VERSION }, 1);
    return info;
  });
}

/** prom-client's default metrics (CPU, memory, event loop lag, GC, handles), under their usual names. */
function addProcessMetrics(c: SemconvContext): void {
  const before = new Set(c.registry.getMetricsAsArray().map((m) => m.name));
  try {
    collectDefaultMetrics({ register: c.registry });
  } catch (error) {
    for (const m of c.registry.getMetricsAsArray()) if (!before.has(m.name)) c.registry.removeSingleMetric(m.name);
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`cannot register the process metrics: ${reason} (does this registry collect them already? set processMetrics: false)`, {
      cause: error,
    });
  }
  for (const m of c.registry.getMetricsAsArray()) if (!before.has(m.name)) c.registered.push(m.name);
}
