import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  type CallToolRequest,
  type CallToolResult,
  type ServerNotification,
  type ServerRequest,
  type ServerResult,
} from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { abortableSleep } from './abortable-sleep.js';
import type { BuiltinToolName, ResolvedTestServerOptions } from './options.js';
import { track } from './track.js';

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;
type CallToolHandler = (request: CallToolRequest, extra: Extra) => Promise<ServerResult>;
// Deliberately loose: only used to wrap McpServer's own `tools/call` handler (see interceptThrowingFail).
type SetRequestHandler = (schema: unknown, handler: (request: never, extra: Extra) => unknown) => void;

const text = (value: string): CallToolResult => ({ content: [{ type: 'text', text: value }] });

const failArgs = {
  mode: z.enum(['isError', 'throw']).describe("'isError': an isError result; 'throw': a JSON-RPC error response"),
  message: z.string().optional().describe('Error message'),
  code: z.number().int().optional().describe("JSON-RPC error code for mode 'throw' (default -32603)"),
};
const failArgsSchema = z.object(failArgs);
const DEFAULT_FAIL_MESSAGE = 'fail: requested failure';
const DEFAULT_PROGRESS_DELAY_MS = 5;

/** Registers the built-in tools selected by `options` and the extra echo-like tools. */
export function registerTools(mcp: McpServer, o: ResolvedTestServerOptions): void {
  const name = (base: string): string => o.toolPrefix + base;
  const has = (tool: BuiltinToolName): boolean => o.tools.has(tool);
  const ledger = o.ledger;

  const registerEcho = (toolName: string, annotationsKey: string): void => {
    mcp.registerTool(
      toolName,
      {
        description: 'Returns its text unchanged (the cheap benchmark tool).',
        inputSchema: { text: z.string() },
        annotations: o.annotations[annotationsKey],
      },
      ({ text: value }, extra) => track(ledger, toolName, extra.signal, () => text(value)),
    );
  };

  if (has('fail')) interceptThrowingFail(mcp, name('fail'), o);
  if (has('echo')) registerEcho(name('echo'), 'echo');
  if (has('add')) registerAdd(mcp, o, name('add'));
  if (has('slow')) registerSlow(mcp, o, name('slow'));
  if (has('fail')) registerFail(mcp, o, name('fail'));
  if (has('progress')) registerProgress(mcp, o, name('progress'));
  if (has('add_tool')) registerAddTool(mcp, o, name('add_tool'), name, registerEcho);
  if (has('whoami')) registerWhoami(mcp, o, name('whoami'));

  for (const extraTool of o.extraTools) registerEcho(name(extraTool), extraTool);
}

/** `add`: the sum of two numbers, also as structuredContent. */
function registerAdd(mcp: McpServer, o: ResolvedTestServerOptions, tool: string): void {
  mcp.registerTool(
    tool,
    {
      description: 'Adds two numbers; the sum is also in structuredContent.',
      inputSchema: { a: z.number(), b: z.number() },
      outputSchema: { sum: z.number() },
      annotations: o.annotations.add,
    },
    ({ a, b }, extra) =>
      track(o.ledger, tool, extra.signal, () => ({
        content: [{ type: 'text', text: String(a + b) }],
        structuredContent: { sum: a + b },
      })),
  );
}

/** `slow`: waits, stopping early when the request is cancelled. */
function registerSlow(mcp: McpServer, o: ResolvedTestServerOptions, tool: string): void {
  mcp.registerTool(
    tool,
    {
      description: 'Waits `ms` milliseconds, stopping early when the request is cancelled.',
      inputSchema: { ms: z.number().int().min(0).max(3_600_000) },
      annotations: o.annotations.slow,
    },
    ({ ms }, extra) =>
      track(o.ledger, tool, extra.signal, async () => {
        await abortableSleep(ms, extra.signal);
        return text(`slept ${ms} ms`);
      }),
  );
}

/** `fail`: an isError result (mode 'throw' is answered by the interception). */
function registerFail(mcp: McpServer, o: ResolvedTestServerOptions, tool: string): void {
  mcp.registerTool(
    tool,
    {
      description: "Fails on purpose: an isError result, or a JSON-RPC error with mode 'throw'.",
      inputSchema: failArgs,
      annotations: o.annotations.fail,
    },
    ({ mode, message, code }, extra) =>
      track(o.ledger, tool, extra.signal, () => {
        // Only reached for 'throw' if the interception below was bypassed; keep the contract anyway.
        if (mode === 'throw') throw jsonRpcError(code, message);
        return { ...text(message ?? DEFAULT_FAIL_MESSAGE), isError: true };
      }),
  );
}

/** `progress`: one notifications/progress per step. */
function registerProgress(mcp: McpServer, o: ResolvedTestServerOptions, tool: string): void {
  mcp.registerTool(
    tool,
    {
      description:
        'Sends one notifications/progress per step (when the caller sent a progressToken), waiting delayMs (default 5) after each, then returns.',
      inputSchema: {
        steps: z.number().int().min(0).max(10_000),
        delayMs: z.number().int().min(0).max(60_000).optional(),
      },
      annotations: o.annotations.progress,
    },
    ({ steps, delayMs = DEFAULT_PROGRESS_DELAY_MS }, extra) =>
      track(o.ledger, tool, extra.signal, async () => {
        const progressToken = extra._meta?.progressToken;
        for (let step = 1; step <= steps; step++) {
          if (progressToken !== undefined) {
            await extra.sendNotification({
              method: 'notifications/progress',
              params: { progressToken, progress: step, total: steps, message: `step ${step}/${steps}` },
            });
          }
          // Also after the last step: the SDK client drops a progress notification that it reads in
          // the same chunk as the response (the response removes the progress handler first).
          if (delayMs > 0) await abortableSleep(delayMs, extra.signal);
        }
        return text(`completed ${steps} steps`);
      }),
  );
}

/** `add_tool`: registers an echo-like tool at run time. */
function registerAddTool(
  mcp: McpServer,
  o: ResolvedTestServerOptions,
  tool: string,
  name: (base: string) => string,
  registerEcho: (toolName: string, annotationsKey: string) => void,
): void {
  mcp.registerTool(
    tool,
    {
      description: 'Registers a new echo-like tool named toolPrefix + name; the server then sends tools/list_changed.',
      inputSchema: { name: z.string().min(1).max(128) },
      annotations: o.annotations.add_tool,
    },
    ({ name: added }, extra) =>
      track(o.ledger, tool, extra.signal, () => {
        const full = name(added);
        try {
          registerEcho(full, added);
        } catch (error) {
          return { ...text(error instanceof Error ? error.message : String(error)), isError: true };
        }
        return text(`added ${full}`);
      }),
  );
}

/** `whoami`: which server, process and session answered. */
function registerWhoami(mcp: McpServer, o: ResolvedTestServerOptions, tool: string): void {
  mcp.registerTool(
    tool,
    {
      description: 'Returns JSON {server, pid, sessionId?}: which server (and process, and session) answered.',
      annotations: o.annotations.whoami,
    },
    (extra) =>
      track(o.ledger, tool, extra.signal, () =>
        text(JSON.stringify({ server: o.name, pid: process.pid, ...(extra.sessionId ? { sessionId: extra.sessionId } : {}) })),
      ),
  );
}

/**
 * The SDK answers a thrown error with `{ code: error.code, message: error.message }`. A plain Error
 * keeps the message as given (McpError would prefix it with "MCP error <code>:").
 */
function jsonRpcError(code: number | undefined, message: string | undefined): Error & { code: number } {
  return Object.assign(new Error(message ?? DEFAULT_FAIL_MESSAGE), { code: code ?? ErrorCode.InternalError });
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
