import { ProtocolError, type McpServer, type ServerContext } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { abortableSleep } from '../abortable-sleep.js';
import { text } from '../tool-defs.js';
import { TASKS_EXTENSION, TaskProtocolError, type ModernTaskStore, type TaskRun } from './modern-task-store.js';

/** Names (before `toolPrefix`) of the SEP-2663 fixture tools a modern test server with `tasks` has (the conformance suite's). */
export const TASK_TOOLS = ['greet', 'slow_compute', 'failing_job', 'protocol_error_job', 'confirm_delete', 'multi_input'] as const;

/** JSON-RPC code of "Missing Required Client Capability" (SEP-2575). */
export const MISSING_REQUIRED_CLIENT_CAPABILITY = -32021;

type TaskSupport = 'optional' | 'required';
type Work = (args: Record<string, unknown>, run: TaskRun) => Promise<Record<string, unknown>>;

/** One task-supporting tool: its arguments, its task support, and its work (run as a task, or inline when `optional` and not opted in). */
interface TaskToolDef {
  description: string;
  input: z.ZodObject;
  support: TaskSupport;
  work: Work;
}

const confirmSchema = { type: 'object', properties: { confirm: { type: 'boolean' } }, required: ['confirm'] } as const;
const elicit = (message: string): { method: string; params: Record<string, unknown> } => ({
  method: 'elicitation/create',
  params: { mode: 'form', message, requestedSchema: confirmSchema },
});
const accepted = (answer: unknown): boolean => {
  const a = answer as { action?: string; content?: { confirm?: unknown } } | undefined;
  return a?.action === 'accept' && a.content?.confirm === true;
};

const TASK_TOOL_DEFS: Record<Exclude<(typeof TASK_TOOLS)[number], 'greet'>, TaskToolDef> = {
  slow_compute: {
    description: 'Task-supporting (optional): sleeps `seconds`, then answers. Cancelled when tasks/cancel arrives while it runs.',
    input: z.object({ seconds: z.number().min(0), label: z.string().optional() }),
    support: 'optional',
    work: async ({ seconds, label }, run) => {
      await abortableSleep((seconds as number) * 1000, run.signal);
      return text(`computed ${typeof label === 'string' ? label : 'slow_compute'} after ${String(seconds)}s`);
    },
  },
  failing_job: {
    description: 'Task-supporting (required): a tool execution error (isError) after a moment.',
    input: z.object({}),
    support: 'required',
    work: async (_args, run) => {
      await abortableSleep(200, run.signal);
      return { ...text('failing_job: the job failed'), isError: true };
    },
  },
  protocol_error_job: {
    description: 'Task-supporting (required): fails with a protocol-level error (the task ends failed).',
    input: z.object({}),
    support: 'required',
    work: async (_args, run) => {
      await abortableSleep(100, run.signal);
      throw new TaskProtocolError(-32603, 'protocol_error_job: internal failure');
    },
  },
  confirm_delete: {
    description: 'Task-supporting (required): asks the client to confirm (input_required, answered with tasks/update), then answers.',
    input: z.object({ filename: z.string() }),
    support: 'required',
    work: async ({ filename }, run) => {
      const answer = await run.ask('confirm', elicit(`Delete ${String(filename)}?`));
      return text(accepted(answer) ? `deleted ${String(filename)}` : `kept ${String(filename)}`);
    },
  },
  multi_input: {
    description: 'Task-supporting (required): asks two questions at once (two inputRequests), then answers with both.',
    input: z.object({}),
    support: 'required',
    work: async (_args, run) => {
      const [first, second] = await Promise.all([run.ask('first', elicit('First?')), run.ask('second', elicit('Second?'))]);
      return text(`first ${accepted(first)}, second ${accepted(second)}`);
    },
  },
};

/** Whether this request lists the tasks extension in its per-request client capabilities (`_meta`, 2026-07-28). */
export function optedIntoTasks(ctx: ServerContext): boolean {
  const envelope = ctx.mcpReq.envelope as Record<string, unknown> | undefined;
  const caps = envelope?.['io.modelcontextprotocol/clientCapabilities'] as { extensions?: Record<string, unknown> } | undefined;
  return caps?.extensions?.[TASKS_EXTENSION] !== undefined;
}

function missingExtension(what: string): ProtocolError {
  return new ProtocolError(
    MISSING_REQUIRED_CLIENT_CAPABILITY,
    `${what} needs the ${TASKS_EXTENSION} extension in the request's client capabilities`,
    {
      requiredCapabilities: { extensions: { [TASKS_EXTENSION]: {} } },
    },
  );
}

/**
 * Registers the SEP-2663 fixture tools on one modern instance (their inline paths: `greet`, and
 * `slow_compute` for a caller that did not opt in) and `tasks/get`, `tasks/update`, `tasks/cancel`.
 * Task creation itself happens in {@link createTaskFor}, ahead of McpServer's own `tools/call` dispatch.
 */
export function registerTaskTools(mcp: McpServer, store: ModernTaskStore, prefix: string): void {
  mcp.registerTool(
    prefix + 'greet',
    { description: 'Sync-only: Hello, {name}!', inputSchema: z.object({ name: z.string() }) },
    ({ name }) => text(`Hello, ${name}!`),
  );
  for (const [name, def] of Object.entries(TASK_TOOL_DEFS)) {
    const tool = mcp.registerTool(
      prefix + name,
      { description: def.description, inputSchema: def.input },
      async (args: Record<string, unknown>, ctx: ServerContext) =>
        (await def.work(args, { signal: ctx.mcpReq.signal, ask: () => Promise.reject(new Error('no input outside a task')) })) as never,
    );
    // registerTool takes no `execution`; tools/list reads it from the registered tool.
    (tool as { execution?: unknown }).execution = { taskSupport: def.support };
  }
  const taskId = z.object({ taskId: z.string() }).loose();
  const lookup = <T>(id: string, found: T | undefined): T => {
    if (found === undefined || found === false) throw new ProtocolError(-32602, `Unknown task: ${id}`);
    return found;
  };
  const gate = (method: string, ctx: ServerContext): void => {
    if (!optedIntoTasks(ctx)) throw missingExtension(method);
  };
  const low = mcp.server as unknown as {
    setRequestHandler(method: string, schemas: object, handler: (p: never, ctx: ServerContext) => unknown): void;
  };
  low.setRequestHandler('tasks/get', { params: taskId }, (p: { taskId: string }, ctx) => {
    gate('tasks/get', ctx);
    return lookup(p.taskId, store.get(p.taskId));
  });
  // The SDK lifts `inputResponses` out of every request's params into `ctx.mcpReq` (multi round-trip requests).
  low.setRequestHandler('tasks/update', { params: taskId }, (p: { taskId: string }, ctx) => {
    gate('tasks/update', ctx);
    lookup(p.taskId, store.update(p.taskId, ctx.mcpReq.inputResponses ?? {}));
    return {};
  });
  low.setRequestHandler('tasks/cancel', { params: taskId }, (p: { taskId: string }, ctx) => {
    gate('tasks/cancel', ctx);
    lookup(p.taskId, store.cancel(p.taskId));
    return {};
  });
}

/**
 * The `tools/call` of a task-supporting fixture tool from a caller that opted in: the task is
 * created (durably) and its CreateTaskResult returned. Undefined for any other call (McpServer
 * dispatches it as usual); a `required` tool without the opt-in is rejected with -32021.
 */
export function createTaskFor(
  store: ModernTaskStore,
  prefix: string,
  request: { params: { name: string; arguments?: unknown } },
  ctx: ServerContext,
): Record<string, unknown> | undefined {
  const name = request.params.name.startsWith(prefix) ? request.params.name.slice(prefix.length) : undefined;
  const def = name === undefined ? undefined : (TASK_TOOL_DEFS as Record<string, TaskToolDef>)[name];
  if (def === undefined) return undefined;
  if (!optedIntoTasks(ctx)) {
    if (def.support === 'required') throw missingExtension(`tools/call "${request.params.name}"`);
    return undefined;
  }
  const parsed = def.input.safeParse(request.params.arguments ?? {});
  if (!parsed.success) throw new ProtocolError(-32602, `Invalid arguments for ${request.params.name}: ${parsed.error.message}`);
  return store.create(request.params.name, (run) => def.work(parsed.data, run));
}
