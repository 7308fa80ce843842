/**
 * One upstream request's view of the caller's AbortSignal: what the SDK's `Protocol.request`
 * reads of `options.signal` (`aborted`, `reason`, `throwIfAborted()`, `addEventListener`).
 *
 * Why: the SDK adds an `abort` listener to the signal of every request and never removes it. A
 * caller that passes one long-lived signal to many calls (an app's shutdown signal) would collect a
 * listener per call, forever, and on abort cancel requests that finished long ago. Through this
 * view the listener is added `once` and removed when the request settles ({@link release}).
 */
export class RequestSignal {
  /** The caller's signal (the gateway finds its downstream call by it). */
  readonly source: AbortSignal;
  #listener: (() => void) | undefined;

  constructor(source: AbortSignal) {
    this.source = source;
  }

  get aborted(): boolean {
    return this.source.aborted;
  }

  get reason(): unknown {
    return this.source.reason;
  }

  throwIfAborted(): void {
    this.source.throwIfAborted();
  }

  addEventListener(type: 'abort', listener: () => void): void {
    this.release();
    this.#listener = listener;
    this.source.addEventListener(type, listener, { once: true });
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    if (listener === this.#listener) this.release();
  }

  /** Whether a listener is on the caller's signal (the SDK adds it synchronously, inside `request`). */
  get listening(): boolean {
    return this.#listener !== undefined;
  }

  /** The request settled: the listener it added goes. */
  release(): void {
    if (this.#listener === undefined) return;
    this.source.removeEventListener('abort', this.#listener);
    this.#listener = undefined;
  }
}
