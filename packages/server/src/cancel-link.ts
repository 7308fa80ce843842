/**
 * What the SDK's `Protocol.request` reads of `options.signal`: `aborted`, `reason`,
 * `throwIfAborted()` and `addEventListener('abort', fn)`.
 */
export interface SignalLike {
  readonly aborted: boolean;
  readonly reason: unknown;
  throwIfAborted(): void;
  addEventListener(type: 'abort', listener: () => void): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/**
 * Stands in for a downstream request's AbortSignal on the upstream requests it causes, so
 * cancellation is forwarded without an `abort` listener on the signal itself.
 *
 * Why: the SDK adds an `abort` listener to the signal of every request it sends and never removes
 * it. On Node 20 an EventTarget listener costs ~2.5 µs of CPU per call plus the garbage it leaves,
 * about 5% of the gateway's whole per-call cost, and a naive proxy (which does not forward
 * cancellation at all) does not pay it. The gateway learns of a downstream cancellation first hand
 * (it sees the `notifications/cancelled`, or the session closing, each right after the SDK aborted
 * the real signal) and calls {@link fire}. The state is plain fields, read on every request: a
 * link made after the real signal aborted starts aborted.
 */
export class CancelLink implements SignalLike {
  aborted: boolean;
  reason: unknown;
  readonly #source: AbortSignal;
  #listeners: (() => void)[] | undefined;

  constructor(source: AbortSignal) {
    this.aborted = source.aborted;
    this.reason = source.reason;
    this.#source = source;
  }

  throwIfAborted(): void {
    if (this.aborted) throw this.reason;
  }

  addEventListener(_type: 'abort', listener: () => void): void {
    (this.#listeners ??= []).push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const i = this.#listeners?.indexOf(listener) ?? -1;
    if (i >= 0) this.#listeners!.splice(i, 1);
  }

  /**
   * The downstream request was cancelled, or its session ended: cancel the upstream requests it
   * caused, each once. The reason is the real signal's (the client's), or `reason` when the real
   * signal has not aborted.
   */
  fire(reason?: unknown): void {
    if (!this.aborted) {
      this.aborted = true;
      this.reason = this.#source.aborted ? this.#source.reason : (reason ?? new Error('the downstream request was cancelled'));
    }
    const listeners = this.#listeners;
    this.#listeners = undefined;
    if (listeners) for (const listener of listeners) listener();
  }

  /** The downstream call settled: its upstream requests did too, nothing is left to cancel. */
  drop(): void {
    this.#listeners = undefined;
  }
}
