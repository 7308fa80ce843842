import type { CallOptions, ServerListStatus } from '@mcp-bridge/core';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
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
} from '@modelcontextprotocol/sdk/types.js';
import { requestFailure, toolFailure } from './errors.js';
import { publicListStatus } from './public-error.js';
import type { GatewayOptions } from './options.js';
import type { DownstreamCall, Extra } from './downstream-call.js';
import type { DownstreamSession, Router } from './router.js';
import { SERVER_VERSION } from './version.js';

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
  const session: DownstreamSession = { id, caller, server, logLevel: undefined, subscriptions: new Set() };
  const listOptions = { caller };

  /** Runs one bridge call for this session, with a link (see {@link DownstreamCall}) that traces its upstream requests back to it. */
  const run = <T>(method: string, extra: Extra, fn: (options: CallOptions, link: DownstreamCall) => Promise<T>): Promise<T> => {
    const link = router.link(session, method, extra);
    const callOptions: CallOptions = { link, caller };
    const { _meta: meta } = extra;
    // The client's trace context goes on with the call, so a tracing plugin continues its trace.
    if (typeof meta?.traceparent === 'string') callOptions.meta = traceMeta(meta.traceparent, meta);
    const token = meta?.progressToken;
    // No progress to wait for: settle without the extra async steps (the hot path).
    if (token === undefined) return settled(link, () => fn(callOptions, link));
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
    const flush = async (): Promise<void> => {
      await progressSent;
      // SDK clients drop a progress notification they read in the same chunk as the response (they
      // handle notifications a microtask late): give the last one its own write.
      if (progressed) await new Promise((resolve) => setImmediate(resolve));
    };
    return settled(link, () => fn(callOptions, link)).then(
      async (result) => {
        await flush();
        return result;
      },
      async (error: unknown) => {
        await flush();
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

  // The hot path: a plain promise chain, no async function around it. Registered through the SDK
  // Server's public setRequestHandler, which parses the request and the result once more (measured
  // with `pnpm bench gateway`; see the changeset): no SDK internals, so no silent break on an upgrade.
  server.setRequestHandler(CallToolRequestSchema, (request, extra) =>
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
      await run('resources/subscribe', extra, (_o, link) => router.subscribe(session, request.params.uri, link));
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

/** Runs a call of `link` and ends the link when it settles, however it settles. */
function settled<T>(link: DownstreamCall, fn: () => Promise<T>): Promise<T> {
  let pending: Promise<T>;
  try {
    pending = fn();
  } catch (error) {
    pending = Promise.reject(error);
  }
  return pending.then(
    (result) => {
      link.end();
      return result;
    },
    (error: unknown) => {
      link.end();
      throw error;
    },
  );
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
  const { _meta: meta } = list;
  return { ...list, _meta: { ...meta, 'mcp-bridge/servers': publicListStatus(meta['mcp-bridge/servers']) } };
}
