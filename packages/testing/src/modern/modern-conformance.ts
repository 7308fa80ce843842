import {
  CLIENT_CAPABILITIES_META_KEY,
  inputRequired,
  ProtocolError,
  ProtocolErrorCode,
  ResourceNotFoundError,
  Server,
  type CallToolResult,
  type ClientCapabilities,
  type ListToolsResult,
  type McpRequestContext,
  type McpServerFactory,
  type ServerContext,
  type ServerNotifier,
} from '@modelcontextprotocol/server';
import { z } from 'zod';
import {
  conformanceCompletion,
  fixturePrompt,
  PROMPTS,
  readFixtureResource,
  RESOURCE_TEMPLATES,
  RESOURCES,
} from '../conformance-content.js';
import {
  ADDED_TOOL,
  conformanceAnswer,
  conformanceAsk,
  conformanceContent,
  missingCapability,
  statefulConformanceTool,
  TOOLS,
  type ConformanceRun,
  type ConformanceToolState,
} from '../conformance-tools.js';
import type { ModernEra } from './modern-options.js';

/** Options of {@link createModernConformanceServer}. JSON only, so they can cross to a child process. */
export interface ModernConformanceServerOptions {
  /** `'dual'` (default) also serves 2025-era clients; `'modern-only'` rejects them (-32022). */
  era?: ModernEra;
  /** Server name reported in `server/discover` and `initialize`. Default `'conformance-fixture'`. */
  name?: string;
  /** Server version. Default `'1.0.0'`. */
  version?: string;
}

const optionsSchema = z
  .object({ era: z.enum(['dual', 'modern-only']).optional(), name: z.string().min(1).optional(), version: z.string().min(1).optional() })
  .strict();

/**
 * The conformance fixture on the v2 server SDK: the SDK factory (one instance per request over HTTP,
 * one per connection over stdio) and the state its instances share.
 */
export interface ModernConformanceServer {
  readonly era: ModernEra;
  readonly name: string;
  /** One configured v2 `Server` per call (the SDK's `McpServerFactory`). */
  readonly factory: McpServerFactory;
  /** Routes resource and tool-list changes to an HTTP entry's `subscriptions/listen` bus (undefined: to the instance itself, as on stdio). */
  setNotifier(notifier: ServerNotifier | undefined): void;
}

/** What every instance of one fixture shares: HTTP instances live for one request. */
interface Shared {
  state: ConformanceToolState;
  notifier: ServerNotifier | undefined;
}

/**
 * The conformance fixture ({@link createConformanceServer}: the tools, resources, prompts and
 * completions the official suite expects) rebuilt on the official v2 server SDK, speaking
 * 2026-07-28. In the modern era the tools that ask the client (`test_sampling`, `test_elicitation*`,
 * `test_list_roots`) answer `input_required` and finish when the call is re-sent with
 * `inputResponses`; logging and progress travel on the call's own response stream; resource updates
 * and tool-list changes reach `subscriptions/listen` streams. A 2025-era connection (`era: 'dual'`)
 * gets real mid-call requests where it has a session (stdio); over HTTP it is served statelessly.
 *
 * @throws TypeError for invalid options.
 * @example
 * const fixture = createModernConformanceServer({ era: 'modern-only' });
 * serveStdio(fixture.factory, { legacy: 'reject' });
 */
export function createModernConformanceServer(options: ModernConformanceServerOptions = {}): ModernConformanceServer {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new TypeError(`[mcp-bridge] [@mcp-bridge/testing] invalid modern conformance server options: ${issues.join('; ')}`);
  }
  const info = { name: options.name ?? 'conformance-fixture', version: options.version ?? '1.0.0' };
  const shared: Shared = { state: { subscribed: new Set(), addedTool: false, lastCancel: { cancelled: false } }, notifier: undefined };
  return {
    era: options.era ?? 'dual',
    name: info.name,
    factory: (ctx: McpRequestContext) => newInstance(info, shared, ctx.era),
    setNotifier: (notifier) => void (shared.notifier = notifier),
  };
}

/** One v2 instance serving `era`, with the fixture's handlers. */
function newInstance(info: { name: string; version: string }, shared: Shared, era: 'legacy' | 'modern'): Server {
  const server = new Server(info, {
    capabilities: {
      tools: { listChanged: true },
      resources: { subscribe: true, listChanged: true },
      prompts: { listChanged: true },
      completions: {},
      logging: {},
    },
  });
  const { state } = shared;
  // The same JSON Schemas as the 2025-era fixture; the v2 types describe them more narrowly than the v1 ones.
  server.setRequestHandler('tools/list', () => ({ tools: (state.addedTool ? [...TOOLS, ADDED_TOOL] : TOOLS) as ListToolsResult['tools'] }));
  server.setRequestHandler('tools/call', (request, ctx) => callTool(server, shared, era, request.params, ctx) as Promise<CallToolResult>);
  server.setRequestHandler('resources/list', () => ({ resources: RESOURCES }));
  server.setRequestHandler('resources/templates/list', () => ({ resourceTemplates: RESOURCE_TEMPLATES }));
  server.setRequestHandler('resources/read', ({ params: { uri } }) => {
    const found = readFixtureResource(uri);
    if (!found) throw new ResourceNotFoundError(uri);
    return found;
  });
  if (era === 'legacy') {
    // 2026-07-28 has no resources/subscribe: a modern caller names the URIs in its subscriptions/listen filter.
    server.setRequestHandler('resources/subscribe', ({ params: { uri } }) => (state.subscribed.add(uri), {}));
    server.setRequestHandler('resources/unsubscribe', ({ params: { uri } }) => (state.subscribed.delete(uri), {}));
  }
  server.setRequestHandler('prompts/list', () => ({ prompts: PROMPTS }));
  server.setRequestHandler('prompts/get', ({ params }) => {
    const found = fixturePrompt(params.name, params.arguments ?? {});
    if (!found) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown prompt: ${params.name}`);
    return found;
  });
  server.setRequestHandler('completion/complete', ({ params }) => ({
    completion: conformanceCompletion(params.ref.type, params.argument.value),
  }));
  return server;
}

/** The `tools/call` handler: fixed content, the tools that ask the client, and the stateful ones. */
async function callTool(
  server: Server,
  shared: Shared,
  era: 'legacy' | 'modern',
  params: { name: string; arguments?: Record<string, unknown> },
  ctx: ServerContext,
): Promise<unknown> {
  const { name } = params;
  const args = params.arguments ?? {};
  const result =
    conformanceContent(name, args) ??
    askClient(server, era, name, args, ctx) ??
    (await statefulConformanceTool(shared.state, name, args, toolRun(server, shared, era, ctx)));
  if (result) return result;
  throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown tool: ${name}`);
}

/**
 * The tools that need the client's input: `input_required` naming the request, then the answer
 * from the re-sent call's `inputResponses` (no server-to-client request exists in 2026-07-28). On a
 * 2025-era connection the SDK's legacy shim turns it into a real request where a session can carry
 * one (stdio), and into an isError answer where none can (stateless HTTP).
 */
function askClient(
  server: Server,
  era: 'legacy' | 'modern',
  name: string,
  args: Record<string, unknown>,
  ctx: ServerContext,
): CallToolResult | ReturnType<typeof inputRequired> | undefined {
  const ask = conformanceAsk(name, args);
  if (!ask) return undefined;
  const response = ctx.mcpReq.inputResponses?.[ask.kind];
  if (response !== undefined) return conformanceAnswer(name, response);
  if (ask.needsCapability && !clientCapabilities(server, era, ctx)?.[ask.kind]) return missingCapability(ask.kind);
  return inputRequired({ inputRequests: { [ask.kind]: ask.request as never } });
}

/**
 * What the caller can do: a 2026-07-28 request carries it in its own `_meta` envelope (a pinned
 * stdio instance serves many requests, so the instance's handshake-era view is not it); a 2025-era
 * connection declared it at initialize.
 */
function clientCapabilities(server: Server, era: 'legacy' | 'modern', ctx: ServerContext): ClientCapabilities | undefined {
  if (era === 'legacy') return server.getClientCapabilities();
  const envelope = ctx.mcpReq.envelope as Record<string, unknown> | undefined;
  return envelope?.[CLIENT_CAPABILITIES_META_KEY] as ClientCapabilities | undefined;
}

/** The shared stateful tools' view of this instance. */
function toolRun(server: Server, shared: Shared, era: 'legacy' | 'modern', ctx: ServerContext): ConformanceRun {
  return {
    signal: ctx.mcpReq.signal,
    progressToken: ctx.mcpReq._meta?.progressToken,
    notify: (n) => ctx.mcpReq.notify(n),
    resourceUpdated: async (uri) => {
      if (era === 'legacy' && !shared.state.subscribed.has(uri)) return false;
      // Modern: the SDK delivers the update to the listen streams whose filter names the URI.
      if (shared.notifier) shared.notifier.resourceUpdated(uri);
      else await server.sendResourceUpdated({ uri });
      return true;
    },
    toolListChanged: async () => {
      if (shared.notifier) shared.notifier.toolsChanged();
      else await server.sendToolListChanged();
    },
  };
}
