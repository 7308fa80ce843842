import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  CompleteRequestSchema,
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import {
  conformanceCompletion,
  fixturePrompt,
  PROMPTS,
  readFixtureResource,
  RESOURCE_TEMPLATES,
  RESOURCES,
} from './conformance-content.js';
import { ADDED_TOOL, callConformanceTool, TOOLS, type ConformanceToolState } from './conformance-tools.js';

/** Options of {@link createConformanceServer}. JSON only, so they can cross to a child process. */
export interface ConformanceServerOptions {
  /** Server name reported in `initialize`. Default `'conformance-fixture'`. */
  name?: string;
  /** Server version reported in `initialize`. Default `'1.0.0'`. */
  version?: string;
}

/**
 * An MCP server implementing every server scenario of the official conformance suite
 * (`@modelcontextprotocol/conformance` 0.1.13): the `test_*` tools, resources (text, binary, a
 * template, a subscribable one), prompts, completion and logging. One instance serves one session;
 * connect it to any transport. Run it over stdio with the `mcp-bridge-conformance-server` bin (or
 * {@link conformanceServerCommand}).
 *
 * @example
 * ```ts
 * const server = createConformanceServer();
 * await server.connect(new StdioServerTransport());
 * ```
 */
export function createConformanceServer(options: ConformanceServerOptions = {}): Server {
  const server = new Server(
    { name: options.name ?? 'conformance-fixture', version: options.version ?? '1.0.0' },
    {
      capabilities: {
        tools: { listChanged: true },
        resources: { subscribe: true, listChanged: true },
        prompts: { listChanged: true },
        completions: {},
        logging: {},
      },
    },
  );
  const state: ConformanceToolState = { subscribed: new Set(), addedTool: false, lastCancel: { cancelled: false } };
  const subscribed = state.subscribed;

  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: state.addedTool ? [...TOOLS, ADDED_TOOL] : TOOLS }));

  server.setRequestHandler(CallToolRequestSchema, (request, extra) => callConformanceTool(server, state, request, extra));

  server.setRequestHandler(ListResourcesRequestSchema, () => ({ resources: RESOURCES }));
  server.setRequestHandler(ListResourceTemplatesRequestSchema, () => ({ resourceTemplates: RESOURCE_TEMPLATES }));
  server.setRequestHandler(ReadResourceRequestSchema, ({ params: { uri } }) => {
    const found = readFixtureResource(uri);
    if (!found) throw new McpError(-32002, `Resource not found: ${uri}`, { uri });
    return found;
  });
  server.setRequestHandler(SubscribeRequestSchema, ({ params: { uri } }) => {
    subscribed.add(uri);
    return {};
  });
  server.setRequestHandler(UnsubscribeRequestSchema, ({ params: { uri } }) => {
    subscribed.delete(uri);
    return {};
  });

  server.setRequestHandler(ListPromptsRequestSchema, () => ({ prompts: PROMPTS }));
  server.setRequestHandler(GetPromptRequestSchema, ({ params }) => {
    const found = fixturePrompt(params.name, params.arguments ?? {});
    if (!found) throw new McpError(ErrorCode.InvalidParams, `Unknown prompt: ${params.name}`);
    return found;
  });

  server.setRequestHandler(CompleteRequestSchema, ({ params }) => ({
    completion: conformanceCompletion(params.ref.type, params.argument.value),
  }));

  return server;
}
