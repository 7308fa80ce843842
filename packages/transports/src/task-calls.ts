import { ErrorCode, McpError, ResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { createdTask, followTask, offersTasks, withTaskOptIn, type FollowTaskOptions } from './task-polling.js';

// Both ways a tools/call meets SEP-2663 tasks on a modern upstream: transparently (the task is followed
// to its result, see task-polling.ts), or as an explicit task handle. Explicit task handles (MCP 2025-11-25 task augmentation) over a 2026-07-28 upstream that offers
// SEP-2663 tasks: the host and the gateway speak the 2025 shapes (`{ task }`, `tasks/get`,
// `tasks/result`, `tasks/cancel`); this file translates them to the flat 2026 ones and back, so the
// era stays behind the transport seam.

/** The 2025-era task methods a modern upstream client answers (there is no `tasks/list` in 2026-07-28). */
export const LEGACY_TASK_METHODS: ReadonlySet<string> = new Set(['tasks/get', 'tasks/result', 'tasks/cancel', 'tasks/list']);

/** A 2026-07-28 task (CreateTaskResult or DetailedTask) as a 2025-11-25 `Task`. */
export function legacyTask(task: Record<string, unknown>): Record<string, unknown> {
  const ttl = task['ttlMs'];
  return {
    taskId: task['taskId'],
    status: task['status'],
    ...(typeof task['statusMessage'] === 'string' ? { statusMessage: task['statusMessage'] } : {}),
    createdAt: task['createdAt'],
    lastUpdatedAt: task['lastUpdatedAt'] ?? task['createdAt'],
    ttl: typeof ttl === 'number' ? ttl : null,
    ...(typeof task['pollIntervalMs'] === 'number' ? { pollInterval: task['pollIntervalMs'] } : {}),
  };
}

/**
 * One 2025-era task request (`tasks/get`, `tasks/result`, `tasks/cancel`) answered by a modern
 * upstream: `tasks/get` and `tasks/cancel` answer the 2025 `Task`; `tasks/result` follows the task
 * to its end (asking the caller when it needs input) without cancelling it when the wait is
 * abandoned: the handle's owner may still ask again.
 */
export async function legacyTaskRequest(
  method: string,
  params: Record<string, unknown>,
  o: Omit<FollowTaskOptions, 'what'>,
): Promise<Record<string, unknown>> {
  const taskId = params['taskId'];
  if (method === 'tasks/list') throw new McpError(ErrorCode.MethodNotFound, 'tasks/list: a 2026-07-28 upstream has no task list');
  if (typeof taskId !== 'string') throw new McpError(ErrorCode.InvalidParams, `${method}: taskId must be a string`);
  const send = (m: string): Promise<Record<string, unknown>> =>
    o.client.request(
      { method: m, params: withTaskOptIn({ taskId }, o.capabilities) } as never,
      ResultSchema as never,
      {
        ...(o.signal ? { signal: o.signal } : {}),
        ...(o.timeout === undefined ? {} : { timeout: o.timeout }),
      } as never,
    );
  if (method === 'tasks/cancel') await send('tasks/cancel');
  const task = await send('tasks/get');
  if (method !== 'tasks/result') return legacyTask(task);
  return followTask(task, { ...o, what: `${method} "${taskId}"`, cancelOnAbandon: false });
}

/**
 * One `tools/call` through a modern upstream, tasks included: when the upstream offers the
 * extension, `send` gets params opted into it, and a task it creates is followed to its end
 * ({@link followTask}) within the same time; otherwise `send` runs as is.
 */
export async function callWithTasks(
  params: Record<string, unknown>,
  send: (params: Record<string, unknown>) => Promise<unknown>,
  o: FollowTaskOptions,
): Promise<unknown> {
  if (!offersTasks(o.client)) return send(params);
  // A 2025-era task request (`params.task`) asks for a handle: the 2026 server decides by itself, so the param goes no further.
  const { task: handle, ...rest } = params;
  const started = Date.now();
  const answer = await send(withTaskOptIn(rest, o.capabilities));
  const task = createdTask(answer);
  if (task === undefined) return answer;
  if (handle !== undefined) return { task: legacyTask(task) };
  return followTask(task, { ...o, ...(o.timeout === undefined ? {} : { timeout: o.timeout - (Date.now() - started) }) });
}
