import type { CallOptions, HostView, PluginTool, ToolEntry } from '@mcp-bridge/core';
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import type { ResolvedToolSearchOptions } from './options.js';
import type { ToolHit, ToolIndex } from './tool-index.js';

/** What the meta-tools need: the host, the options and the (lazily rebuilt) index. */
export interface MetaToolDeps {
  readonly host: HostView;
  readonly opts: ResolvedToolSearchOptions;
  /** The index, rebuilt first when the catalog changed since the last use. */
  readonly index: () => ToolIndex;
}

/** One search result as the client receives it. */
export interface ListedHit {
  name: string;
  server: string;
  title?: string;
  description: string;
  /** Argument names; required ones end with `*`. */
  arguments: string[];
}

const error = (text: string): CallToolResult => ({ isError: true, content: [{ type: 'text', text }] });

/** The catalog entries a caller may see, by exposed name. */
function visibleOf(host: HostView, options: CallOptions): Map<string, ToolEntry> {
  return new Map(host.visibleTools({ caller: options.caller, principal: options.principal }).map((e) => [e.name, e]));
}

/** The three meta-tools: search the catalog, describe one tool, call one tool. */
export function metaTools(deps: MetaToolDeps): PluginTool[] {
  const { names } = deps.opts;
  return [
    { tool: searchTool(deps.opts), call: (args, options) => Promise.resolve(search(deps, args, options)) },
    {
      tool: {
        name: names.describe,
        description: `Shows one tool's full definition (description, input schema, output schema, annotations). Use it on a name from ${names.search} before calling the tool with ${names.call}.`,
        inputSchema: {
          type: 'object',
          properties: { name: { type: 'string', description: 'The tool name, as returned by the search' } },
          required: ['name'],
        },
        annotations: { title: 'Describe a tool', readOnlyHint: true, idempotentHint: true, openWorldHint: false },
      },
      call: (args, options) => Promise.resolve(describe(deps, args, options)),
    },
    {
      tool: {
        name: names.call,
        description: `Calls one tool of the catalog by name with its arguments (as described by ${names.describe}) and returns that tool's result.`,
        inputSchema: {
          type: 'object',
          properties: {
            name: { type: 'string', description: 'The tool name, as returned by the search' },
            arguments: { type: 'object', description: "The tool's arguments, matching its input schema", additionalProperties: true },
          },
          required: ['name'],
        },
        annotations: { title: 'Call a tool', openWorldHint: true },
      },
      call: (args, options) => call(deps, args, options),
    },
  ];
}

function searchTool(opts: ResolvedToolSearchOptions): Tool {
  return {
    name: opts.names.search,
    description:
      'Searches the catalog of available tools by what you want to do, in plain words (e.g. "open an issue on github", "read a local file"). ' +
      `Returns the best matching tool names with a short description and their arguments. Then use ${opts.names.describe} for the full schema and ${opts.names.call} to run one.`,
    inputSchema: {
      type: 'object',
      properties: {
        query: { type: 'string', description: 'What you want to do, in plain words' },
        server: { type: 'string', description: 'Only tools of this server' },
        limit: { type: 'integer', minimum: 1, maximum: opts.maxLimit, description: `Most results (default ${opts.defaultLimit})` },
      },
      required: ['query'],
    },
    annotations: { title: 'Search tools', readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  };
}

/** What `search_tools` answers: the hits as text and as `structuredContent.tools`, or an error result naming the bad argument. */
export function search(deps: MetaToolDeps, args: Record<string, unknown>, options: CallOptions): CallToolResult {
  const { query, server, limit } = args;
  const { opts } = deps;
  if (typeof query !== 'string' || query.trim() === '') return error(`${opts.names.search}: "query" must be a non-empty string`);
  if (server !== undefined && typeof server !== 'string') return error(`${opts.names.search}: "server" must be a string`);
  if (limit !== undefined && (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1)) {
    return error(`${opts.names.search}: "limit" must be a positive integer`);
  }
  const visible = visibleOf(deps.host, options);
  if (server !== undefined && ![...visible.values()].some((e) => e.server === server)) {
    const servers = [...new Set([...visible.values()].map((e) => e.server))].sort();
    return error(`${opts.names.search}: no server named "${server}" (servers: ${servers.join(', ') || 'none'})`);
  }
  const hits = deps.index().search(query, {
    limit: Math.min(limit ?? opts.defaultLimit, opts.maxLimit),
    server,
    visible: (name) => visible.has(name),
  });
  const tools = hits.map((h) => listed(h, opts.descriptionChars));
  const text =
    tools.length === 0
      ? `No tool matches "${query}". Try other words, or fewer.`
      : tools
          .map((t) => `- ${t.name} (${t.server}): ${t.description}${t.arguments.length ? ` Arguments: ${t.arguments.join(', ')}` : ''}`)
          .join('\n');
  return { content: [{ type: 'text', text }], structuredContent: { tools } };
}

/** A hit as listed: the description cut at a sentence or word boundary. */
function listed(hit: ToolHit, chars: number): ListedHit {
  const schema = hit.tool.inputSchema as { properties?: Record<string, unknown>; required?: unknown };
  const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
  const full = (hit.tool.description ?? '').replace(/\s+/g, ' ').trim();
  let description = full;
  if (full.length > chars) {
    const cut = full.slice(0, chars);
    const end = Math.max(cut.lastIndexOf('. '), cut.lastIndexOf(' '));
    description = `${(end > chars / 2 ? cut.slice(0, end + 1) : cut).trimEnd()} …`;
  }
  const title = hit.tool.title ?? hit.tool.annotations?.title;
  return {
    name: hit.name,
    server: hit.server,
    ...(title === undefined ? {} : { title }),
    description,
    arguments: Object.keys(schema.properties ?? {}).map((a) => (required.has(a) ? `${a}*` : a)),
  };
}

function describe(deps: MetaToolDeps, args: Record<string, unknown>, options: CallOptions): CallToolResult {
  const { name } = args;
  const { names } = deps.opts;
  if (typeof name !== 'string') return error(`${names.describe}: "name" must be a string`);
  const entry = visibleOf(deps.host, options).get(name);
  if (entry === undefined) return error(`${names.describe}: no tool named "${name}"; find tools with ${names.search}`);
  const definition = { server: entry.server, ...entry.tool };
  return { content: [{ type: 'text', text: JSON.stringify(definition, null, 2) }], structuredContent: definition };
}

/**
 * Runs the named tool as a direct call would: visible to this caller, then `host.request` through
 * the whole pipeline (access, validation, cache, retry ...) with the caller's own options.
 */
async function call(deps: MetaToolDeps, args: Record<string, unknown>, options: CallOptions): Promise<CallToolResult> {
  const { name, arguments: toolArgs } = args;
  const { names } = deps.opts;
  if (typeof name !== 'string') return error(`${names.call}: "name" must be a string`);
  if (toolArgs !== undefined && (typeof toolArgs !== 'object' || toolArgs === null || Array.isArray(toolArgs))) {
    return error(`${names.call}: "arguments" must be an object`);
  }
  if (Object.values(names).includes(name)) return error(`${names.call}: call "${name}" directly, not through ${names.call}`);
  const entry = visibleOf(deps.host, options).get(name);
  if (entry === undefined) return error(`${names.call}: no tool named "${name}"; find tools with ${names.search}`);
  const params = { name: entry.upstreamName, arguments: (toolArgs ?? {}) as Record<string, unknown> };
  return (await deps.host.request(entry.server, 'tools/call', params, options)) as CallToolResult;
}
