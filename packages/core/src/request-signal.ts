/** What the SDK's `Protocol.request` reads of `options.signal`, and what a {@link RequestSignal} listens to. */
export interface SignalLike {
  readonly aborted: boolean;
  readonly reason: unknown;
  throwIfAborted(): void;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/**
 * A view of a caller's AbortSignal: what the SDK's `Protocol.request` reads of `options.signal`
 * (`aborted`, `reason`, `throwIfAborted()`, `addEventListener`). The one signal adapter of the
 * project.
 *
 * Why: the SDK adds an `abort` listener to the signal of every request and never removes it. A
 * caller that passes one long-lived signal to many calls (an app's shutdown signal) would collect a
 * listener per call, forever, and on abort cancel requests that finished long ago. Through a view,
 * the listeners of one request are dropped when it settles ({@link release}), and the view holds at
 * most one listener on its source.
 *
 * Views stack: a call's link may hold one view of the call's signal for all its upstream requests
 * (`keep`: it stays on the signal when its last request settles), and each request a view of that;
 * then the call's signal gets one `abort` listener however many requests it makes (an EventTarget
 * listener costs ~2.5 µs of CPU, a few % of a gateway call).
 */
export class RequestSignal implements SignalLike {
  /** The signal this is a view of. */
  readonly source: SignalLike;
  readonly #keep: boolean;
  #listeners: (() => void)[] | undefined;
  #attached = false;
  /** Its own listener on the source, made when first needed (the link of a call answered from a cache never listens). */
  #abort: (() => void) | undefined;

  /** `keep`: stay on the source when the last listener goes (a view shared by many requests). */
  constructor(source: SignalLike, keep = false) {
    this.source = source;
    this.#keep = keep;
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

  addEventListener(_type: 'abort', listener: () => void): void {
    (this.#listeners ??= []).push(listener);
    if (this.#attached) return;
    this.#attached = true;
    this.source.addEventListener('abort', (this.#abort ??= () => this.#fire()), { once: true });
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const listeners = this.#listeners;
    const i = listeners === undefined ? -1 : listeners.indexOf(listener);
    if (i < 0) return;
    listeners!.splice(i, 1);
    if (listeners!.length === 0 && !this.#keep) this.release();
  }

  /** Whether a listener is on the source (the SDK adds it synchronously, inside `request`). */
  get listening(): boolean {
    return this.#attached;
  }

  /** The request settled (or, for a kept view, the call did): its listeners go, and so does the view's own on the source. */
  release(): void {
    this.#listeners = undefined;
    if (!this.#attached) return;
    this.#attached = false;
    this.source.removeEventListener('abort', this.#abort!);
  }

  #fire(): void {
    const listeners = this.#listeners;
    this.#listeners = undefined;
    this.#attached = false;
    if (listeners !== undefined) for (const listener of listeners) listener();
  }
}
