import {
  acceptedContent,
  inputRequired,
  type CallToolResult,
  type McpServer,
  type RegisteredTool,
  type ServerContext,
} from '@modelcontextprotocol/server';
import { AsyncLocalStorage } from 'node:async_hooks';
import { z } from 'zod';
import type { FaultLedger } from '../fault/fault-ledger.js';
import { echoDef, failArgsSchema, jsonRpcError, testToolDefs, text, type TestToolDef, type ToolRun } from '../tool-defs.js';
import { track } from '../track.js';
import type { ResolvedModernOptions } from './modern-options.js';
import type { ModernState } from './modern-state.js';
import type { ModernTaskStore } from './modern-task-store.js';
import { createTaskFor } from './modern-tasks.js';

/** Names (before `toolPrefix`) of the tools only the modern test server has. */
export const MODERN_TOOLS = ['confirm_action', 'sample_text', 'client_roots', 'two_step', 'remove_tool', 'bump_resource'] as const;

/** The `key` argument of the `tools/call` being handled (the fault ledger's logical call), set by wrapToolsCall. */
const callKey = new AsyncLocalStorage<string>();

/** Where a modern server records: its test ledger (per tool) and its fault ledger (per call key). */
export interface ModernLedgers {
  o: ResolvedModernOptions;
  faults: FaultLedger;
  /** Where task-supporting tools create their tasks (the `tasks` option, 2026-07-28 instances only). */
  taskStore?: ModernTaskStore | undefined;
}

/** Runs and records one execution: in the test ledger, and as an execution of the call's key in the fault ledger. */
function execute<R extends { isError?: boolean }>(
  l: ModernLedgers,
  tool: string,
  signal: AbortSignal,
  run: () => R | Promise<R>,
): Promise<R> {
  l.faults.recordExecution(callKey.getStore() ?? tool, tool);
  return track(l.o.ledger, tool, signal, run);
}

/** The v2 SDK's handler context as the shared tool definitions see it. */
function toolRun(ctx: ServerContext): ToolRun {
  return {
    signal: ctx.mcpReq.signal,
    progressToken: ctx.mcpReq._meta?.progressToken,
    notify: (n) => ctx.mcpReq.notify(n),
    sessionId: ctx.sessionId,
  };
}

/** Registers one shared tool definition on a v2 McpServer, tracked in the ledger. */
export function registerModernDef(mcp: McpServer, l: ModernLedgers, def: TestToolDef): RegisteredTool {
  const o = l.o;
  const base = {
    description: def.description,
    ...(def.outputSchema ? { outputSchema: z.object(def.outputSchema) } : {}),
    annotations: o.annotations[def.annotationsKey],
  };
  const run = (args: Record<string, unknown>, ctx: ServerContext): Promise<CallToolResult> =>
    execute(l, def.name, ctx.mcpReq.signal, async () => (await def.run(args, toolRun(ctx))) as CallToolResult);
  if (def.inputSchema)
    return mcp.registerTool(def.name, { ...base, inputSchema: z.object(def.inputSchema) }, (args, ctx) => run(args, ctx));
  return mcp.registerTool(def.name, base, (ctx: ServerContext) => run({}, ctx));
}

/**
 * Registers the test server's tools (the shared definitions, `add_tool` adding to the shared
 * state so every instance sees the tool) and the modern-only tools on one v2 instance.
 */
export function registerModernTools(mcp: McpServer, l: ModernLedgers, state: ModernState): void {
  const o = l.o;
  wrapToolsCall(mcp, o.tools.has('fail') ? o.toolPrefix + 'fail' : undefined, l);
  for (const def of testToolDefs(o, { addEcho: (full, key) => state.addTool(full, key) })) registerModernDef(mcp, l, def);
  state.registerOn = (target, full, key) => registerModernDef(target, l, echoDef(full, key));
  for (const [full, key] of state.dynamicTools) state.registerDynamic(mcp, full, key);
  registerInputRequiredTools(mcp, l);
  registerChangeTools(mcp, l, state);
}

/** Counts one completed execution (input_required rounds are not executions: nothing happened yet). */
function complete(l: ModernLedgers, tool: string, ctx: ServerContext, result: CallToolResult): Promise<CallToolResult> {
  return execute(l, tool, ctx.mcpReq.signal, () => result);
}

const confirmSchema = z.object({ confirm: z.boolean() });
const nameSchema = z.object({ name: z.string() });

/** The multi round-trip tools: one per kind of input (elicitation, sampling, roots) and one that takes two rounds. */
function registerInputRequiredTools(mcp: McpServer, l: ModernLedgers): void {
  const o = l.o;
  const name = (base: string): string => o.toolPrefix + base;
  mcp.registerTool(
    name('confirm_action'),
    {
      description: 'Asks the caller to confirm (elicitation, input_required), then answers confirmed or declined.',
      inputSchema: z.object({ action: z.string() }),
    },
    ({ action }, ctx) => {
      const answer = acceptedContent(ctx.mcpReq.inputResponses, 'confirm', confirmSchema);
      const responded = ctx.mcpReq.inputResponses?.confirm !== undefined;
      if (!responded)
        return inputRequired({
          inputRequests: { confirm: inputRequired.elicit({ message: `Confirm ${action}?`, requestedSchema: confirmSchema }) },
        });
      return complete(l, name('confirm_action'), ctx, text(answer?.confirm === true ? `confirmed ${action}` : `declined ${action}`));
    },
  );
  mcp.registerTool(
    name('sample_text'),
    {
      description: 'Asks the caller for a sampled completion of `prompt` (sampling, input_required) and returns its text.',
      inputSchema: z.object({ prompt: z.string() }),
    },
    ({ prompt }, ctx) => {
      const sampled = ctx.mcpReq.inputResponses?.sample as { content?: { type?: string; text?: string } } | undefined;
      if (!sampled) {
        return inputRequired({
          inputRequests: {
            sample: inputRequired.createMessage({ messages: [{ role: 'user', content: { type: 'text', text: prompt } }], maxTokens: 100 }),
          },
        });
      }
      return complete(l, name('sample_text'), ctx, text(`sampled: ${sampled.content?.text ?? JSON.stringify(sampled.content)}`));
    },
  );
  mcp.registerTool(
    name('client_roots'),
    { description: 'Asks the caller for its roots (roots/list, input_required) and returns their URIs as JSON.' },
    (ctx: ServerContext) => {
      const listed = ctx.mcpReq.inputResponses?.roots as { roots?: { uri: string }[] } | undefined;
      if (!listed) return inputRequired({ inputRequests: { roots: inputRequired.listRoots() } });
      return complete(l, name('client_roots'), ctx, text(JSON.stringify((listed.roots ?? []).map((r) => r.uri))));
    },
  );
  registerTwoStep(mcp, l, name('two_step'));
}

/** `two_step`: asks for a name, then (carrying it in `requestState`) for a confirmation: two rounds. */
function registerTwoStep(mcp: McpServer, l: ModernLedgers, tool: string): void {
  mcp.registerTool(
    tool,
    {
      description: 'Two input_required rounds: asks for a name, then to confirm it (the name travels in requestState).',
      inputSchema: z.object({ topic: z.string() }),
    },
    ({ topic }, ctx) => {
      const state = ctx.mcpReq.requestState<string>();
      if (state === undefined) {
        const given = acceptedContent(ctx.mcpReq.inputResponses, 'name', nameSchema);
        if (!given && ctx.mcpReq.inputResponses?.name !== undefined) return complete(l, tool, ctx, text(`${topic}: declined`));
        if (!given)
          return inputRequired({
            inputRequests: { name: inputRequired.elicit({ message: `Name for ${topic}?`, requestedSchema: nameSchema }) },
          });
        // Round 2: the name rides in requestState (opaque to the client; a test server needs no integrity protection).
        return inputRequired({
          inputRequests: { confirm: inputRequired.elicit({ message: `Use ${given.name} for ${topic}?`, requestedSchema: confirmSchema }) },
          requestState: JSON.stringify({ name: given.name }),
        });
      }
      const chosen = parseState(state);
      // The client must echo requestState verbatim: say so plainly when it did not.
      if (chosen === undefined)
        return { ...text(`two_step: requestState was not echoed verbatim: ${JSON.stringify(state)}`), isError: true };
      const confirmed = acceptedContent(ctx.mcpReq.inputResponses, 'confirm', confirmSchema)?.confirm === true;
      return complete(l, tool, ctx, text(confirmed ? `${topic}: ${chosen}` : `${topic}: declined`));
    },
  );
}

/** The name in two_step's requestState, or undefined when the state is not what the server minted. */
function parseState(state: string): string | undefined {
  try {
    const parsed = JSON.parse(state) as { name?: unknown };
    return typeof parsed.name === 'string' ? parsed.name : undefined;
  } catch {
    return undefined;
  }
}

/** `remove_tool` and `bump_resource`: the changes a `subscriptions/listen` stream reports. */
function registerChangeTools(mcp: McpServer, l: ModernLedgers, state: ModernState): void {
  const o = l.o;
  const name = (base: string): string => o.toolPrefix + base;
  mcp.registerTool(
    name('remove_tool'),
    {
      description: 'Removes a tool added by add_tool (toolPrefix + name); listeners get tools/list_changed.',
      inputSchema: z.object({ name: z.string().min(1) }),
    },
    ({ name: removed }, ctx) =>
      execute(l, name('remove_tool'), ctx.mcpReq.signal, () =>
        state.removeTool(name(removed)) ? text(`removed ${name(removed)}`) : { ...text(`no added tool ${name(removed)}`), isError: true },
      ),
  );
  mcp.registerTool(
    name('bump_resource'),
    { description: 'Increments the counter resource; listeners subscribed to it get resources/updated.' },
    (ctx: ServerContext) => execute(l, name('bump_resource'), ctx.mcpReq.signal, () => text(`counter ${state.bump()}`)),
  );
}

type ToolsCallHandler = (request: { params: { name: string; arguments?: unknown } }, ctx: ServerContext) => Promise<unknown>;
type SetRequestHandler = (method: unknown, handler: (...args: never[]) => unknown) => void;

/**
 * Wraps the `tools/call` handler McpServer installs (through `server.setRequestHandler`, on its
 * first `registerTool`; instance-local, restored right after) to see the raw arguments: their
 * `key` names the logical call in the fault ledger (the tools' schemas strip it), and, as on the
 * 2025-era test server, `fail {mode:'throw'}` becomes a real JSON-RPC error (McpServer would turn
 * a thrown error into `isError`).
 */
function wrapToolsCall(mcp: McpServer, failTool: string | undefined, l: ModernLedgers): void {
  const low = mcp.server as unknown as { setRequestHandler: SetRequestHandler };
  const original = low.setRequestHandler;
  low.setRequestHandler = (method, handler) => {
    if (method !== 'tools/call') return original.call(low, method, handler);
    delete (low as { setRequestHandler?: unknown }).setRequestHandler;
    const inner = handler as unknown as ToolsCallHandler;
    const wrapped: ToolsCallHandler = async (request, ctx) => {
      const args = (request.params.arguments ?? {}) as { key?: unknown };
      if (request.params.name === failTool) {
        const parsed = failArgsSchema.safeParse(args);
        if (parsed.success && parsed.data.mode === 'throw') {
          l.o.ledger.begin(failTool)('error');
          throw jsonRpcError(parsed.data.code, parsed.data.message);
        }
      }
      const task = l.taskStore === undefined ? undefined : createTaskFor(l.taskStore, l.o.toolPrefix, request, ctx);
      if (task !== undefined) return task;
      return callKey.run(typeof args.key === 'string' ? args.key : request.params.name, () => inner(request, ctx));
    };
    return original.call(low, method, wrapped as never);
  };
}
