import type { BridgeEvents, Listener } from './event-types.js';

/**
 * The lifecycle event bus. Emitting an event nobody listens to costs one map lookup; listener
 * errors are reported through `onListenerError` and never break the emitter.
 */
export class EventBus {
  readonly #listeners = new Map<keyof BridgeEvents, Listener<never>[]>();
  readonly #onListenerError: (event: string, error: unknown) => void;

  constructor(onListenerError: (event: string, error: unknown) => void) {
    this.#onListenerError = onListenerError;
  }

  on<E extends keyof BridgeEvents>(event: E, listener: Listener<E>): () => void {
    const list = this.#listeners.get(event) ?? [];
    // Copy-on-write so an emit in progress is not disturbed by (un)subscription.
    this.#listeners.set(event, [...list, listener]);
    return () => {
      const current = this.#listeners.get(event);
      if (!current) return;
      const next = current.filter((l) => l !== listener);
      if (next.length === 0) this.#listeners.delete(event);
      else this.#listeners.set(event, next);
    };
  }

  has(event: keyof BridgeEvents): boolean {
    return this.#listeners.has(event);
  }

  emit<E extends keyof BridgeEvents>(event: E, payload: BridgeEvents[E]): void {
    const list = this.#listeners.get(event);
    if (!list) return;
    for (const listener of list) {
      try {
        const result: unknown = (listener as Listener<E>)(payload);
        // An async listener's rejection would otherwise be unhandled and could take the process down.
        if (result !== undefined && typeof (result as PromiseLike<unknown>).then === 'function') {
          (result as Promise<unknown>).then(undefined, (error: unknown) => this.#onListenerError(event, error));
        }
      } catch (error) {
        this.#onListenerError(event, error);
      }
    }
  }

  clear(): void {
    this.#listeners.clear();
  }
}
