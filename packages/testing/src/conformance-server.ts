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
  type GetPromptResult,
  type Prompt,
  type ReadResourceResult,
  type Resource,
} from '@modelcontextprotocol/sdk/types.js';
import { ADDED_TOOL, callConformanceTool, RED_PIXEL_PNG, TOOLS, WATCHED_URI, type ConformanceToolState } from './conformance-tools.js';

/** Options of {@link createConformanceServer}. JSON only, so they can cross to a child process. */
export interface ConformanceServerOptions {
  /** Server name reported in `initialize`. Default `'conformance-fixture'`. */
  name?: string;
  /** Server version reported in `initialize`. Default `'1.0.0'`. */
  version?: string;
}

const TEMPLATE_RE = /^test:\/\/template\/([^/]+)\/data$/;

const RESOURCES: Resource[] = [
  { uri: 'test://static-text', name: 'static-text', description: 'A static text resource', mimeType: 'text/plain' },
  { uri: 'test://static-binary', name: 'static-binary', description: 'A static binary resource (PNG)', mimeType: 'image/png' },
  { uri: WATCHED_URI, name: 'watched-resource', description: 'A resource clients can subscribe to', mimeType: 'text/plain' },
];

const PROMPTS: Prompt[] = [
  { name: 'test_simple_prompt', description: 'A prompt without arguments' },
  {
    name: 'test_prompt_with_arguments',
    description: 'A prompt with two arguments',
    arguments: [
      { name: 'arg1', description: 'First test argument', required: true },
      { name: 'arg2', description: 'Second test argument', required: true },
    ],
  },
  {
    name: 'test_prompt_with_embedded_resource',
    description: 'A prompt that embeds a resource',
    arguments: [{ name: 'resourceUri', description: 'URI of the resource to embed', required: true }],
  },
  { name: 'test_prompt_with_image', description: 'A prompt with image content' },
];

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
  server.setRequestHandler(ListResourceTemplatesRequestSchema, () => ({
    resourceTemplates: [
      {
        uriTemplate: 'test://template/{id}/data',
        name: 'template',
        description: 'A resource template with an id',
        mimeType: 'application/json',
      },
    ],
  }));
  server.setRequestHandler(ReadResourceRequestSchema, ({ params: { uri } }) => readFixtureResource(uri));
  server.setRequestHandler(SubscribeRequestSchema, ({ params: { uri } }) => {
    subscribed.add(uri);
    return {};
  });
  server.setRequestHandler(UnsubscribeRequestSchema, ({ params: { uri } }) => {
    subscribed.delete(uri);
    return {};
  });

  server.setRequestHandler(ListPromptsRequestSchema, () => ({ prompts: PROMPTS }));
  server.setRequestHandler(GetPromptRequestSchema, ({ params }) => fixturePrompt(params.name, params.arguments ?? {}));

  server.setRequestHandler(CompleteRequestSchema, ({ params }) => {
    const candidates = params.ref.type === 'ref/prompt' ? ['paris', 'park', 'party', 'test-value'] : ['1', '2', '3', '123'];
    const values = candidates.filter((v) => v.startsWith(params.argument.value));
    return { completion: { values, total: values.length, hasMore: false } };
  });

  return server;
}

/** The fixture's resources by URI (static text, binary, watched, and the template's data). */
function readFixtureResource(uri: string): ReadResourceResult {
  if (uri === 'test://static-text')
    return { contents: [{ uri, mimeType: 'text/plain', text: 'This is the content of the static text resource.' }] };
  if (uri === 'test://static-binary') return { contents: [{ uri, mimeType: 'image/png', blob: RED_PIXEL_PNG }] };
  if (uri === WATCHED_URI)
    return { contents: [{ uri, mimeType: 'text/plain', text: `Watched resource, read at ${new Date().toISOString()}` }] };
  const match = TEMPLATE_RE.exec(uri);
  if (match) {
    const id = decodeURIComponent(match[1]!);
    return {
      contents: [{ uri, mimeType: 'application/json', text: JSON.stringify({ id, templateTest: true, data: `Data for ID: ${id}` }) }],
    };
  }
  throw new McpError(-32002, `Resource not found: ${uri}`, { uri });
}

/** The fixture's prompts by name. */
function fixturePrompt(name: string, args: Record<string, string>): GetPromptResult {
  switch (name) {
    case 'test_simple_prompt':
      return { messages: [{ role: 'user', content: { type: 'text', text: 'This is a simple prompt for testing.' } }] };
    case 'test_prompt_with_arguments':
      return {
        messages: [
          {
            role: 'user',
            content: { type: 'text', text: `Prompt with arguments: arg1='${args.arg1 ?? ''}', arg2='${args.arg2 ?? ''}'` },
          },
        ],
      };
    case 'test_prompt_with_embedded_resource':
      return {
        messages: [
          {
            role: 'user',
            content: {
              type: 'resource',
              resource: {
                uri: args.resourceUri ?? 'test://example-resource',
                mimeType: 'text/plain',
                text: 'Embedded resource content for testing.',
              },
            },
          },
          { role: 'user', content: { type: 'text', text: 'Please process the embedded resource above.' } },
        ],
      };
    case 'test_prompt_with_image':
      return {
        messages: [
          { role: 'user', content: { type: 'image', data: RED_PIXEL_PNG, mimeType: 'image/png' } },
          { role: 'user', content: { type: 'text', text: 'Please analyze the image above.' } },
        ],
      };
  }
  throw new McpError(ErrorCode.InvalidParams, `Unknown prompt: ${name}`);
}
