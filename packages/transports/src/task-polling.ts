import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ErrorCode, McpError, ResultSchema, type ClientCapabilities } from '@modelcontextprotocol/sdk/types.js';
import { ProtocolError, type Client as ModernClient } from '@modelcontextprotocol/client';
import type { AskCaller } from './input-rounds.js';

/** The SEP-2663 tasks extension (2026-07-28): offered under `capabilities.extensions`, opted into per request. */
export const TASKS_EXTENSION = 'io.modelcontextprotocol/tasks';

/** The per-request `_meta` key of the client capabilities (2026-07-28). */
const CLIENT_CAPABILITIES_META_KEY = 'io.modelcontextprotocol/clientCapabilities';

/** `_meta` key under which a lifted CreateTaskResult reaches the polling (see {@link liftTaskResults}). */
export const TASK_MARK = 'mcp-bridge/task';

/** Polls no faster than this, whatever the server asks (ms). */
export const MIN_POLL_MS = 10;
/** Polls at least this often, whatever the server asks (ms): a task's end is noticed within it. */
export const MAX_POLL_MS = 5_000;
/** The poll interval when the server names none (ms). */
export const DEFAULT_POLL_MS = 500;
/** `tasks/get` failures in a row (a broken stream, a refused connection) tolerated before the call fails. */
export const MAX_POLL_FAILURES = 3;
/** Time given to the `tasks/cancel` of an abandoned task (ms). */
export const CANCEL_TIMEOUT_MS = 5_000;

type Message = { id?: unknown; result?: Record<string, unknown> };
type Handler = (message: never, extra?: unknown) => void;

/**
 * The SDK v2 client refuses a `resultType: "task"` answer (it knows only `complete` and
 * `input_required`), so it cannot carry a CreateTaskResult to the bridge. Here such an answer is
 * rewritten on its way in: an `isError` tool result (never mistaken for success, and exempt from
 * output-schema checks) whose `_meta` holds the task under {@link TASK_MARK}; {@link followTask}
 * takes it from there. Installed only on connections to upstreams that offer the extension.
 */
export function liftTaskResults(transport: Transport): void {
  const own = Object.getOwnPropertyDescriptor(transport, 'onmessage');
  let plain = own?.get === undefined ? (own?.value as Handler | undefined) : undefined;
  const read = (): Handler | undefined => (own?.get === undefined ? plain : (own.get.call(transport) as Handler | undefined));
  Object.defineProperty(transport, 'onmessage', {
    configurable: true,
    get: () => {
      const current = read();
      return current === undefined ? undefined : (message: Message, extra?: unknown) => current(lift(message) as never, extra);
    },
    set: (handler: Handler | undefined) => {
      if (own?.set !== undefined) own.set.call(transport, handler);
      else plain = handler;
    },
  });
}

function lift(message: Message): Message {
  const result = message.result;
  if (result?.['resultType'] !== 'task') return message;
  const { resultType: _resultType, _meta, content: _content, ...task } = result;
  const meta = typeof _meta === 'object' && _meta !== null ? _meta : {};
  return { ...message, result: { resultType: 'complete', content: [], isError: true, _meta: { ...meta, [TASK_MARK]: task } } };
}

/** Whether the upstream offers the tasks extension. */
export function offersTasks(client: ModernClient): boolean {
  const extensions = (client.getServerCapabilities() as { extensions?: Record<string, unknown> } | undefined)?.extensions;
  return extensions?.[TASKS_EXTENSION] !== undefined;
}

/** `params` opted into the extension: the client's capabilities plus it, in the per-request `_meta` (replacing the connection's). */
export function withTaskOptIn(params: Record<string, unknown>, capabilities: ClientCapabilities): Record<string, unknown> {
  const caps = capabilities as ClientCapabilities & { extensions?: Record<string, unknown> };
  const meta = (params['_meta'] ?? {}) as Record<string, unknown>;
  const optedIn = { ...caps, extensions: { ...caps.extensions, [TASKS_EXTENSION]: {} } };
  return { ...params, _meta: { ...meta, [CLIENT_CAPABILITIES_META_KEY]: optedIn } };
}

/** The task a lifted answer carries, or undefined for any other answer. */
export function createdTask(answer: unknown): Record<string, unknown> | undefined {
  const meta = (answer as { _meta?: Record<string, unknown> } | undefined)?._meta;
  const task = meta?.[TASK_MARK];
  return typeof task === 'object' && task !== null ? (task as Record<string, unknown>) : undefined;
}

/** How {@link followTask} runs one task. */
export interface FollowTaskOptions {
  client: ModernClient;
  capabilities: ClientCapabilities;
  ask: AskCaller | undefined;
  signal?: AbortSignal;
  /** Time left for the whole call (ms). */
  timeout?: number;
  maxRounds: number;
  /** For messages: `tools/call "deploy"`. */
  what: string;
  /** Cancel the task upstream when the call is aborted or runs out of time (default true: nobody else knows the task). */
  cancelOnAbandon?: boolean;
}

/**
 * Follows a task the upstream created for a call to its end, as one logical call: `tasks/get`
 * every `pollIntervalMs` (bounded by {@link MIN_POLL_MS} and {@link MAX_POLL_MS}, never past the
 * call's deadline); an `input_required` task asks the caller, as an `input_required` result would,
 * and answers with `tasks/update`; completed gives the inlined result, failed throws the inlined
 * error as an `McpError`. A `tasks/get` is safe to repeat, so a broken one is retried (up to
 * {@link MAX_POLL_FAILURES} in a row). On abort or deadline the task is cancelled upstream
 * (`tasks/cancel`) before the call fails.
 */
export async function followTask(created: Record<string, unknown>, o: FollowTaskOptions): Promise<Record<string, unknown>> {
  const taskId = created['taskId'];
  if (typeof taskId !== 'string') throw new McpError(ErrorCode.InternalError, `${o.what}: the upstream created a task without a taskId`);
  const deadline = o.timeout === undefined ? undefined : Date.now() + o.timeout;
  const send = (method: string, params: Record<string, unknown>, timeout?: number): Promise<Record<string, unknown>> =>
    o.client.request(
      { method, params: withTaskOptIn({ taskId, ...params }, o.capabilities) } as never,
      ResultSchema as never,
      {
        ...(o.signal ? { signal: o.signal } : {}),
        ...(timeout === undefined ? {} : { timeout }),
      } as never,
    );
  try {
    return await poll(created, taskId, deadline, send, o);
  } catch (error) {
    const expired = deadline !== undefined && Date.now() >= deadline;
    if ((o.signal?.aborted || expired) && o.cancelOnAbandon !== false) await cancelTask(o, taskId);
    throw error;
  }
}

type Send = (method: string, params: Record<string, unknown>, timeout?: number) => Promise<Record<string, unknown>>;

async function poll(
  created: Record<string, unknown>,
  taskId: string,
  deadline: number | undefined,
  send: Send,
  o: FollowTaskOptions,
): Promise<Record<string, unknown>> {
  const left = (): number | undefined => {
    if (deadline === undefined) return undefined;
    const ms = deadline - Date.now();
    if (ms <= 0) throw new McpError(ErrorCode.RequestTimeout, `${o.what}: task ${taskId} did not finish in time`, { timeout: o.timeout });
    return ms;
  };
  const answered = new Set<string>();
  let task = created;
  let rounds = 0;
  let failures = 0;
  for (;;) {
    switch (task['status']) {
      case 'completed':
        return completedResult(task, o.what);
      case 'failed':
        throw failedError(task, o.what);
      case 'cancelled':
        throw new McpError(ErrorCode.InternalError, `${o.what}: task ${taskId} was cancelled by the upstream`);
      case 'input_required': {
        const asked = await answerInput(task, answered, o, left, rounds);
        if (asked !== undefined) {
          rounds++;
          await send('tasks/update', { inputResponses: asked }, left());
          break; // the task's next state comes right away
        }
      }
      // falls through: everything asked was answered already; wait for the server to move on
      default:
        await pause(pollInterval(task, deadline), o.signal);
    }
    try {
      task = await send('tasks/get', {}, left());
      failures = 0;
    } catch (error) {
      // The server's answer is final; a lost stream or connection is not (a tasks/get is safe to repeat).
      if (error instanceof ProtocolError || error instanceof McpError || o.signal?.aborted || ++failures > MAX_POLL_FAILURES) throw error;
    }
  }
}

/** Asks the caller the task's not yet answered requests; undefined when there are none. */
async function answerInput(
  task: Record<string, unknown>,
  answered: Set<string>,
  o: FollowTaskOptions,
  left: () => number | undefined,
  rounds: number,
): Promise<Record<string, unknown> | undefined> {
  const requests = Object.entries((task['inputRequests'] ?? {}) as Record<string, { method: string; params?: Record<string, unknown> }>);
  const fresh = requests.filter(([key]) => !answered.has(key));
  if (fresh.length === 0) return undefined;
  if (rounds >= o.maxRounds) {
    throw new McpError(ErrorCode.InternalError, `${o.what} still asked for input after ${o.maxRounds} rounds (maxInputRounds)`);
  }
  if (o.ask === undefined) {
    const methods = [...new Set(fresh.map(([, request]) => request.method))].join(', ');
    throw new McpError(ErrorCode.InvalidRequest, `${o.what} needs input from the caller (${methods}), but the caller cannot be asked`);
  }
  const responses: Record<string, unknown> = {};
  for (const [key, request] of fresh) {
    responses[key] = await o.ask(request, { ...(o.signal ? { signal: o.signal } : {}), timeout: left() });
    answered.add(key);
  }
  o.signal?.throwIfAborted();
  return responses;
}

function completedResult(task: Record<string, unknown>, what: string): Record<string, unknown> {
  const result = task['result'];
  if (typeof result !== 'object' || result === null)
    throw new McpError(ErrorCode.InternalError, `${what}: completed task without a result`);
  const { resultType: _resultType, ...rest } = result as Record<string, unknown>;
  return rest;
}

function failedError(task: Record<string, unknown>, what: string): McpError {
  const error = task['error'] as { code?: unknown; message?: unknown; data?: unknown } | undefined;
  const code = typeof error?.code === 'number' ? error.code : ErrorCode.InternalError;
  const message = typeof error?.message === 'string' ? error.message : `${what}: task failed`;
  return new McpError(code, message, error?.data);
}

/** The server's `pollIntervalMs` within bounds, and never past the deadline. */
function pollInterval(task: Record<string, unknown>, deadline: number | undefined): number {
  const asked = typeof task['pollIntervalMs'] === 'number' ? task['pollIntervalMs'] : DEFAULT_POLL_MS;
  const bounded = Math.min(Math.max(asked, MIN_POLL_MS), MAX_POLL_MS);
  return deadline === undefined ? bounded : Math.max(0, Math.min(bounded, deadline - Date.now()));
}

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Best effort: the call is failing anyway, so a failed cancel is not reported over the call's own error. */
async function cancelTask(o: FollowTaskOptions, taskId: string): Promise<void> {
  await o.client
    .request(
      { method: 'tasks/cancel', params: withTaskOptIn({ taskId }, o.capabilities) } as never,
      ResultSchema as never,
      { timeout: CANCEL_TIMEOUT_MS } as never,
    )
    .catch(() => undefined);
}
