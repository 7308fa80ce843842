import type { Principal, ServerListStatus } from '@mcp-bridge/core';
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
import { callRunner, type Run } from './call-runner.js';
import { callToolAsTask, GATEWAY_TASKS_CAPABILITY, registerTaskRoutes, upstreamsOfferTasks } from './task-routes.js';
import type { DownstreamSession, Router } from './router.js';
import type { SessionIdentity } from './session-identity.js';
import { SERVER_VERSION } from './version.js';

let nextClientKey = 1;

/**
 * Creates the SDK server that speaks to one downstream client, with every request answered
 * through the bridge (and so through its plugin pipeline) with `caller` set to the session's
 * caller (`caller`, default the session id) — list calls too, so plugins' list filters apply per
 * caller. The session is registered with the router; call `router.removeSession(id)` when it ends.
 */
export function createSession(
  router: Router,
  id: string,
  options: GatewayOptions,
  caller: string = id,
  identity?: SessionIdentity,
): DownstreamSession {
  // Task handles only where an upstream creates tasks (known for the upstreams connected when the session opens).
  const tasks = upstreamsOfferTasks(router.bridge);
  const server = new Server(options.serverInfo ?? { name: 'mcp-bridge', version: SERVER_VERSION }, {
    capabilities: {
      tools: { listChanged: true },
      resources: { subscribe: true, listChanged: true },
      prompts: { listChanged: true },
      completions: {},
      logging: {},
      ...(tasks ? { tasks: GATEWAY_TASKS_CAPABILITY } : {}),
    },
    ...(options.instructions === undefined ? {} : { instructions: options.instructions }),
  });
  const session: DownstreamSession = {
    id,
    caller,
    server,
    logLevel: undefined,
    subscriptions: new Set(),
    key: `client-${nextClientKey++}`,
    roots: undefined,
    rootsKey: '[]',
    rootsFetch: undefined,
    rootsVersion: 0,
    identity,
  };

  const run = callRunner(router, session, options.requestTimeout);
  registerLists(server, router, caller, identity?.principal);
  registerCalls(server, router, session, run, tasks);
  if (tasks) registerTaskRoutes(server, router, session, run);
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

/** The merged lists, through the bridge with the session's caller, so plugins' list filters apply per caller. */
function registerLists(server: Server, router: Router, caller: string, principal: Principal | undefined): void {
  const bridge = router.bridge;
  const listOptions = { caller, principal };
  server.setRequestHandler(ListToolsRequestSchema, async (_request, extra) => {
    try {
      return publicList(router, caller, await bridge.listTools(listOptions));
    } catch (error) {
      return requestFailure(error, extra.signal);
    }
  });

  server.setRequestHandler(ListResourcesRequestSchema, async (_request, extra) => {
    try {
      return publicList(router, caller, await bridge.listResources(listOptions));
    } catch (error) {
      return requestFailure(error, extra.signal);
    }
  });

  server.setRequestHandler(ListResourceTemplatesRequestSchema, async (_request, extra) => {
    try {
      return publicList(router, caller, await bridge.listResourceTemplates(listOptions));
    } catch (error) {
      return requestFailure(error, extra.signal);
    }
  });

  server.setRequestHandler(ListPromptsRequestSchema, async (_request, extra) => {
    try {
      return publicList(router, caller, await bridge.listPrompts(listOptions));
    } catch (error) {
      return requestFailure(error, extra.signal);
    }
  });
}

/** The calls, each with its link (see {@link callRunner}). */
function registerCalls(server: Server, router: Router, session: DownstreamSession, run: Run, tasks: boolean): void {
  const bridge = router.bridge;
  // The hot path: a plain promise chain, no async function around it. Registered through the SDK
  // Server's public setRequestHandler, which parses the request and the result once more (measured
  // with `pnpm bench gateway`; see the changeset): no SDK internals, so no silent break on an upgrade.
  server.setRequestHandler(CallToolRequestSchema, (request, extra) =>
    // A task request (`params.task`) is answered with a task handle, where some upstream creates tasks (task-routes.ts).
    tasks && request.params.task !== undefined
      ? (callToolAsTask(router, session, run, request, extra) as never)
      : run('tools/call', extra, (o) => bridge.callTool(request.params.name, request.params.arguments ?? {}, o)).catch((error: unknown) =>
          toolFailure(error, extra.signal),
        ),
  );

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
}

/**
 * A merged list as a client may read it: per-server failures by kind, never their text (see
 * {@link publicListStatus}), and only the servers its caller may see.
 */
function publicList<T extends { _meta: { 'mcp-bridge/servers': Record<string, ServerListStatus> } }>(
  router: Router,
  caller: string,
  list: T,
): T {
  const { _meta: meta } = list;
  const servers = Object.fromEntries(Object.entries(meta['mcp-bridge/servers']).filter(([server]) => router.visible(caller, server)));
  return { ...list, _meta: { ...meta, 'mcp-bridge/servers': publicListStatus(servers) } };
}
