import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  CallToolRequestSchema,
  type CallToolRequest,
  type CallToolResult,
  type ServerNotification,
  type ServerRequest,
  type ServerResult,
} from '@modelcontextprotocol/sdk/types.js';
import type { ResolvedTestServerOptions } from './options.js';
import { echoDef, failArgsSchema, jsonRpcError, testToolDefs, type TestToolDef, type ToolRun } from './tool-defs.js';
import { track } from './track.js';

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;
type CallToolHandler = (request: CallToolRequest, extra: Extra) => Promise<ServerResult>;
// Deliberately loose: only used to wrap McpServer's own `tools/call` handler (see interceptThrowingFail).
type SetRequestHandler = (schema: unknown, handler: (request: never, extra: Extra) => unknown) => void;

/** The v1 SDK's handler context as the shared tool definitions see it. */
function toolRun(extra: Extra): ToolRun {
  return {
    signal: extra.signal,
    progressToken: extra._meta?.progressToken,
    notify: (n) => extra.sendNotification(n as ServerNotification),
    sessionId: extra.sessionId,
  };
}

/** Registers one shared tool definition on a v1 McpServer, tracked in the ledger. */
function registerDef(mcp: McpServer, o: ResolvedTestServerOptions, def: TestToolDef): void {
  const base = { description: def.description, outputSchema: def.outputSchema, annotations: o.annotations[def.annotationsKey] };
  const run = (args: Record<string, unknown>, extra: Extra): Promise<CallToolResult> =>
    track(o.ledger, def.name, extra.signal, async () => (await def.run(args, toolRun(extra))) as CallToolResult);
  if (def.inputSchema) mcp.registerTool(def.name, { ...base, inputSchema: def.inputSchema }, (args, extra) => run(args, extra));
  else mcp.registerTool(def.name, base, (extra: Extra) => run({}, extra));
}

/** Registers the built-in tools selected by `options` and the extra echo-like tools. */
export function registerTools(mcp: McpServer, o: ResolvedTestServerOptions): void {
  if (o.tools.has('fail')) interceptThrowingFail(mcp, o.toolPrefix + 'fail', o);
  // add_tool registers on this very server: the v1 McpServer then sends tools/list_changed itself.
  const host = { addEcho: (fullName: string, key: string) => registerDef(mcp, o, echoDef(fullName, key)) };
  for (const def of testToolDefs(o, host)) registerDef(mcp, o, def);
}

/**
 * McpServer turns every error thrown by a tool into an `isError` result, so a real JSON-RPC error
 * from `fail {mode:'throw'}` needs the `tools/call` handler itself. McpServer installs that handler
 * through `server.setRequestHandler` on its first `registerTool`; wrapping that one call (public API
 * only, instance-local, restored right after) lets the wrapper answer `fail` first.
 */
function interceptThrowingFail(mcp: McpServer, failTool: string, o: ResolvedTestServerOptions): void {
  const low = mcp.server as unknown as { setRequestHandler: SetRequestHandler };
  const original = low.setRequestHandler;
  low.setRequestHandler = (schema, handler) => {
    if (schema !== CallToolRequestSchema) return original.call(low, schema, handler);
    delete (low as { setRequestHandler?: unknown }).setRequestHandler; // back to the prototype's method
    const inner = handler as CallToolHandler;
    const wrapped: CallToolHandler = async (request, extra) => {
      if (request.params.name === failTool) {
        const args = failArgsSchema.safeParse(request.params.arguments ?? {});
        if (args.success && args.data.mode === 'throw') {
          o.ledger.begin(failTool)('error');
          throw jsonRpcError(args.data.code, args.data.message);
        }
      }
      return inner(request, extra);
    };
    return original.call(low, schema, wrapped);
  };
}
