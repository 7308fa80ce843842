import type { CallOptions, ServerListStatus } from '@mcp-bridge/core';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  CallToolRequestSchema,
  CompleteRequestSchema,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  ReadResourceRequestSchema,
  RootsListChangedNotificationSchema,
  SetLevelRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
  type CancelledNotification,
  type ServerNotification,
  type ServerRequest,
} from '@modelcontextprotocol/sdk/types.js';
import { requestFailure, toolFailure } from './errors.js';
import { publicListStatus } from './public-error.js';
import type { GatewayOptions } from './options.js';
import type { CallScope, DownstreamSession, Router } from './router.js';
import type { CancelLink } from './cancel-link.js';
import { SERVER_VERSION } from './version.js';

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/**
 * Creates the SDK server that speaks to one downstream client, with every request answered
 * through the bridge (and so through its plugin pipeline) with `caller` set to the session's
 * caller (`caller`, default the session id) — list calls too, so plugins' list filters apply per
 * caller. The session is registered with the router; call `router.removeSession(id)` when it ends.
 */
export function createSession(router: Router, id: string, options: GatewayOptions, caller: string = id): DownstreamSession {
  const bridge = router.bridge;
  const server = new Server(options.serverInfo ?? { name: 'mcp-bridge', version: SERVER_VERSION }, {
    capabilities: {
      tools: { listChanged: true },
      resources: { subscribe: true, listChanged: true },
      prompts: { listChanged: true },
      completions: {},
      logging: {},
    },
    ...(options.instructions === undefined ? {} : { instructions: options.instructions }),
  });
  const session: DownstreamSession = { id, caller, server, logLevel: undefined, subscriptions: new Set(), calls: seeCancellations(server) };
  const listOptions = { caller };

  /** Runs one bridge call for this session, in a scope that lets upstream requests be traced back to it. */
  const run = <T>(method: string, extra: Extra, fn: (options: CallOptions) => Promise<T>): Promise<T> => {
    const scope: CallScope = { session, method, extra, done: false };
    session.calls?.set(extra.requestId, scope);
    const callOptions: CallOptions = { signal: extra.signal, caller };
    // The client's trace context goes on with the call, so a tracing plugin continues its trace.
    const traceparent = extra._meta?.traceparent;
    if (typeof traceparent === 'string') callOptions.meta = traceMeta(traceparent, extra._meta!);
    const token = extra._meta?.progressToken;
    if (token === undefined) {
      // No progress to wait for: settle without the extra async steps (the hot path).
      return router.runScoped(scope, () => fn(callOptions)).then(
        (result) => {
          router.endScope(scope);
          return result;
        },
        (error: unknown) => {
          router.endScope(scope);
          throw error;
        },
      );
    }
    // Progress sent so far; the result waits for it, or a late progress would reach the client
    // after the response, when it no longer listens for that token.
    let progressSent: Promise<unknown> = Promise.resolve();
    let progressed = false;
    callOptions.onprogress = (progress) => {
      progressed = true;
      // Only this client's call asked for it: the notification goes on this request's stream, to this client.
      const send = (): Promise<unknown> =>
        extra.sendNotification({ method: 'notifications/progress', params: { ...progress, progressToken: token } }).catch(() => undefined);
      progressSent = progressSent.then(send);
    };
    const settle = async (): Promise<void> => {
      router.endScope(scope);
      await progressSent;
      // SDK clients drop a progress notification they read in the same chunk as the response (they
      // handle notifications a microtask late): give the last one its own write.
      if (progressed) await new Promise((resolve) => setImmediate(resolve));
    };
    return router.runScoped(scope, () => fn(callOptions)).then(
      async (result) => {
        await settle();
        return result;
      },
      async (error: unknown) => {
        await settle();
        throw error;
      },
    );
  };

  server.setRequestHandler(ListToolsRequestSchema, async (_request, extra) => {
    try {
      return publicList(await bridge.listTools(listOptions));
    } catch (error) {
      return requestFailure(error, extra.signal);
    }
  });

  // The hot path: a plain promise chain, no async function around it.
  // Registered with the protocol's own method, not the SDK Server's override: the override parses
  // the request a second time (the protocol has just parsed it with this schema), parses the result
  // again and adds an async step, ~2.5% of a gateway call. The result is the bridge's: an upstream
  // result it parsed with CallToolResultSchema, or one the gateway or a plugin built.
  const setProtocolRequestHandler: Server['setRequestHandler'] = (Object.getPrototypeOf(Server.prototype) as { setRequestHandler: Server['setRequestHandler'] }).setRequestHandler.bind(server);
  setProtocolRequestHandler(CallToolRequestSchema, (request, extra) =>
    run('tools/call', extra, (o) => bridge.callTool(request.params.name, request.params.arguments ?? {}, o)).catch((error: unknown) => toolFailure(error, extra.signal)),
  );

  server.setRequestHandler(ListResourcesRequestSchema, async (_request, extra) => {
    try {
      return publicList(await bridge.listResources(listOptions));
    } catch (error) {
      return requestFailure(error, extra.signal);
    }
  });

  server.setRequestHandler(ListResourceTemplatesRequestSchema, async (_request, extra) => {
    try {
      return publicList(await bridge.listResourceTemplates(listOptions));
    } catch (error) {
      return requestFailure(error, extra.signal);
    }
  });

  server.setRequestHandler(ReadResourceRequestSchema, async (request, extra) => {
    try {
      return await run('resources/read', extra, (o) => bridge.readResource(request.params.uri, o));
    } catch (error) {
      return requestFailure(error, extra.signal, 'resource');
    }
  });

  server.setRequestHandler(SubscribeRequestSchema, async (request, extra) => {
    try {
      await run('resources/subscribe', extra, () => router.subscribe(session, request.params.uri, extra));
      return {};
    } catch (error) {
      return requestFailure(error, extra.signal, 'resource');
    }
  });

  server.setRequestHandler(UnsubscribeRequestSchema, async (request, extra) => {
    try {
      await router.unsubscribe(session, request.params.uri);
      return {};
    } catch (error) {
      return requestFailure(error, extra.signal, 'resource');
    }
  });

  server.setRequestHandler(ListPromptsRequestSchema, async (_request, extra) => {
    try {
      return publicList(await bridge.listPrompts(listOptions));
    } catch (error) {
      return requestFailure(error, extra.signal);
    }
  });

  server.setRequestHandler(GetPromptRequestSchema, async (request, extra) => {
    try {
      return await run('prompts/get', extra, (o) => bridge.getPrompt(request.params.name, request.params.arguments ?? {}, o));
    } catch (error) {
      return requestFailure(error, extra.signal);
    }
  });

  server.setRequestHandler(CompleteRequestSchema, async (request, extra) => {
    try {
      return await run('completion/complete', extra, (o) => bridge.complete(request.params, o));
    } catch (error) {
      return requestFailure(error, extra.signal);
    }
  });

  server.setRequestHandler(SetLevelRequestSchema, async (request) => {
    await router.setLogLevel(session, request.params.level);
    return {};
  });

  server.setNotificationHandler(RootsListChangedNotificationSchema, () => {
    router.rootsChanged(session);
  });

  router.addSession(session);
  return session;
}

/**
 * Sees this session's `notifications/cancelled` first hand: after the SDK has aborted the request's
 * signal as usual, the call's {@link CancelLink} cancels what it caused upstream (see there for why).
 * Returns the table of calls in flight (filled by `run`, emptied by the router), or `undefined` when this SDK version has no `_oncancel` to wrap: then
 * cancellation is forwarded through the AbortSignal alone, as before.
 */
function seeCancellations(server: Server): Map<string | number, CallScope> | undefined {
  const internal = server as unknown as { _oncancel?: (notification: CancelledNotification) => Promise<void> };
  const sdkCancel = internal._oncancel;
  if (typeof sdkCancel !== 'function') return undefined;
  const calls = new Map<string | number, CallScope>();
  internal._oncancel = async (notification) => {
    // The SDK aborts the request's signal synchronously; the link follows at once.
    void sdkCancel.call(server, notification);
    const requestId = notification.params.requestId;
    if (requestId !== undefined) calls.get(requestId)?.link?.fire();
  };
  return calls;
}

/** The W3C trace context fields of a request's `_meta` (nothing else: a progress token must not travel upstream). */
function traceMeta(traceparent: string, meta: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { traceparent };
  if (typeof meta.tracestate === 'string') out.tracestate = meta.tracestate;
  if (typeof meta.baggage === 'string') out.baggage = meta.baggage;
  return out;
}

/** A merged list as a client may read it: per-server failures by kind, never their text (see {@link publicListStatus}). */
function publicList<T extends { _meta: { 'mcp-bridge/servers': Record<string, ServerListStatus> } }>(list: T): T {
  return { ...list, _meta: { ...list._meta, 'mcp-bridge/servers': publicListStatus(list._meta['mcp-bridge/servers']) } };
}
