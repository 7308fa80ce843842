import { MAX_TIMER_MS, OverloadedError, TimeoutError, type CallContext } from '@mcp-bridge/core';

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
  cleanup(): void;
}

/**
 * Per-upstream concurrency limit with a bounded FIFO queue. `acquire` returns `undefined` when a
 * slot was free (the hot path allocates nothing), a promise when the call must wait, and throws
 * `OverloadedError` synchronously when the queue is full, so overflow costs microseconds.
 * A queued call leaves the queue when its deadline passes or its signal aborts.
 */
export class Bulkhead {
  running = 0;
  readonly #queue: Waiter[] = [];

  constructor(
    public maxConcurrent: number,
    public maxPending: number,
    private readonly label: string,
  ) {}

  /** Calls waiting for a slot. */
  get pending(): number {
    return this.#queue.length;
  }

  /** Takes a slot now, or queues; throws `OverloadedError` when full. */
  acquire(ctx: CallContext): Promise<void> | undefined {
    if (this.running < this.maxConcurrent && this.#queue.length === 0) {
      this.running++;
      return undefined;
    }
    if (this.#queue.length >= this.maxPending) {
      throw new OverloadedError(
        `${this.label} is overloaded: ${this.running} calls running (maxConcurrent ${this.maxConcurrent}) and ${this.#queue.length} waiting (maxPending ${this.maxPending})`,
        {
          plugin: '@mcp-bridge/pool',
          data: { server: ctx.server, upstream: ctx.upstream?.id, running: this.running, pending: this.#queue.length, sent: false },
        },
      );
    }
    const remaining = ctx.deadline - Date.now();
    if (remaining <= 0) return Promise.reject(this.#timeout(ctx));
    const signal = ctx.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => {
          this.#remove(waiter);
          waiter.cleanup();
          reject(this.#timeout(ctx));
        },
        Math.min(remaining, MAX_TIMER_MS),
      );
      const onAbort = (): void => {
        this.#remove(waiter);
        waiter.cleanup();
        reject(signal!.reason);
      };
      const waiter: Waiter = {
        resolve,
        reject,
        cleanup: () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#queue.push(waiter);
    });
  }

  /** Frees a slot: hands it to the first waiter, if any. */
  release(): void {
    const next = this.#queue.shift();
    if (next) {
      // The slot passes straight to the waiter: `running` stays as it is.
      next.cleanup();
      next.resolve();
    } else {
      this.running--;
    }
  }

  /** Fails every waiting call (upstream removed, pool closed). */
  rejectAll(error: Error): void {
    for (const waiter of this.#queue.splice(0)) {
      waiter.cleanup();
      waiter.reject(error);
    }
  }

  #remove(waiter: Waiter): void {
    const i = this.#queue.indexOf(waiter);
    if (i >= 0) this.#queue.splice(i, 1);
  }

  #timeout(ctx: CallContext): TimeoutError {
    return new TimeoutError(`${this.label}: the call waited for a free slot until its time ran out (maxConcurrent ${this.maxConcurrent})`, {
      plugin: '@mcp-bridge/pool',
      data: { server: ctx.server, method: ctx.method, sent: false },
    });
  }
}
