import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  CreateMessageResultSchema,
  ElicitResultSchema,
  ErrorCode,
  ListRootsResultSchema,
  McpError,
  type CallToolRequest,
  type CallToolResult,
  type ServerNotification,
  type ServerRequest,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';

/** A 1x1 red PNG. */
export const RED_PIXEL_PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';

/** A minimal WAV file: a RIFF header with one silent 8-bit mono sample at 8 kHz. */
const SILENT_WAV = Buffer.from(
  '524946462500000057415645666d74201000000001000100401f0000401f0000010008006461746101000000' + '80',
  'hex',
).toString('base64');

export const WATCHED_URI = 'test://watched-resource';

const noArgs = { type: 'object' as const, properties: {} };

/**
 * Tools the official conformance suite (`@modelcontextprotocol/conformance` 0.1.13) calls by name,
 * plus a few the gateway tests use (cancellation, roots, resource updates, list changes).
 */
export const TOOLS: Tool[] = [
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
  {
    name: 'test_update_watched_resource',
    description: 'Sends notifications/resources/updated for test://watched-resource',
    inputSchema: noArgs,
  },
  { name: 'test_add_tool', description: 'Adds a tool named test_added_tool and sends tools/list_changed', inputSchema: noArgs },
];

export const ADDED_TOOL: Tool = { name: 'test_added_tool', description: 'Added at run time by test_add_tool', inputSchema: noArgs };

/** What the tools share with the rest of the fixture server (one instance per session). */
export interface ConformanceToolState {
  /** Resource URIs the client subscribed to. */
  readonly subscribed: Set<string>;
  /** `test_add_tool` ran: `test_added_tool` is listed. */
  addedTool: boolean;
  /** The last `test_wait_for_cancel` run, read by `test_last_cancel`. */
  lastCancel: { cancelled: boolean };
}

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

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

/**
 * How a tool run reaches its server, whatever the SDK: the v1 fixture and the v2 (2026-07-28)
 * fixture both run {@link statefulConformanceTool} through this.
 */
export interface ConformanceRun {
  signal: AbortSignal;
  progressToken: string | number | undefined;
  /** Sends a notification related to the call (log message, progress). */
  notify(notification: { method: string; params: Record<string, unknown> }): Promise<void>;
  /** Reports `test://watched-resource` updated to whoever watches it; false when nobody subscribed (2025 era). */
  resourceUpdated(uri: string): Promise<boolean>;
  /** Reports the tool list changed. */
  toolListChanged(): Promise<void>;
}

/** The `tools/call` handler of the fixture: every `test_*` tool of the conformance suite. */
export async function callConformanceTool(
  server: Server,
  state: ConformanceToolState,
  request: CallToolRequest,
  extra: Extra,
): Promise<CallToolResult> {
  const name = request.params.name;
  const args = request.params.arguments ?? {};
  const run: ConformanceRun = {
    signal: extra.signal,
    progressToken: extra._meta?.progressToken,
    notify: (n) => extra.sendNotification(n as ServerNotification),
    resourceUpdated: async (uri) => {
      if (!state.subscribed.has(uri)) return false;
      await server.sendResourceUpdated({ uri });
      return true;
    },
    toolListChanged: () => server.sendToolListChanged(),
  };
  const result =
    conformanceContent(name, args) ??
    (await askClient(server, name, args, extra)) ??
    (await statefulConformanceTool(state, name, args, run));
  if (result) return result;
  throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${request.params.name}`);
}

/** Tools whose answer is fixed content. */
export function conformanceContent(name: string, args: Record<string, unknown>): CallToolResult | undefined {
  switch (name) {
    case 'test_simple_text':
      return text('This is a simple text response for testing.');
    case 'test_image_content':
      return { content: [{ type: 'image', data: RED_PIXEL_PNG, mimeType: 'image/png' }] };
    case 'test_audio_content':
      return { content: [{ type: 'audio', data: SILENT_WAV, mimeType: 'audio/wav' }] };
    case 'test_embedded_resource':
      return {
        content: [
          {
            type: 'resource',
            resource: { uri: 'test://embedded-resource', mimeType: 'text/plain', text: 'This is an embedded resource content.' },
          },
        ],
      };
    case 'test_multiple_content_types':
      return {
        content: [
          { type: 'text', text: 'Multiple content types test:' },
          { type: 'image', data: RED_PIXEL_PNG, mimeType: 'image/png' },
          {
            type: 'resource',
            resource: { uri: 'test://mixed-content-resource', mimeType: 'application/json', text: '{"test":"data","value":123}' },
          },
        ],
      };
    case 'test_error_handling':
      return { isError: true, content: [{ type: 'text', text: 'This tool intentionally returns an error for testing' }] };
    case 'json_schema_2020_12_tool':
      return text(`JSON Schema 2020-12 tool called with ${JSON.stringify(args)}`);
  }
  return undefined;
}

/** What a tool that asks the client sends: the kind of request (the client capability it needs) and the request. */
export interface ConformanceAsk {
  kind: 'sampling' | 'elicitation' | 'roots';
  /** The tool refuses with isError when the client lacks the capability (as the suite expects of these two). */
  needsCapability: boolean;
  request: { method: 'sampling/createMessage' | 'elicitation/create' | 'roots/list'; params?: Record<string, unknown> };
}

/** The request a tool that asks the client (sampling, elicitation, roots) sends; undefined for the other tools. */
export function conformanceAsk(name: string, args: Record<string, unknown>): ConformanceAsk | undefined {
  switch (name) {
    case 'test_sampling':
      return {
        kind: 'sampling',
        needsCapability: true,
        request: {
          method: 'sampling/createMessage',
          params: { messages: [{ role: 'user', content: { type: 'text', text: asText(args.prompt) } }], maxTokens: 100 },
        },
      };
    case 'test_elicitation':
      return {
        kind: 'elicitation',
        needsCapability: true,
        request: {
          method: 'elicitation/create',
          params: {
            message: asText(args.message),
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
      };
    case 'test_elicitation_sep1034_defaults':
      return { kind: 'elicitation', needsCapability: false, request: ELICIT_SEP1034_DEFAULTS };
    case 'test_elicitation_sep1330_enums':
      return { kind: 'elicitation', needsCapability: false, request: ELICIT_SEP1330_ENUMS };
    case 'test_list_roots':
      return { kind: 'roots', needsCapability: false, request: { method: 'roots/list' } };
  }
  return undefined;
}

/** The isError answer of a tool whose client lacks the capability it asks for. */
export function missingCapability(kind: ConformanceAsk['kind']): CallToolResult {
  return { isError: true, content: [{ type: 'text', text: `The client does not support ${kind}` }] };
}

/** The tool's answer once the client answered its {@link conformanceAsk} request with `result`. */
export function conformanceAnswer(name: string, result: unknown): CallToolResult {
  const r = (result ?? {}) as { content?: unknown; action?: string; roots?: unknown };
  switch (name) {
    case 'test_sampling': {
      const content = (r.content ?? {}) as { type?: string; text?: string };
      return text(`LLM response: ${content.type === 'text' ? content.text : JSON.stringify(content)}`);
    }
    case 'test_elicitation':
      return text(`User response: action=${r.action}, content=${JSON.stringify(r.content ?? {})}`);
    case 'test_list_roots':
      return text(JSON.stringify(r.roots));
  }
  return text(`Elicitation completed: action=${r.action}, content=${JSON.stringify(r.content ?? {})}`);
}

const RESULT_SCHEMAS = { sampling: CreateMessageResultSchema, elicitation: ElicitResultSchema, roots: ListRootsResultSchema };

/** Tools that send the client a request of its own (sampling, elicitation, roots), on the 2025-era session. */
async function askClient(server: Server, name: string, args: Record<string, unknown>, extra: Extra): Promise<CallToolResult | undefined> {
  const ask = conformanceAsk(name, args);
  if (!ask) return undefined;
  if (ask.needsCapability && !server.getClientCapabilities()?.[ask.kind]) return missingCapability(ask.kind);
  const result = await extra.sendRequest(ask.request as ServerRequest, RESULT_SCHEMAS[ask.kind]);
  return conformanceAnswer(name, result);
}

/** Tools that take time, notify, or change the fixture's state (shared by the v1 and v2 fixtures). */
export async function statefulConformanceTool(
  state: ConformanceToolState,
  name: string,
  args: Record<string, unknown>,
  run: ConformanceRun,
): Promise<CallToolResult | undefined> {
  const log = (data: string): Promise<void> =>
    run.notify({ method: 'notifications/message', params: { level: 'info', logger: 'conformance-fixture', data } });
  switch (name) {
    case 'test_tool_with_logging':
      await log('Tool execution started');
      await sleep(50);
      await log('Tool processing data');
      await sleep(50);
      await log('Tool execution completed');
      return text('Tool with logging executed successfully');
    case 'test_tool_with_progress': {
      const token = run.progressToken;
      for (const progress of [0, 50, 100]) {
        if (token !== undefined)
          await run.notify({ method: 'notifications/progress', params: { progressToken: token, progress, total: 100 } });
        if (progress < 100) await sleep(50);
      }
      return text('Tool with progress executed successfully');
    }
    case 'test_wait_for_cancel': {
      const current = { cancelled: false };
      state.lastCancel = current;
      await sleep(typeof args.ms === 'number' ? args.ms : 30_000, run.signal);
      current.cancelled = run.signal.aborted;
      return text(current.cancelled ? 'cancelled' : 'finished');
    }
    case 'test_last_cancel':
      return text(JSON.stringify(state.lastCancel));
    case 'test_update_watched_resource':
      return text((await run.resourceUpdated(WATCHED_URI)) ? 'updated' : 'not subscribed');
    case 'test_add_tool':
      state.addedTool = true;
      await run.toolListChanged();
      return text('added test_added_tool');
    case 'test_added_tool':
      if (state.addedTool) return text('the added tool ran');
      break;
  }
  return undefined;
}

/** SEP-1034: elicitation with a default for every primitive type. */
const ELICIT_SEP1034_DEFAULTS: ConformanceAsk['request'] = {
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
};

/** SEP-1330: the five enum schema variants (`enumNames` is legacy, not in the SDK's types). */
const ELICIT_SEP1330_ENUMS: ConformanceAsk['request'] = {
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
        untitledMulti: {
          type: 'array',
          description: 'Untitled multi-select',
          items: { type: 'string', enum: ['option1', 'option2', 'option3'] },
        },
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
};

/** A tool argument as text: strings as they are, anything else as JSON (never `[object Object]`). */
function asText(value: unknown): string {
  return typeof value === 'string' ? value : value === undefined ? '' : JSON.stringify(value);
}
