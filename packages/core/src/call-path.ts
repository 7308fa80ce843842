import type { UpstreamRequestOptions } from '@mcp-bridge/transports';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  CallToolResultSchema,
  CompleteResultSchema,
  EmptyResultSchema,
  GetPromptResultSchema,
  ReadResourceResultSchema,
  ResultSchema,
  type CallToolResult,
} from '@modelcontextprotocol/sdk/types.js';
import type { RegisteredPluginTool } from './boot.js';
import { MAX_TIMER_MS } from './call-wait.js';
import type { ListKind } from './catalog.js';
import { NoUpstreamError, NotFoundError, TimeoutError } from './errors.js';
import { visibleIn } from './lists.js';
import { classifyFailure, describeCall, failureOf } from './failure.js';
import { ensureReady, unknownServer, type HostCore } from './host-core.js';
import { LENIENT_LIST_SCHEMAS } from './list-items.js';
import { compileMethod } from './pipeline.js';
import type { CallOptions } from './plugin-api.js';
import { checkRequestBounds } from './request-bounds.js';
import { RequestSignal } from './request-signal.js';
import { UNKNOWN_SAFETY } from './tool-safety.js';
import type { CallContext, CallLink, CallOrigin, McpMethod, ServerListStatus, ToolEntry, UpstreamRequest } from './types.js';
import { upstreamState } from './upstream.js';

// The call path, in order: callToolByName / requestServer (names to a server) → callContext → run
// (the compiled pipeline) → pick and send (its core steps) → request (the SDK request, with the
// CallLink's sent/settled hooks).

/** Options of `callTool`. */
export interface CallToolOptions extends CallOptions {
  /** Call the tool of this server by its upstream name, bypassing the exposed name. */
  server?: string;
  /**
   * Ask the upstream for a task handle instead of the result (MCP 2025-11-25 task augmentation,
   * `params.task`): where it creates one, the result is its CreateTaskResult (`{ task: { taskId,
   * status, ... } }`), to follow with `bridge.request(server, 'tasks/get' | 'tasks/result' |
   * 'tasks/cancel', { taskId })`. A 2026-07-28 upstream's task is translated to that shape.
   * Upstreams that do not create one answer the result as usual.
   */
  task?: { ttl?: number };
}

/** The params of a `tools/call`: with the caller's task request, when it made one. */
function toolParams(name: string, args: Record<string, unknown>, options: CallToolOptions | undefined): Record<string, unknown> {
  return options?.task === undefined ? { name, arguments: args } : { name, arguments: args, task: options.task };
}

const RESULT_SCHEMAS: Record<string, typeof ResultSchema> = {
  'tools/call': CallToolResultSchema,
  // Lists are checked entry by entry in the catalog sync: one bad definition must not cost a server its whole list.
  ...LENIENT_LIST_SCHEMAS,
  'resources/read': ReadResourceResultSchema,
  'prompts/get': GetPromptResultSchema,
  'completion/complete': CompleteResultSchema,
  ping: EmptyResultSchema,
};

/** The methods whose pipelines are compiled at boot. */
export const PIPELINE_METHODS: McpMethod[] = [
  'tools/call',
  'tools/list',
  'resources/list',
  'resources/templates/list',
  'resources/read',
  'resources/subscribe',
  'resources/unsubscribe',
  'prompts/list',
  'prompts/get',
  'completion/complete',
  'logging/setLevel',
  'ping',
];

let nextCallId = 1;

/** Compiles the pipeline of every method in {@link PIPELINE_METHODS}, with `pick` and `send` as its core steps. */
export function compilePipelines(s: HostCore): void {
  s.core = { pick: (ctx) => pick(s, ctx), send: (ctx) => send(s, ctx) };
  for (const method of PIPELINE_METHODS) s.compiled.set(method, compileMethod(method, s.middleware, s.core));
}

/**
 * Sends one request to one logical server through the pipeline (what the gateway uses for
 * methods it forwards as they are). Names in `params` must already be upstream names.
 */
export function requestServer(
  s: HostCore,
  server: string,
  method: McpMethod,
  params: Record<string, unknown> = {},
  options?: CallOptions,
): Promise<unknown> {
  try {
    ensureReady(s);
    if (!s.upstreams.has(server)) throw unknownServer(server, [...s.upstreams.keys()]);
  } catch (error) {
    return Promise.reject(error);
  }
  const tool = method === 'tools/call' && typeof params.name === 'string' ? toolEntry(s, server, params.name) : undefined;
  return run(s, callContext(s, method, server, params, tool, options));
}

/** Calls a tool by its exposed name (or `server/tool`, or `{ server }` with the upstream name). */
export function callToolByName(
  s: HostCore,
  name: string,
  args: Record<string, unknown> = {},
  options?: CallToolOptions,
): Promise<CallToolResult> {
  let entry: ToolEntry | undefined;
  try {
    ensureReady(s);
    const own = options?.server === undefined ? s.pluginTools.get(name) : undefined;
    // A plugin's own tool (api.addTool) shadows a catalog tool of the same name, as it does in lists.
    if (own !== undefined) return callPluginTool(own, args, options);
    entry = options?.server === undefined ? s.catalog.tool(name) : undefined;
    if (!entry) {
      const slash = name.indexOf('/');
      const server = options?.server ?? (slash > 0 ? name.slice(0, slash) : undefined);
      if (server === undefined) return callUnlisted(s, name, args, options);
      if (!s.upstreams.has(server)) throw unknownServer(server, [...s.upstreams.keys()]);
      entry = toolEntry(s, server, options?.server !== undefined ? name : name.slice(slash + 1));
    }
    // A tool hidden from the caller's list (plugins' list filters) does not exist for that caller.
    if (!visibleIn(s, 'tools', entry, options)) throw unknownTool(s, options?.server === undefined ? name : `${options.server}/${name}`);
  } catch (error) {
    return Promise.reject(error);
  }
  return run(
    s,
    callContext(s, 'tools/call', entry.server, toolParams(entry.upstreamName, args, options), entry, options),
  ) as Promise<CallToolResult>;
}

/** Runs a plugin's own tool with the caller's options; a handler that throws synchronously rejects. */
function callPluginTool(
  own: RegisteredPluginTool,
  args: Record<string, unknown>,
  options: CallToolOptions | undefined,
): Promise<CallToolResult> {
  try {
    return Promise.resolve(own.call(args, options ?? {}));
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}

/** A tool name not in the catalog: it may be a tool of a server not listed yet (starting, or down at start). */
export async function callUnlisted(
  s: HostCore,
  name: string,
  args: Record<string, unknown>,
  options: CallToolOptions | undefined,
): Promise<CallToolResult> {
  const timed = await awaitUnlisted(s, 'tools', options, () => s.catalog.tool(name) !== undefined);
  const entry = s.catalog.tool(name);
  // A tool hidden from the caller's list (plugins' list filters) does not exist for that caller.
  if (!entry || !visibleIn(s, 'tools', entry, timed ?? options)) throw unknownTool(s, name);
  return (await run(
    s,
    callContext(s, 'tools/call', entry.server, toolParams(entry.upstreamName, args, options), entry, timed),
  )) as CallToolResult;
}

/**
 * Waits, within the call's deadline, for the servers whose `kind` list is not there yet; returns
 * the call's options with the time that is left, so the wait counts against the deadline.
 */
export async function awaitUnlisted<O extends CallOptions>(
  s: HostCore,
  kind: ListKind,
  options: O | undefined,
  found: () => boolean,
): Promise<O | undefined> {
  const deadline = Date.now() + (options?.timeout ?? s.requestTimeout);
  if (!(await s.watch.awaitUnlisted(kind, deadline, options?.signal, found))) return options;
  ensureReady(s);
  return { ...(options ?? {}), timeout: Math.max(1, deadline - Date.now()) } as O;
}

/** The not-found error of a tool, naming the servers not listed yet. */
export function unknownTool(s: HostCore, name: string): NotFoundError {
  const notOk = Object.entries(s.catalog.status('tools')).filter(([, st]) => st.status !== 'ok');
  const what = (server: string, st: ServerListStatus): string =>
    s.watch.isStarting(server) ? 'still starting' : `${st.status}${st.error ? `: ${st.error.split('\n')[0]}` : ''}`;
  const hint = notOk.length ? `; servers not listed: ${notOk.map(([srv, st]) => `${srv} (${what(srv, st)})`).join(', ')}` : '';
  // `unlisted` carries the statuses alone: the hint's error texts may quote command lines and URLs (a gateway leaves them out).
  const unlisted = notOk.length
    ? { unlisted: Object.fromEntries(notOk.map(([srv, st]) => [srv, s.watch.isStarting(srv) ? 'still starting' : st.status])) }
    : {};
  return new NotFoundError(`no tool named "${name}"${hint}`, { data: { tool: name, ...unlisted } });
}

/** The pipeline's core `pick` step: the pinned upstream, else the balancer's choice. */
export function pick(s: HostCore, ctx: CallContext): void {
  const candidates = s.upstreams.get(ctx.server);
  if (!candidates || candidates.length === 0)
    throw new NoUpstreamError(`server "${ctx.server}" has no upstream`, { data: { server: ctx.server } });
  // A pin is honoured before any balancer: a probe must reach the replica it checks.
  const up = ctx.pin === undefined ? s.balancer.pick(ctx, candidates) : candidates.find((u) => u.id === ctx.pin);
  if (!up && ctx.pin !== undefined) {
    const ids = candidates.map((u) => u.id).join(', ');
    throw new NoUpstreamError(
      `the call is pinned to "${ctx.pin}", which is not an upstream of server "${ctx.server}" (upstreams: ${ids})`,
      {
        data: { server: ctx.server, pin: ctx.pin },
      },
    );
  }
  if (!up) {
    throw new NoUpstreamError(`no upstream of server "${ctx.server}" can take the call (tried: ${[...ctx.tried].join(', ') || 'none'})`, {
      data: { server: ctx.server, tried: [...ctx.tried] },
    });
  }
  ctx.upstream = up;
  ctx.tried.add(up.id);
}

/** The pipeline's core `send` step: the request through the pool (on a session of its caller), with health kept. */
export function send(s: HostCore, ctx: CallContext): Promise<unknown> {
  const up = ctx.upstream!;
  const counts = upstreamState(up);
  counts.inFlight++;
  let pending: Promise<unknown>;
  try {
    // Through the caller's own upstream session when the server keeps caller state (session-lanes.ts).
    pending = s.lanes.run(up, ctx, request);
  } catch (error) {
    pending = Promise.reject(error);
  }
  return pending.then(
    (result) => {
      counts.inFlight--;
      s.health.attempted(up, ctx, undefined);
      return result;
    },
    (error: unknown) => {
      counts.inFlight--;
      const failure = classifyFailure(error, ctx, up);
      // A JSON-RPC error the upstream sent, or an invalid result, means it answered: for health, it is alive.
      const kind = failureOf(failure, ctx.signal).kind;
      const answered = kind === 'answered' || kind === 'invalid-answer';
      // A removed upstream has no health to keep.
      if (s.upstreams.get(up.server)?.includes(up)) s.health.attempted(up, ctx, answered ? undefined : failure);
      throw failure;
    },
  );
}

/** A new call's context: its id, deadline, link, pin and caller, from the call's options. */
export function callContext(
  s: HostCore,
  method: McpMethod,
  server: string,
  params: Record<string, unknown>,
  tool: ToolEntry | undefined,
  options: CallOptions | undefined,
  origin: CallOrigin = options?.origin ?? 'caller',
): CallContext {
  return {
    id: nextCallId++,
    method,
    server,
    params: options?.meta === undefined ? params : withMeta(params, options.meta),
    tool,
    signal: options?.signal ?? options?.link?.signal,
    deadline: Date.now() + (options?.timeout ?? s.requestTimeout),
    attemptTimeout: undefined,
    origin,
    link: options?.link,
    pin: options?.upstream,
    attempt: 0,
    upstream: undefined,
    tried: new Set(),
    onprogress: options?.onprogress,
    state: {},
    caller: options?.caller,
    principal: options?.principal,
  };
}

/** Runs a call through its method's compiled pipeline (compiled on first use for other methods). */
export function run(s: HostCore, ctx: CallContext): Promise<unknown> {
  let step = s.compiled.get(ctx.method);
  if (!step) {
    step = compileMethod(ctx.method, s.middleware, s.core);
    s.compiled.set(ctx.method, step);
  }
  let promise: Promise<unknown>;
  try {
    checkRequestBounds(ctx, s.requestLimits);
    promise = step(ctx);
  } catch (error) {
    promise = Promise.reject(error);
  }
  if (!s.events.has('call:error')) return promise;
  return promise.catch((error: unknown) => {
    s.events.emit('call:error', { ctx, error });
    throw error;
  });
}

/** The catalog entry of a server's tool; an unlisted one gets an entry without annotations. */
export function toolEntry(s: HostCore, server: string, upstreamName: string): ToolEntry {
  return (
    s.catalog.toolOf(server, upstreamName) ?? {
      name: `${server}/${upstreamName}`,
      server,
      upstreamName,
      tool: { name: upstreamName, inputSchema: { type: 'object' } },
      listed: false,
      safety: UNKNOWN_SAFETY,
    }
  );
}

/** `params` with `meta` merged into its `_meta` (a copy: the caller's params are left alone). */
function withMeta(params: Record<string, unknown>, meta: Record<string, unknown>): Record<string, unknown> {
  const own = params._meta;
  return { ...params, _meta: typeof own === 'object' && own !== null ? { ...(own as Record<string, unknown>), ...meta } : { ...meta } };
}

/** The terminal request, with the time left: `min(attemptTimeout, deadline - now)`. */
function request(client: Client, ctx: CallContext): Promise<unknown> {
  let timeout = ctx.deadline - Date.now();
  if (ctx.attemptTimeout !== undefined && ctx.attemptTimeout < timeout) timeout = ctx.attemptTimeout;
  if (timeout <= 0) {
    return Promise.reject(
      new TimeoutError(`${describeCall(ctx)} ran out of time before attempt ${ctx.attempt}`, {
        data: { server: ctx.server, method: ctx.method, sent: false },
      }),
    );
  }
  const link = ctx.link;
  // The caller's signal through a view whose abort listener goes when the request settles; a view of
  // the link's shared view when the call still has the link's signal (one listener per call).
  const shared = link !== undefined && ctx.signal === link.signal ? link.requestSignal : undefined;
  const signal = ctx.signal === undefined ? undefined : new RequestSignal(shared ?? ctx.signal);
  // The downstream call learns which connection works for it before anything can arrive on it.
  const sent: UpstreamRequest | undefined =
    link === undefined ? undefined : { server: ctx.server, upstream: ctx.upstream!, client, method: ctx.method };
  if (sent !== undefined) link!.sent(sent);
  let pending: Promise<unknown>;
  try {
    const options: UpstreamRequestOptions = {
      signal: signal as AbortSignal | undefined,
      timeout: Math.min(timeout, MAX_TIMER_MS),
      onprogress: ctx.onprogress,
      // A modern upstream's `input_required` asks the caller through its link (a 2025 upstream asks by request instead).
      ...(link === undefined ? {} : { askCaller: (question, how) => link.ask(question, how) }),
    };
    pending = client.request({ method: ctx.method, params: ctx.params }, RESULT_SCHEMAS[ctx.method] ?? ResultSchema, options);
  } catch (error) {
    pending = Promise.reject(error);
  }
  if (sent !== undefined) return settleLinked(link!, sent, pending, signal);
  // Nothing to release when nobody listened.
  return signal?.listening ? pending.finally(() => signal.release()) : pending;
}

/** Tells the call's link when one of its upstream requests settled (the hooks must not throw: see {@link CallLink}). */
function settleLinked(
  link: CallLink,
  sent: UpstreamRequest,
  pending: Promise<unknown>,
  signal: RequestSignal | undefined,
): Promise<unknown> {
  return pending.then(
    (result) => {
      signal?.release();
      link.settled(sent);
      return result;
    },
    (error: unknown) => {
      signal?.release();
      link.settled(sent);
      throw error;
    },
  );
}
