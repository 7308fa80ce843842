import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  CompleteRequestSchema,
  CreateMessageResultSchema,
  ElicitResultSchema,
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListRootsResultSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
  type CallToolResult,
  type GetPromptResult,
  type Prompt,
  type ReadResourceResult,
  type Resource,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';

/** Options of {@link createConformanceServer}. JSON only, so they can cross to a child process. */
export interface ConformanceServerOptions {
  /** Server name reported in `initialize`. Default `'conformance-fixture'`. */
  name?: string;
  /** Server version reported in `initialize`. Default `'1.0.0'`. */
  version?: string;
}

/** A 1x1 red PNG. */
const RED_PIXEL_PNG =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';

/** A minimal WAV file: a RIFF header with one silent 8-bit mono sample at 8 kHz. */
const SILENT_WAV = Buffer.from(
  '524946462500000057415645666d74201000000001000100401f0000401f0000010008006461746101000000' + '80',
  'hex',
).toString('base64');

const WATCHED_URI = 'test://watched-resource';
const TEMPLATE_RE = /^test:\/\/template\/([^/]+)\/data$/;

const noArgs = { type: 'object' as const, properties: {} };

/**
 * Tools the official conformance suite (`@modelcontextprotocol/conformance` 0.1.13) calls by name,
 * plus a few the gateway tests use (cancellation, roots, resource updates, list changes).
 */
const TOOLS: Tool[] = [
  { name: 'test_simple_text', description: 'Returns simple text content', inputSchema: noArgs },
  { name: 'test_image_content', description: 'Returns image content', inputSchema: noArgs },
  { name: 'test_audio_content', description: 'Returns audio content', inputSchema: noArgs },
  { name: 'test_embedded_resource', description: 'Returns an embedded resource', inputSchema: noArgs },
  { name: 'test_multiple_content_types', description: 'Returns text, image and resource content', inputSchema: noArgs },
  { name: 'test_tool_with_logging', description: 'Sends three log messages while it runs', inputSchema: noArgs },
  { name: 'test_error_handling', description: 'Always returns an error result', inputSchema: noArgs },
  { name: 'test_tool_with_progress', description: 'Reports progress 0, 50, 100 of 100', inputSchema: noArgs },
  {
    name: 'test_sampling',
    description: 'Asks the client to sample an LLM message',
    inputSchema: { type: 'object', properties: { prompt: { type: 'string' } }, required: ['prompt'] },
  },
  {
    name: 'test_elicitation',
    description: 'Asks the client for user input',
    inputSchema: { type: 'object', properties: { message: { type: 'string' } }, required: ['message'] },
  },
  { name: 'test_elicitation_sep1034_defaults', description: 'Elicitation with defaults for every primitive type', inputSchema: noArgs },
  { name: 'test_elicitation_sep1330_enums', description: 'Elicitation with the five enum schema variants', inputSchema: noArgs },
  {
    name: 'json_schema_2020_12_tool',
    description: 'Tool with JSON Schema 2020-12 features',
    inputSchema: {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      $defs: { address: { type: 'object', properties: { street: { type: 'string' }, city: { type: 'string' } } } },
      properties: { name: { type: 'string' }, address: { $ref: '#/$defs/address' } },
      additionalProperties: false,
    },
  },
  { name: 'test_list_roots', description: 'Asks the client for its roots and returns them as JSON', inputSchema: noArgs },
  {
    name: 'test_wait_for_cancel',
    description: 'Runs until cancelled (or for `ms`, default 30 s); a cancelled run is reported by test_last_cancel',
    inputSchema: { type: 'object', properties: { ms: { type: 'number' } } },
  },
  { name: 'test_last_cancel', description: 'Reports whether the last test_wait_for_cancel run was cancelled', inputSchema: noArgs },
  { name: 'test_update_watched_resource', description: 'Sends notifications/resources/updated for test://watched-resource', inputSchema: noArgs },
  { name: 'test_add_tool', description: 'Adds a tool named test_added_tool and sends tools/list_changed', inputSchema: noArgs },
];

const ADDED_TOOL: Tool = { name: 'test_added_tool', description: 'Added at run time by test_add_tool', inputSchema: noArgs };

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

const text = (value: string): CallToolResult => ({ content: [{ type: 'text', text: value }] });
/** Waits `ms`, or less when `signal` aborts, also when it aborted before the handler ran (a cancel read in the same chunk as its request). */
const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/** A string argument as sent; '' when absent, JSON when a client sent something else. */
function textArg(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
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
  const subscribed = new Set<string>();
  let addedTool = false;
  let lastCancel: { cancelled: boolean } = { cancelled: false };

  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: addedTool ? [...TOOLS, ADDED_TOOL] : TOOLS }));

  server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
    const args = request.params.arguments ?? {};
    const log = (data: string): Promise<void> => extra.sendNotification({ method: 'notifications/message', params: { level: 'info', logger: 'conformance-fixture', data } });
    switch (request.params.name) {
      case 'test_simple_text':
        return text('This is a simple text response for testing.');
      case 'test_image_content':
        return { content: [{ type: 'image', data: RED_PIXEL_PNG, mimeType: 'image/png' }] };
      case 'test_audio_content':
        return { content: [{ type: 'audio', data: SILENT_WAV, mimeType: 'audio/wav' }] };
      case 'test_embedded_resource':
        return { content: [{ type: 'resource', resource: { uri: 'test://embedded-resource', mimeType: 'text/plain', text: 'This is an embedded resource content.' } }] };
      case 'test_multiple_content_types':
        return {
          content: [
            { type: 'text', text: 'Multiple content types test:' },
            { type: 'image', data: RED_PIXEL_PNG, mimeType: 'image/png' },
            { type: 'resource', resource: { uri: 'test://mixed-content-resource', mimeType: 'application/json', text: '{"test":"data","value":123}' } },
          ],
        };
      case 'test_tool_with_logging':
        await log('Tool execution started');
        await sleep(50);
        await log('Tool processing data');
        await sleep(50);
        await log('Tool execution completed');
        return text('Tool with logging executed successfully');
      case 'test_error_handling':
        return { isError: true, content: [{ type: 'text', text: 'This tool intentionally returns an error for testing' }] };
      case 'test_tool_with_progress': {
        const token = extra._meta?.progressToken;
        for (const progress of [0, 50, 100]) {
          if (token !== undefined) await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress, total: 100 } });
          if (progress < 100) await sleep(50);
        }
        return text('Tool with progress executed successfully');
      }
      case 'test_sampling': {
        if (!server.getClientCapabilities()?.sampling) return { isError: true, content: [{ type: 'text', text: 'The client does not support sampling' }] };
        const result = await extra.sendRequest(
          {
            method: 'sampling/createMessage',
            params: { messages: [{ role: 'user', content: { type: 'text', text: textArg(args.prompt) } }], maxTokens: 100 },
          },
          CreateMessageResultSchema,
        );
        const content = result.content as { type: string; text?: string };
        return text(`LLM response: ${content.type === 'text' ? content.text : JSON.stringify(content)}`);
      }
      case 'test_elicitation': {
        if (!server.getClientCapabilities()?.elicitation) return { isError: true, content: [{ type: 'text', text: 'The client does not support elicitation' }] };
        const result = await extra.sendRequest(
          {
            method: 'elicitation/create',
            params: {
              message: textArg(args.message),
              requestedSchema: {
                type: 'object',
                properties: {
                  username: { type: 'string', description: "User's response" },
                  email: { type: 'string', description: "User's email address" },
                },
                required: ['username', 'email'],
              },
            },
          },
          ElicitResultSchema,
        );
        return text(`User response: action=${result.action}, content=${JSON.stringify(result.content ?? {})}`);
      }
      case 'test_elicitation_sep1034_defaults': {
        const result = await extra.sendRequest(
          {
            method: 'elicitation/create',
            params: {
              message: 'Please review and update the form fields with defaults',
              requestedSchema: {
                type: 'object',
                properties: {
                  name: { type: 'string', description: 'User name', default: 'John Doe' },
                  age: { type: 'integer', description: 'User age', default: 30 },
                  score: { type: 'number', description: 'User score', default: 95.5 },
                  status: { type: 'string', description: 'User status', enum: ['active', 'inactive', 'pending'], default: 'active' },
                  verified: { type: 'boolean', description: 'Verification status', default: true },
                },
                required: [],
              },
            },
          },
          ElicitResultSchema,
        );
        return text(`Elicitation completed: action=${result.action}, content=${JSON.stringify(result.content ?? {})}`);
      }
      case 'test_elicitation_sep1330_enums': {
        const result = await extra.sendRequest(
          {
            method: 'elicitation/create',
            params: {
              message: 'Please select options from the enum fields',
              requestedSchema: {
                type: 'object',
                properties: {
                  untitledSingle: { type: 'string', description: 'Untitled single-select', enum: ['option1', 'option2', 'option3'] },
                  titledSingle: {
                    type: 'string',
                    description: 'Titled single-select',
                    oneOf: [
                      { const: 'value1', title: 'First Option' },
                      { const: 'value2', title: 'Second Option' },
                      { const: 'value3', title: 'Third Option' },
                    ],
                  },
                  legacyEnum: {
                    type: 'string',
                    description: 'Legacy titled enum',
                    enum: ['opt1', 'opt2', 'opt3'],
                    enumNames: ['Option One', 'Option Two', 'Option Three'],
                  },
                  untitledMulti: { type: 'array', description: 'Untitled multi-select', items: { type: 'string', enum: ['option1', 'option2', 'option3'] } },
                  titledMulti: {
                    type: 'array',
                    description: 'Titled multi-select',
                    items: {
                      anyOf: [
                        { const: 'value1', title: 'First Choice' },
                        { const: 'value2', title: 'Second Choice' },
                        { const: 'value3', title: 'Third Choice' },
                      ],
                    },
                  },
                },
                required: [],
              },
            },
          },
          ElicitResultSchema,
        );
        return text(`Elicitation completed: action=${result.action}, content=${JSON.stringify(result.content ?? {})}`);
      }
      case 'json_schema_2020_12_tool':
        return text(`JSON Schema 2020-12 tool called with ${JSON.stringify(args)}`);
      case 'test_list_roots': {
        const result = await extra.sendRequest({ method: 'roots/list' }, ListRootsResultSchema);
        return text(JSON.stringify(result.roots));
      }
      case 'test_wait_for_cancel': {
        const run = { cancelled: false };
        lastCancel = run;
        await sleep(typeof args.ms === 'number' ? args.ms : 30_000, extra.signal);
        run.cancelled = extra.signal.aborted;
        return text(run.cancelled ? 'cancelled' : 'finished');
      }
      case 'test_last_cancel':
        return text(JSON.stringify(lastCancel));
      case 'test_update_watched_resource':
        if (subscribed.has(WATCHED_URI)) await server.sendResourceUpdated({ uri: WATCHED_URI });
        return text(subscribed.has(WATCHED_URI) ? 'updated' : 'not subscribed');
      case 'test_add_tool':
        addedTool = true;
        await server.sendToolListChanged();
        return text('added test_added_tool');
      case 'test_added_tool':
        if (addedTool) return text('the added tool ran');
        break;
    }
    throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${request.params.name}`);
  });

  server.setRequestHandler(ListResourcesRequestSchema, () => ({ resources: RESOURCES }));
  server.setRequestHandler(ListResourceTemplatesRequestSchema, () => ({
    resourceTemplates: [{ uriTemplate: 'test://template/{id}/data', name: 'template', description: 'A resource template with an id', mimeType: 'application/json' }],
  }));
  server.setRequestHandler(ReadResourceRequestSchema, ({ params: { uri } }): ReadResourceResult => {
    if (uri === 'test://static-text') return { contents: [{ uri, mimeType: 'text/plain', text: 'This is the content of the static text resource.' }] };
    if (uri === 'test://static-binary') return { contents: [{ uri, mimeType: 'image/png', blob: RED_PIXEL_PNG }] };
    if (uri === WATCHED_URI) return { contents: [{ uri, mimeType: 'text/plain', text: `Watched resource, read at ${new Date().toISOString()}` }] };
    const match = TEMPLATE_RE.exec(uri);
    if (match) {
      const id = decodeURIComponent(match[1]!);
      return { contents: [{ uri, mimeType: 'application/json', text: JSON.stringify({ id, templateTest: true, data: `Data for ID: ${id}` }) }] };
    }
    throw new McpError(-32002, `Resource not found: ${uri}`, { uri });
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
  server.setRequestHandler(GetPromptRequestSchema, ({ params }): GetPromptResult => {
    const args = params.arguments ?? {};
    switch (params.name) {
      case 'test_simple_prompt':
        return { messages: [{ role: 'user', content: { type: 'text', text: 'This is a simple prompt for testing.' } }] };
      case 'test_prompt_with_arguments':
        return { messages: [{ role: 'user', content: { type: 'text', text: `Prompt with arguments: arg1='${args.arg1 ?? ''}', arg2='${args.arg2 ?? ''}'` } }] };
      case 'test_prompt_with_embedded_resource':
        return {
          messages: [
            { role: 'user', content: { type: 'resource', resource: { uri: args.resourceUri ?? 'test://example-resource', mimeType: 'text/plain', text: 'Embedded resource content for testing.' } } },
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
    throw new McpError(ErrorCode.InvalidParams, `Unknown prompt: ${params.name}`);
  });

  server.setRequestHandler(CompleteRequestSchema, ({ params }) => {
    const candidates = params.ref.type === 'ref/prompt' ? ['paris', 'park', 'party', 'test-value'] : ['1', '2', '3', '123'];
    const values = candidates.filter((v) => v.startsWith(params.argument.value));
    return { completion: { values, total: values.length, hasMore: false } };
  });

  return server;
}
