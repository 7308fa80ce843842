import { randomUUID } from 'node:crypto';

/** The extension id of SEP-2663 tasks (2026-07-28), under `capabilities.extensions`. */
export const TASKS_EXTENSION = 'io.modelcontextprotocol/tasks';

/** A task's status (SEP-2663). Terminal: `completed`, `failed`, `cancelled`. */
export type ModernTaskStatus = 'working' | 'input_required' | 'completed' | 'failed' | 'cancelled';

/** One request a task waits on the client for (`elicitation/create` ...), keyed in `inputRequests`. */
export interface TaskInputRequest {
  method: string;
  params?: Record<string, unknown>;
}

/** What a task's work sees: its cancellation, and a way to ask the client (answered through `tasks/update`). */
export interface TaskRun {
  signal: AbortSignal;
  /** Parks the task in `input_required` until `key` is answered; resolves with the client's answer. */
  ask(key: string, request: TaskInputRequest): Promise<unknown>;
}

/** A protocol-level failure of a task's work: the task ends `failed` with this JSON-RPC error inlined. */
export class TaskProtocolError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** A task as the test server keeps it. */
interface StoredTask {
  readonly taskId: string;
  readonly tool: string;
  status: ModernTaskStatus;
  readonly createdAt: string;
  lastUpdatedAt: string;
  readonly expiresAt: number;
  result?: Record<string, unknown>;
  error?: { code: number; message: string };
  readonly pending: Map<string, { request: TaskInputRequest; answer: (value: unknown) => void }>;
  readonly abort: AbortController;
}

/** What the test can read about one task (`ModernTestServer.tasks`). */
export interface TaskSnapshot {
  taskId: string;
  tool: string;
  status: ModernTaskStatus;
}

const TERMINAL: ReadonlySet<ModernTaskStatus> = new Set(['completed', 'failed', 'cancelled']);

/** Timing of the tasks a store creates. */
export interface TaskTiming {
  ttlMs: number;
  pollIntervalMs: number;
}

/**
 * The tasks of one modern test server, shared by all its instances (over HTTP each request gets a
 * fresh instance). A task is created durably before its `CreateTaskResult` goes out, stays readable
 * for its whole `ttlMs`, and settles exactly once: `completed` (the tool's result, `isError` ones
 * included), `failed` (a {@link TaskProtocolError}), or `cancelled`.
 */
export class ModernTaskStore {
  readonly #tasks = new Map<string, StoredTask>();

  constructor(readonly timing: TaskTiming) {}

  /** Creates a task running `work`; returns the flat CreateTaskResult (SEP-2663). */
  create(tool: string, work: (run: TaskRun) => Promise<Record<string, unknown>>): Record<string, unknown> {
    this.#prune();
    const now = new Date().toISOString();
    const task: StoredTask = {
      taskId: randomUUID(),
      tool,
      status: 'working',
      createdAt: now,
      lastUpdatedAt: now,
      expiresAt: Date.now() + this.timing.ttlMs,
      pending: new Map(),
      abort: new AbortController(),
    };
    this.#tasks.set(task.taskId, task);
    const run: TaskRun = { signal: task.abort.signal, ask: (key, request) => this.#ask(task, key, request) };
    void work(run).then(
      (result) => this.#settle(task, 'completed', { result }),
      (error: unknown) =>
        this.#settle(task, task.abort.signal.aborted ? 'cancelled' : 'failed', {
          error: { code: error instanceof TaskProtocolError ? error.code : -32603, message: (error as Error).message },
        }),
    );
    return { resultType: 'task', ...this.#info(task) };
  }

  /** The DetailedTask of `tasks/get`; undefined for an unknown (or expired) id. */
  get(taskId: string): Record<string, unknown> | undefined {
    const task = this.#find(taskId);
    if (task === undefined) return undefined;
    return {
      ...this.#info(task),
      ...(task.status === 'input_required' ? { inputRequests: Object.fromEntries([...task.pending].map(([k, p]) => [k, p.request])) } : {}),
      ...(task.result === undefined ? {} : { result: task.result }),
      ...(task.error === undefined ? {} : { error: task.error }),
    };
  }

  /** `tasks/update`: answers the pending requests named in `responses` (unknown keys are ignored); false for an unknown id. */
  update(taskId: string, responses: Record<string, unknown>): boolean {
    const task = this.#find(taskId);
    if (task === undefined) return false;
    for (const [key, value] of Object.entries(responses)) {
      const pending = task.pending.get(key);
      if (pending === undefined) continue;
      task.pending.delete(key);
      pending.answer(value);
    }
    if (task.status === 'input_required' && task.pending.size === 0) this.#touch(task, 'working');
    return true;
  }

  /** `tasks/cancel`: idempotent on a terminal task; false for an unknown id. */
  cancel(taskId: string): boolean {
    const task = this.#find(taskId);
    if (task === undefined) return false;
    if (!TERMINAL.has(task.status)) this.#settle(task, 'cancelled', {});
    return true;
  }

  /** Every task still kept, oldest first. */
  list(): TaskSnapshot[] {
    return [...this.#tasks.values()].map(({ taskId, tool, status }) => ({ taskId, tool, status }));
  }

  /** Cancels every running task (the server is closing). */
  close(): void {
    for (const task of this.#tasks.values()) if (!TERMINAL.has(task.status)) this.#settle(task, 'cancelled', {});
  }

  #find(taskId: string): StoredTask | undefined {
    this.#prune();
    return this.#tasks.get(taskId);
  }

  #info(task: StoredTask): Record<string, unknown> {
    return {
      taskId: task.taskId,
      status: task.status,
      createdAt: task.createdAt,
      lastUpdatedAt: task.lastUpdatedAt,
      ttlMs: this.timing.ttlMs,
      pollIntervalMs: this.timing.pollIntervalMs,
    };
  }

  #ask(task: StoredTask, key: string, request: TaskInputRequest): Promise<unknown> {
    return new Promise((resolve, reject) => {
      if (task.abort.signal.aborted) return reject(new Error('task cancelled'));
      task.pending.set(key, { request, answer: resolve });
      task.abort.signal.addEventListener('abort', () => reject(new Error('task cancelled')), { once: true });
      this.#touch(task, 'input_required');
    });
  }

  #touch(task: StoredTask, status: ModernTaskStatus): void {
    task.status = status;
    task.lastUpdatedAt = new Date().toISOString();
  }

  #settle(task: StoredTask, status: ModernTaskStatus, outcome: Pick<StoredTask, 'result' | 'error'>): void {
    if (TERMINAL.has(task.status)) return;
    if (status === 'cancelled') task.abort.abort();
    if (status === 'completed') task.result = outcome.result;
    if (status === 'failed') task.error = outcome.error;
    task.pending.clear();
    this.#touch(task, status);
  }

  #prune(): void {
    const now = Date.now();
    for (const [id, task] of this.#tasks) if (task.expiresAt <= now && TERMINAL.has(task.status)) this.#tasks.delete(id);
  }
}
