import { CliError, EXIT } from './exit-codes.js';
import { messageOf } from './io.js';
import type { PluginReport } from './plugins.js';

/** What `OTEL_TRACES_EXPORTER` may name here (OTLP over HTTP, or one line per span on stderr). */
export type SpanExporterKind = 'otlp' | 'console';

/** Where the spans of the `tracing` plugin go, read from the standard `OTEL_*` variables. */
export type TracingPlan =
  | { enabled: false; reason: string }
  | {
      enabled: true;
      exporters: SpanExporterKind[];
      /** OTLP/HTTP body encoding: `http/protobuf` (the specification's default) or `http/json`. */
      protocol: 'http/protobuf' | 'http/json';
      /** The URL OTLP spans are POSTed to (when `otlp` is an exporter). */
      endpoint: string;
      serviceName: string;
    };

/** A started OpenTelemetry SDK: flush and stop it on exit. */
export interface Telemetry {
  readonly plan: TracingPlan & { enabled: true };
  /** Exports the spans still queued and stops the SDK, within a few seconds at most; never rejects. */
  shutdown(): Promise<void>;
}

type Env = Readonly<Record<string, string | undefined>>;

/** The OTLP/HTTP default endpoint of the specification (a collector on this machine). */
const DEFAULT_OTLP_BASE = 'http://localhost:4318';
/** A stuck collector must not hold up Ctrl-C: queued spans get this long to leave. */
const SHUTDOWN_LIMIT_MS = 5_000;
/** The same export failure is logged at most once per this period (the batch processor retries every few seconds). */
const REPEAT_LOG_MS = 60_000;

/** True when the `tracing` plugin was loaded for this run. */
export function tracingLoaded(reports: readonly PluginReport[]): boolean {
  return reports.some((r) => r.key === 'tracing' && r.status === 'loaded');
}

/**
 * Reads the standard OpenTelemetry variables into a {@link TracingPlan}: `OTEL_SDK_DISABLED`,
 * `OTEL_TRACES_EXPORTER` (`otlp`, `console`, `none`; comma-separated), `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`
 * (as is) or `OTEL_EXPORTER_OTLP_ENDPOINT` (+ `/v1/traces`), `OTEL_EXPORTER_OTLP[_TRACES]_PROTOCOL`,
 * `OTEL_SERVICE_NAME` / `OTEL_RESOURCE_ATTRIBUTES` `service.name`. A value this CLI cannot honour (gRPC,
 * an exporter it does not ship, an endpoint that is not a URL) is a {@link CliError} naming the variable.
 */
export function tracingPlan(env: Env): TracingPlan {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return { enabled: false, reason: 'OTEL_SDK_DISABLED=true' };
  const exporters = exporterKinds(env.OTEL_TRACES_EXPORTER);
  if (exporters.length === 0) return { enabled: false, reason: 'OTEL_TRACES_EXPORTER=none' };
  const protocolVar = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL?.trim() ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL' : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const protocol = env[protocolVar]?.trim() || 'http/protobuf';
  if (protocol !== 'http/protobuf' && protocol !== 'http/json') {
    throw new CliError(`${protocolVar}=${protocol}: mcp-bridge exports spans over OTLP/HTTP only (http/protobuf or http/json)`, EXIT.USAGE);
  }
  return { enabled: true, exporters, protocol, endpoint: otlpEndpoint(env), serviceName: serviceName(env) };
}

/** One line for people: where spans go, or why tracing is off. */
export function describeTracing(plan: TracingPlan): string {
  if (!plan.enabled) return `tracing off (${plan.reason})`;
  const to = plan.exporters.map((e) => (e === 'otlp' ? `${plan.endpoint} (OTLP ${plan.protocol})` : 'stderr (console)'));
  return `spans to ${to.join(' and ')} as service "${plan.serviceName}"`;
}

/**
 * Starts the OpenTelemetry trace SDK for `plan` and registers it globally (context manager, W3C
 * propagator, tracer provider), so the tracing plugin finds it when the bridge starts. The SDK is
 * imported here, on demand: a run without tracing never loads it. Export errors go to `log`
 * (the same one at most once a minute). Call before `bridge.start()`.
 */
export async function startTelemetry(
  plan: TracingPlan & { enabled: true },
  options: { log: (text: string) => void; serviceVersion: string },
): Promise<Telemetry> {
  const [api, node, resources] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/resources'),
  ]);
  api.diag.setLogger(throttledDiag(options.log), api.DiagLogLevel.WARN);
  const processors = [];
  for (const kind of plan.exporters) {
    if (kind === 'console') processors.push(new node.SimpleSpanProcessor(stderrExporter(options.log)));
    else {
      // The URL is given explicitly so that it is the one `doctor` shows; headers, timeout and
      // compression still come from the OTEL_EXPORTER_OTLP_* variables, read by the exporter.
      const { OTLPTraceExporter } =
        plan.protocol === 'http/json'
          ? await import('@opentelemetry/exporter-trace-otlp-http')
          : await import('@opentelemetry/exporter-trace-otlp-proto');
      processors.push(new node.BatchSpanProcessor(new OTLPTraceExporter({ url: plan.endpoint })));
    }
  }
  const resource = resources
    .defaultResource()
    .merge(resources.resourceFromAttributes({ 'service.name': plan.serviceName, 'service.version': options.serviceVersion }))
    // OTEL_RESOURCE_ATTRIBUTES (deployment.environment, host ...) as the specification says.
    .merge(resources.detectResources({ detectors: [resources.envDetector] }));
  const provider = new node.NodeTracerProvider({ resource, spanProcessors: processors });
  provider.register();
  let stopping: Promise<void> | undefined;
  return {
    plan,
    shutdown() {
      stopping ??= withLimit(provider.shutdown(), SHUTDOWN_LIMIT_MS).then(
        (finished) => {
          if (!finished) options.log(`tracing: spans not exported within ${SHUTDOWN_LIMIT_MS} ms of stopping were dropped`);
          api.trace.disable();
        },
        (error: unknown) => options.log(`tracing: stopping the OpenTelemetry SDK failed: ${messageOf(error)}`),
      );
      return stopping;
    },
  };
}

function exporterKinds(raw: string | undefined): SpanExporterKind[] {
  const names = (raw ?? 'otlp')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  if (names.length === 0 || names.includes('none')) return [];
  const kinds: SpanExporterKind[] = [];
  for (const name of names) {
    if (name !== 'otlp' && name !== 'console')
      throw new CliError(`OTEL_TRACES_EXPORTER=${raw}: "${name}" is not available in mcp-bridge (use otlp, console or none)`, EXIT.USAGE);
    if (!kinds.includes(name)) kinds.push(name);
  }
  return kinds;
}

function otlpEndpoint(env: Env): string {
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  // The signal-specific variable is the full URL; the general one is a base the signal path is appended to.
  const [name, url] = traces
    ? ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', traces]
    : base
      ? ['OTEL_EXPORTER_OTLP_ENDPOINT', `${base.replace(/\/+$/, '')}/v1/traces`]
      : ['', `${DEFAULT_OTLP_BASE}/v1/traces`];
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CliError(`${name}=${traces ?? base}: not a URL (expected e.g. http://localhost:4318)`, EXIT.USAGE);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new CliError(`${name}=${traces ?? base}: expected an http:// or https:// URL`, EXIT.USAGE);
  return parsed.href;
}

function serviceName(env: Env): string {
  const named = env.OTEL_SERVICE_NAME?.trim();
  if (named) return named;
  for (const pair of (env.OTEL_RESOURCE_ATTRIBUTES ?? '').split(',')) {
    const at = pair.indexOf('=');
    if (at > 0 && pair.slice(0, at).trim() === 'service.name') {
      const value = decodeURIComponentSafe(pair.slice(at + 1).trim());
      if (value) return value;
    }
  }
  return 'mcp-bridge';
}

function decodeURIComponentSafe(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Resolves `true` when `pending` settled within `ms`, `false` otherwise; rejects with its error. */
function withLimit(pending: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
    timer.unref();
  });
  return Promise.race([pending.then(() => true), late]).finally(() => clearTimeout(timer));
}

/** OpenTelemetry's own warnings (a collector that refuses spans) as log lines, each at most once a minute. */
function throttledDiag(log: (text: string) => void): import('@opentelemetry/api').DiagLogger {
  const last = new Map<string, number>();
  const write =
    (level: string) =>
    (message: string, ...args: unknown[]) => {
      const text = [message, ...args.map((a) => (a instanceof Error ? a.message : typeof a === 'string' ? a : JSON.stringify(a)))]
        .join(' ')
        .split('\n')[0]!;
      const now = Date.now();
      if ((last.get(text) ?? -Infinity) > now - REPEAT_LOG_MS) return;
      last.set(text, now);
      log(`tracing ${level}: ${text}`);
    };
  const quiet = (): void => undefined;
  return { error: write('error'), warn: write('warning'), info: quiet, debug: quiet, verbose: quiet };
}

/**
 * `OTEL_TRACES_EXPORTER=console`: one line per span on stderr. The SDK's console exporter writes to
 * stdout, which carries the protocol under `serve --stdio` and the URL under `serve --http`.
 */
function stderrExporter(log: (text: string) => void): import('@opentelemetry/sdk-trace-node').SpanExporter {
  return {
    export(spans, done) {
      for (const s of spans) {
        const ms = s.duration[0] * 1e3 + s.duration[1] / 1e6;
        const parent = s.parentSpanContext?.spanId ? ` parent=${s.parentSpanContext.spanId}` : '';
        log(
          `span ${s.name} trace=${s.spanContext().traceId} span=${s.spanContext().spanId}${parent} ${ms.toFixed(1)}ms ${JSON.stringify(s.attributes)}`,
        );
      }
      done({ code: 0 });
    },
    shutdown: () => Promise.resolve(),
  };
}

/** `doctor`'s view of tracing: the plan when the plugin is on, else why it is off; `error` for bad `OTEL_*` values. */
export type DoctorTracing = TracingPlan & { description: string; error?: string };

/** What `doctor` reports about tracing for the plugins it loaded and the environment it runs in. */
export function doctorTracing(reports: readonly PluginReport[], env: Env): DoctorTracing {
  let plan: TracingPlan;
  try {
    plan = tracingLoaded(reports)
      ? tracingPlan(env)
      : { enabled: false, reason: 'the tracing plugin is not on; add "plugins": { "tracing": true } to the config' };
  } catch (error) {
    plan = { enabled: false, reason: 'bad OTEL_* setting' };
    return { ...plan, description: `tracing off: ${messageOf(error)}`, error: messageOf(error) };
  }
  return { ...plan, description: describeTracing(plan) };
}

/**
 * Tells the metrics plugin, when it is loaded, about the gateway serving the bridge (sessions open,
 * `network.transport` of its clients). Read loosely: the plugin is an optional dependency.
 */
export function trackGateway(bridge: object, transport: 'tcp' | 'pipe', sessions: () => number): void {
  const track = (bridge as { metrics?: { trackGateway?: unknown } }).metrics?.trackGateway;
  if (typeof track === 'function')
    (track as (g: { transport: 'tcp' | 'pipe'; sessions: () => number }) => unknown)({ transport, sessions });
}
