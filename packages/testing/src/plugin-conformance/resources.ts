/**
 * Finds timers and handles a bridge left behind. Two views, because each misses something:
 * `process.getActiveResourcesInfo()` sees sockets, child processes and ref'd timers but not
 * unref'd ones; wrapping the global timer functions sees every `setTimeout`/`setInterval` (ref'd or
 * not) with the stack that created it, but not handles.
 */

interface TrackedTimer {
  readonly kind: 'setTimeout' | 'setInterval';
  readonly delay: number;
  readonly where: string;
}

/** Counts of active resources by type (`Timeout`, `TCPSocketWrap`, `ProcessWrap` ...). */
export function activeResources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const type of process.getActiveResourcesInfo()) counts.set(type, (counts.get(type) ?? 0) + 1);
  return counts;
}

/** Resource types whose count grew from `before` to `after`, as `Timeout +2`. */
export function grownResources(before: Map<string, number>, after: Map<string, number>): string[] {
  const out: string[] = [];
  for (const [type, count] of after) {
    const grown = count - (before.get(type) ?? 0);
    if (grown > 0) out.push(`${type} +${grown}`);
  }
  return out;
}

/**
 * Records every timer created through the global functions until `stop()`. Timers the runtime
 * or the test framework made before `start()` are not seen, so they never count against a plugin.
 */
export class TimerTracker {
  readonly #pending = new Map<unknown, TrackedTimer>();
  #restore: (() => void) | undefined;

  start(): void {
    if (this.#restore) return;
    const g = globalThis as unknown as Record<string, (...args: unknown[]) => unknown>;
    const original = {
      setTimeout: g.setTimeout!,
      setInterval: g.setInterval!,
      clearTimeout: g.clearTimeout!,
      clearInterval: g.clearInterval!,
    };
    const pending = this.#pending;
    const forget = (handle: unknown): void => {
      pending.delete(handle);
      // Node accepts the numeric id (`+timer`) too.
      if (typeof handle === 'number' || typeof handle === 'string') {
        for (const key of pending.keys())
          if (typeof key === 'object' && key !== null && Number(key) === Number(handle)) pending.delete(key);
      }
    };
    g.setTimeout = function (this: unknown, callback: unknown, delay?: unknown, ...args: unknown[]) {
      if (typeof callback !== 'function') return original.setTimeout.call(this, callback, delay, ...args);
      let handle: unknown;
      const wrapped = function (this: unknown, ...a: unknown[]) {
        pending.delete(handle);
        return (callback as (...x: unknown[]) => unknown).apply(this, a);
      };
      handle = original.setTimeout.call(this, wrapped, delay, ...args);
      pending.set(handle, { kind: 'setTimeout', delay: Number(delay) || 0, where: creationSite() });
      return handle;
    };
    g.setInterval = function (this: unknown, callback: unknown, delay?: unknown, ...args: unknown[]) {
      const handle = original.setInterval.call(this, callback, delay, ...args);
      pending.set(handle, { kind: 'setInterval', delay: Number(delay) || 0, where: creationSite() });
      return handle;
    };
    g.clearTimeout = function (this: unknown, handle: unknown) {
      forget(handle);
      return original.clearTimeout.call(this, handle);
    };
    g.clearInterval = function (this: unknown, handle: unknown) {
      forget(handle);
      return original.clearInterval.call(this, handle);
    };
    this.#restore = () => Object.assign(g, original);
  }

  /** Timers created since `start()` that have neither fired (timeouts) nor been cleared. */
  pending(): string[] {
    const out: string[] = [];
    for (const [handle, timer] of this.#pending) {
      // A timeout cleared through `timer.close()` or destroyed otherwise is no longer active.
      const active =
        typeof handle === 'object' && handle !== null && 'hasRef' in handle ? !(handle as { _destroyed?: boolean })._destroyed : true;
      if (active) out.push(`${timer.kind}(…, ${timer.delay}) created ${timer.where}`);
    }
    return out;
  }

  stop(): void {
    this.#restore?.();
    this.#restore = undefined;
  }
}

/** The first stack frame past this helper and the timer wrapper that is not node's: where the timer was created. */
function creationSite(): string {
  const frames = (new Error().stack ?? '').split('\n').slice(3);
  const frame = frames.find((l) => !l.includes('node:internal'));
  return frame ? frame.trim() : 'at an unknown place';
}
