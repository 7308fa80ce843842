import { errorType, isToolError, definePlugin, type CallContext, type Next, type Plugin, type PluginApi } from '@mcp-bridge/core';
import {
  context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  propagation,
  ProxyTracerProvider,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import pkg from '../package.json' with { type: 'json' };
import { tracingOptionsSchema, type TracingOptions } from './options.js';
import { extractW3C, injectW3C } from './w3c.js';

const PLUGIN = '@mcp-bridge/plugin-tracing';

/** Attribute names: the OpenTelemetry MCP semantic conventions, then this plugin's own (`mcp_bridge.*`). */
export const ATTR = {
  METHOD: 'mcp.method.name',
  TOOL: 'gen_ai.tool.name',
  PROMPT: 'gen_ai.prompt.name',
  OPERATION: 'gen_ai.operation.name',
  RESOURCE_URI: 'mcp.resource.uri',
  ERROR_TYPE: 'error.type',
  RPC_STATUS: 'rpc.response.status_code',
  NETWORK_TRANSPORT: 'network.transport',
  SERVER_ADDRESS: 'server.address',
  SERVER_PORT: 'server.port',
  /** The logical server (config name) the call goes to. */
  BRIDGE_SERVER: 'mcp_bridge.server',
  /** The upstream (replica id, e.g. `search#2`) an attempt went to. */
  BRIDGE_UPSTREAM: 'mcp_bridge.upstream',
  /** Attempt number, 1-based, on attempt spans. */
  BRIDGE_ATTEMPT: 'mcp_bridge.attempt',
  /** Attempts made, on the call span. */
  BRIDGE_ATTEMPTS: 'mcp_bridge.attempts',
  /** `catalog` for the host's own list refreshes. */
  BRIDGE_ORIGIN: 'mcp_bridge.origin',
  // OpenTelemetry's user attributes: who the gateway authenticated (principal id, and how).
  USER_ID: 'user.id',
  PRINCIPAL_KIND: 'mcp_bridge.principal.kind',
  /** How `@mcp-bridge/cache` answered (`l1`, `l2`, `stale`, `miss`, `coalesced`), when installed. */
  BRIDGE_CACHE: 'mcp_bridge.cache',
} as const;

/** The span of a call and the context to start its attempts in, kept in `ctx.state` (shared by derived contexts). */
interface Traced {
  readonly tracer: Tracer;
  readonly span: Span;
  readonly context: Context;
}
const TRACED = Symbol('@mcp-bridge/plugin-tracing');
type TracedState = { [TRACED]?: Traced };

/** What the API hands out when no SDK registered a provider. */
const NOOP_PROVIDER = new ProxyTracerProvider().getDelegate();

type LooseOn = (event: string, listener: (payload: Record<string, unknown>) => void) => () => void;

/**
 * OpenTelemetry tracing of a bridge, following the MCP semantic conventions.
 *
 * - `observe` phase (`order: 'before'`): a span per call (kind INTERNAL), named
 *   `{mcp.method.name} {tool or prompt}`, child of the active span (or of a `traceparent` that came
 *   in `params._meta`), with the outcome (`error.type`, `tool_error` for `isError` results) and the
 *   number of attempts.
 * - `route` phase (`order: 'before'`): a span per attempt (kind CLIENT) under the call's span, with
 *   `mcp_bridge.attempt`, the upstream, its transport and address; its trace context is sent to the
 *   upstream as W3C `traceparent` in `params._meta`. Retries (from `@mcp-bridge/retry` or any
 *   middleware that calls `next()` again) become sibling attempt spans.
 *
 * When no tracer provider is registered at `bridge.start()` (and none is given), the plugin adds no
 * middleware: a call costs nothing. With `lateProvider`, or a provider that is later disabled, a
 * call costs one check: no span, no `_meta`. A sampled-out span is ended at once and the call goes
 * on untouched.
 *
 * @example
 * ```ts
 * import { NodeSDK } from '@opentelemetry/sdk-node';
 * import { createBridge } from '@mcp-bridge/core';
 * import { tracing } from '@mcp-bridge/plugin-tracing';
 *
 * new NodeSDK({ serviceName: 'my-agent' }).start();
 * const bridge = createBridge({ servers, plugins: [tracing()] });
 * ```
 */
export const tracing: (options?: TracingOptions) => Plugin = definePlugin({
  name: PLUGIN,
  version: pkg.version,
  core: '^0.1.0',
  options: tracingOptionsSchema,
  setup(api, o) {
    setupTracing(api, o);
  },
});

type Resolved = ReturnType<typeof tracingOptionsSchema.parse>;

function setupTracing(api: PluginApi, o: Resolved): void {
  // Nothing registered and nothing given: no middleware at all, so a call costs nothing.
  if (o.tracerProvider === undefined && !o.lateProvider && isNoop(trace.getTracerProvider())) return;
  const activeTracer = tracerSource(o.tracerProvider);

  api.use({
    name: `${PLUGIN}:call`,
    phase: 'observe',
    order: 'before',
    handle(ctx, next) {
      const tracer = activeTracer();
      // No provider: one check, and the call goes on as if the plugin were not there.
      if (tracer === undefined || (!o.catalog && ctx.origin === 'catalog')) return next();
      const parent = parentOf(o, ctx);
      const span = tracer.startSpan(
        spanName(ctx, callTarget(ctx)),
        { kind: SpanKind.INTERNAL, attributes: callAttributes(ctx, o.resourceUri) },
        parent,
      );
      if (!span.isRecording()) {
        span.end();
        return next();
      }
      const spanContext = trace.setSpan(parent, span);
      (ctx.state as TracedState)[TRACED] = { tracer, span, context: spanContext };
      return settle(ctx, span, context.with(spanContext, next), (s) => {
        s.setAttribute(ATTR.BRIDGE_ATTEMPTS, ctx.attempt);
        const cached = (ctx.state as { cache?: unknown }).cache;
        if (typeof cached === 'string') s.setAttribute(ATTR.BRIDGE_CACHE, cached);
      });
    },
  });

  // Context goes into `_meta` here, inside the cache phase, so it never becomes part of a cache key.
  if (o.attempts || o.propagate) {
    api.use({
      name: `${PLUGIN}:attempt`,
      phase: 'route',
      order: 'before',
      handle(ctx, next: Next) {
        const traced = (ctx.state as TracedState)[TRACED];
        if (traced === undefined) return next();
        if (!o.attempts) {
          inject(o, ctx, traced.context);
          return next();
        }
        const attributes = attemptAttributes(ctx, o.resourceUri);
        const span = traced.tracer.startSpan(spanName(ctx, attemptTarget(ctx)), { kind: SpanKind.CLIENT, attributes }, traced.context);
        const spanContext = trace.setSpan(traced.context, span);
        if (o.propagate) inject(o, ctx, spanContext);
        return settle(ctx, span, context.with(spanContext, next), (s) => {
          const up = ctx.upstream;
          if (up === undefined) return;
          s.setAttribute(ATTR.BRIDGE_UPSTREAM, up.id);
          addTransport(s, up.kind, up.config);
        });
      },
    });
  }

  // Backoff between attempts shows on the call's span (retry plugin installed or not: read loosely).
  (api.on as unknown as LooseOn)('retry:attempt', (e) => {
    const ctx = e.ctx as CallContext | undefined;
    const traced = ctx ? (ctx.state as TracedState | undefined)?.[TRACED] : undefined;
    if (traced === undefined) return;
    traced.span.addEvent('mcp_bridge.retry', { [ATTR.BRIDGE_ATTEMPT]: Number(e.attempt), 'mcp_bridge.retry.delay_ms': Number(e.delayMs) });
  });
}

/** Puts the trace context into the request's `_meta` (the configured propagator, the global one, or W3C). */
function inject(o: Resolved, ctx: CallContext, spanContext: Context): void {
  const meta: Record<string, unknown> = { ...(asRecord(ctx.params._meta) ?? {}) };
  if (o.propagator) o.propagator.inject(spanContext, meta, defaultTextMapSetter);
  else if (propagation.fields().length > 0) propagation.inject(spanContext, meta, defaultTextMapSetter);
  else {
    const span = trace.getSpanContext(spanContext);
    if (span) injectW3C(span, meta);
  }
  ctx.params = { ...ctx.params, _meta: meta };
}

/** The parent of a call's span: the active context, else (with `extract`) the trace context in the request's `_meta`. */
function parentOf(o: Resolved, ctx: CallContext): Context {
  const active = context.active();
  if (!o.extract || trace.getSpanContext(active) !== undefined) return active;
  const meta = asRecord(ctx.params._meta);
  if (meta === undefined || meta.traceparent === undefined) return active;
  if (o.propagator) return o.propagator.extract(active, meta, defaultTextMapGetter);
  if (propagation.fields().length > 0) return propagation.extract(active, meta, defaultTextMapGetter);
  return extractW3C(active, meta);
}

/** Ends `span` when the call settles, with the outcome; passes the result or error through unchanged. */
function settle(ctx: CallContext, span: Span, pending: Promise<unknown>, finish: (span: Span) => void): Promise<unknown> {
  return pending.then(
    (result) => {
      finish(span);
      if (isToolError(result)) {
        span.setAttribute(ATTR.ERROR_TYPE, 'tool_error');
        span.setStatus({ code: SpanStatusCode.ERROR, message: 'tool_error' });
      }
      span.end();
      return result;
    },
    (error: unknown) => {
      finish(span);
      span.setAttribute(ATTR.ERROR_TYPE, errorType(error, ctx.signal));
      const code = (error as { code?: unknown } | undefined)?.code;
      if (error instanceof Error && error.name === 'McpError' && typeof code === 'number') span.setAttribute(ATTR.RPC_STATUS, String(code));
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      span.end();
      throw error;
    },
  );
}

function isNoop(provider: TracerProvider): boolean {
  return provider instanceof ProxyTracerProvider && provider.getDelegate() === NOOP_PROVIDER;
}

/**
 * The tracer to use for this call, or `undefined` when tracing is off. With the global provider it
 * follows registration (an SDK started after the bridge is picked up) at the cost of a property read.
 */
function tracerSource(explicit: TracerProvider | undefined): () => Tracer | undefined {
  if (explicit !== undefined) {
    const tracer = explicit.getTracer(PLUGIN, pkg.version);
    if (!(explicit instanceof ProxyTracerProvider)) return () => tracer;
    return () => (isNoop(explicit) ? undefined : tracer);
  }
  let provider: TracerProvider | undefined;
  let tracer: Tracer | undefined;
  return () => {
    const current = trace.getTracerProvider();
    if (isNoop(current)) return undefined;
    if (current !== provider) {
      provider = current;
      tracer = current.getTracer(PLUGIN, pkg.version);
    }
    return tracer;
  };
}

/** `{mcp.method.name} {target}` (semantic conventions), or the method alone when there is no low-cardinality target. */
function spanName(ctx: CallContext, target: string | undefined): string {
  return target ? `${ctx.method} ${target}` : ctx.method;
}

/** The call span names what the bridge's caller asked for: the exposed tool name. */
function callTarget(ctx: CallContext): string | undefined {
  if (ctx.method === 'tools/call') return ctx.tool?.name ?? stringParam(ctx, 'name');
  if (ctx.method === 'prompts/get') return stringParam(ctx, 'name');
  return undefined;
}

/** The attempt span names what goes on the wire: the upstream's tool name. */
function attemptTarget(ctx: CallContext): string | undefined {
  return ctx.method === 'tools/call' || ctx.method === 'prompts/get' ? stringParam(ctx, 'name') : undefined;
}

function baseAttributes(ctx: CallContext, target: string | undefined, resourceUri: boolean): Attributes {
  const attributes: Attributes = { [ATTR.METHOD]: ctx.method, [ATTR.BRIDGE_SERVER]: ctx.server };
  if (ctx.method === 'tools/call') {
    if (target !== undefined) attributes[ATTR.TOOL] = target;
    attributes[ATTR.OPERATION] = 'execute_tool';
  } else if (ctx.method === 'prompts/get') {
    if (target !== undefined) attributes[ATTR.PROMPT] = target;
  } else if (
    resourceUri &&
    (ctx.method === 'resources/read' || ctx.method === 'resources/subscribe' || ctx.method === 'resources/unsubscribe')
  ) {
    const uri = stringParam(ctx, 'uri');
    if (uri !== undefined) attributes[ATTR.RESOURCE_URI] = uri;
  }
  return attributes;
}

function callAttributes(ctx: CallContext, resourceUri: boolean): Attributes {
  const attributes = baseAttributes(ctx, callTarget(ctx), resourceUri);
  if (ctx.origin === 'catalog') attributes[ATTR.BRIDGE_ORIGIN] = 'catalog';
  if (ctx.principal !== undefined) {
    attributes[ATTR.USER_ID] = ctx.principal.id;
    attributes[ATTR.PRINCIPAL_KIND] = ctx.principal.kind;
  }
  return attributes;
}

function attemptAttributes(ctx: CallContext, resourceUri: boolean): Attributes {
  const attributes = baseAttributes(ctx, attemptTarget(ctx), resourceUri);
  attributes[ATTR.BRIDGE_ATTEMPT] = ctx.attempt;
  return attributes;
}

/** `network.transport` (`pipe` for stdio, `tcp` for HTTP) and the server's address, per the conventions. */
function addTransport(span: Span, kind: string, config: unknown): void {
  if (kind === 'stdio') {
    span.setAttribute(ATTR.NETWORK_TRANSPORT, 'pipe');
    return;
  }
  if (kind !== 'streamable-http' && kind !== 'sse') return;
  span.setAttribute(ATTR.NETWORK_TRANSPORT, 'tcp');
  const url = (config as { url?: unknown } | undefined)?.url;
  if (typeof url !== 'string' && !(url instanceof URL)) return;
  try {
    const parsed = new URL(url);
    span.setAttribute(ATTR.SERVER_ADDRESS, parsed.hostname);
    span.setAttribute(ATTR.SERVER_PORT, parsed.port ? Number(parsed.port) : parsed.protocol === 'https:' ? 443 : 80);
  } catch {
    // Not a URL we can read: the attributes are only recommended.
  }
}

function stringParam(ctx: CallContext, key: string): string | undefined {
  const value = ctx.params[key];
  return typeof value === 'string' ? value : undefined;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}
