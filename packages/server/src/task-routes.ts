import type { Bridge, CallOptions } from '@mcp-bridge/core';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CancelTaskRequestSchema,
  ErrorCode,
  GetTaskPayloadRequestSchema,
  GetTaskRequestSchema,
  ListTasksRequestSchema,
  type CallToolRequest,
  type ServerCapabilities,
} from '@modelcontextprotocol/sdk/types.js';
import type { Run } from './call-runner.js';
import type { Extra } from './downstream-call.js';
import { requestFailure, rpcError } from './errors.js';
import type { DownstreamSession, Router } from './router.js';
import type { TaskHandle } from './task-handles.js';

// Explicit task handles for 2025-era clients (MCP 2025-11-25 task augmentation): a `tools/call` with
// `task` gets a CreateTaskResult whose taskId the gateway minted (task-handles.ts), and `tasks/get`,
// `tasks/result`, `tasks/cancel`, `tasks/list` go to the upstream that holds the task, through the
// bridge (a 2026-07-28 upstream's SEP-2663 task is translated by the transports).

/** The SEP-2663 extension id a 2026-07-28 upstream offers tasks under. */
const TASKS_EXTENSION = 'io.modelcontextprotocol/tasks';
const RELATED_TASK = 'io.modelcontextprotocol/related-task';

/** The `tasks` capability a gateway advertises to 2025-era clients when some upstream creates tasks for tool calls. */
export const GATEWAY_TASKS_CAPABILITY: NonNullable<ServerCapabilities['tasks']> = {
  list: {},
  cancel: {},
  requests: { tools: { call: {} } },
};

/** Whether some upstream of the bridge creates tasks for `tools/call` (2025 `tasks.requests.tools.call`, or the 2026 extension). */
export function upstreamsOfferTasks(bridge: Bridge): boolean {
  return bridge.servers().some((server) =>
    bridge.upstreams(server).some((upstream) => {
      const caps = upstream.capabilities;
      return caps?.tasks?.requests?.tools?.call !== undefined || caps?.extensions?.[TASKS_EXTENSION] !== undefined;
    }),
  );
}

/** The error for an id that names no task of this caller: the same for an unknown and a foreign one. */
const notFound = (): Error => rpcError(ErrorCode.InvalidParams, 'Failed to retrieve task: Task not found');

/** A `tools/call` with `task`: the upstream's task behind a gateway id (or, when it ran the tool at once, a completed one the gateway keeps). */
export function callToolAsTask(
  router: Router,
  session: DownstreamSession,
  run: Run,
  request: CallToolRequest,
  extra: Extra,
): Promise<unknown> {
  const { name, arguments: args = {}, task } = request.params;
  let where: Pick<TaskHandle, 'server' | 'upstream'> = { server: '', upstream: undefined };
  return run('tools/call', extra, (o, link) =>
    router.bridge
      .callTool(name, args, { ...o, task: task ?? {} })
      .finally(() => (where = { server: link.server ?? '', upstream: link.upstream })),
  ).then(
    (result) => {
      const created = (result as { task?: { taskId?: unknown; ttl?: unknown } }).task;
      if (typeof created?.taskId !== 'string') {
        const at = new Date().toISOString();
        const id = router.tasks.add({ ...where, taskId: '', owner: session.caller, result: { value: result, at } }, task?.ttl);
        return { task: localTask(id, at, task?.ttl) };
      }
      const id = router.tasks.add({ ...where, taskId: created.taskId, owner: session.caller }, created.ttl);
      return { task: { ...created, taskId: id } };
    },
    (error: unknown) => requestFailure(error, extra.signal),
  );
}

function localTask(id: string, at: string, ttl: unknown): Record<string, unknown> {
  return { taskId: id, status: 'completed', createdAt: at, lastUpdatedAt: at, ttl: typeof ttl === 'number' ? ttl : null };
}

/** Registers `tasks/get`, `tasks/result`, `tasks/cancel` and `tasks/list` (only on a server that advertises {@link GATEWAY_TASKS_CAPABILITY}). */
export function registerTaskRoutes(server: Server, router: Router, session: DownstreamSession, run: Run): void {
  const handles = router.tasks;
  const upstream = (method: string, id: unknown, extra: Extra): Promise<Record<string, unknown>> => {
    const handle = handles.find(session.caller, id);
    if (handle === undefined) return Promise.reject(notFound());
    if (handle.result !== undefined) return Promise.resolve(local(method, id as string, handle));
    return run(method, extra, (o) => forward(router.bridge, handle, method, o))
      .then((answer) => withGatewayId(answer, id as string))
      .catch((error: unknown) => requestFailure(error, extra.signal));
  };
  server.setRequestHandler(GetTaskRequestSchema, (request, extra) => upstream('tasks/get', request.params.taskId, extra) as never);
  server.setRequestHandler(
    GetTaskPayloadRequestSchema,
    (request, extra) => upstream('tasks/result', request.params.taskId, extra) as never,
  );
  server.setRequestHandler(CancelTaskRequestSchema, (request, extra) => upstream('tasks/cancel', request.params.taskId, extra) as never);
  server.setRequestHandler(ListTasksRequestSchema, async (_request, extra) => {
    // The gateway's own list: this caller's handles, each as its upstream reports it now (an unreachable one is left out).
    const tasks = await Promise.all(handles.owned(session.caller).map(([id]) => upstream('tasks/get', id, extra).catch(() => undefined)));
    return { tasks: tasks.filter((task) => task !== undefined) };
  });
}

function forward(bridge: Bridge, handle: TaskHandle, method: string, o: CallOptions): Promise<Record<string, unknown>> {
  const options = handle.upstream === undefined ? o : { ...o, upstream: handle.upstream };
  return bridge.request(handle.server, method, { taskId: handle.taskId }, options) as Promise<Record<string, unknown>>;
}

/** An upstream answer with the upstream's task id replaced by the gateway's (in the result, and in its related-task `_meta`). */
function withGatewayId(answer: Record<string, unknown>, id: string): Record<string, unknown> {
  const out: Record<string, unknown> = 'taskId' in answer ? { ...answer, taskId: id } : { ...answer };
  const meta = answer['_meta'] as Record<string, unknown> | undefined;
  if (meta?.[RELATED_TASK] !== undefined) out['_meta'] = { ...meta, [RELATED_TASK]: { taskId: id } };
  return out;
}

/** The answers for a task the gateway keeps itself (completed when created). */
function local(method: string, id: string, handle: TaskHandle): Record<string, unknown> {
  const { value, at } = handle.result!;
  if (method === 'tasks/result') return { ...value, _meta: { ...(value['_meta'] as object | undefined), [RELATED_TASK]: { taskId: id } } };
  if (method === 'tasks/cancel') throw rpcError(ErrorCode.InvalidParams, 'Cannot cancel task: already in terminal status "completed"');
  return localTask(id, at, null);
}
