import { randomBytes } from 'node:crypto';

/** Where the task behind a gateway task id lives, and whose it is. */
export interface TaskHandle {
  /** The logical server that created it. */
  readonly server: string;
  /** The replica it lives on (a task lives in one upstream process), when the call went to a known one. */
  readonly upstream: string | undefined;
  /** The upstream's own task id. */
  readonly taskId: string;
  /** The caller (principal id, or session) it was created for: nobody else can reach it. */
  readonly owner: string;
  /** Past this (ms since epoch) the handle is forgotten; the upstream's ttl, bounded. */
  readonly expiresAt: number;
  /**
   * The result, when the upstream answered a task request without creating a task (it ran the tool
   * at once): the gateway keeps it as a completed task, since the client asked for a handle.
   */
  readonly result?: { value: Record<string, unknown>; at: string } | undefined;
}

/** How long a handle is kept when the upstream names no ttl, and at most (ms). */
export const MAX_HANDLE_TTL_MS = 24 * 60 * 60_000;
/** Handles kept at most (the oldest go first): a client creating tasks in a loop cannot grow the gateway without bound. */
export const MAX_HANDLES = 10_000;

/**
 * The task ids a gateway hands out to 2025-era clients (MCP 2025-11-25 task augmentation). A gateway
 * id is random and names nothing: the table says which server (and replica) holds the task and
 * which caller owns it. A lookup by anyone else finds nothing, exactly as an unknown id, so a client
 * can neither reach nor probe another caller's task. Shared by every session of a router, so a
 * principal that reconnects still reaches its tasks.
 */
export class TaskHandles {
  readonly #byId = new Map<string, TaskHandle>();

  /** A new gateway task id for an upstream task (`ttl` in ms, null: unlimited). */
  add(handle: Omit<TaskHandle, 'expiresAt'>, ttl: unknown): string {
    this.#prune();
    const ms = typeof ttl === 'number' && ttl > 0 ? Math.min(ttl, MAX_HANDLE_TTL_MS) : MAX_HANDLE_TTL_MS;
    const id = `task-${randomBytes(16).toString('base64url')}`;
    this.#byId.set(id, { ...handle, expiresAt: Date.now() + ms });
    if (this.#byId.size > MAX_HANDLES) this.#byId.delete(this.#byId.keys().next().value!);
    return id;
  }

  /** The handle `id` names for `owner`; undefined when unknown, expired or another caller's. */
  find(owner: string, id: unknown): TaskHandle | undefined {
    if (typeof id !== 'string') return undefined;
    const handle = this.#byId.get(id);
    if (handle === undefined || handle.owner !== owner) return undefined;
    if (handle.expiresAt <= Date.now()) {
      this.#byId.delete(id);
      return undefined;
    }
    return handle;
  }

  /** `owner`'s live handles, oldest first. */
  owned(owner: string): [string, TaskHandle][] {
    this.#prune();
    return [...this.#byId].filter(([, handle]) => handle.owner === owner);
  }

  #prune(): void {
    const now = Date.now();
    for (const [id, handle] of this.#byId) if (handle.expiresAt <= now) this.#byId.delete(id);
  }
}
