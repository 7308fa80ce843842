/** Largest delay `setTimeout` honours; longer ones fire at once, so they mean "no deadline" here. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Abort reason used when the deadline passes, so errors can say "timed out" rather than "aborted". */
export class DeadlineExceeded extends Error {
  /** @param ms The limit that passed. */
  constructor(readonly ms: number) {
    super(`timed out after ${ms} ms`);
    this.name = 'DeadlineExceeded';
  }
}

/** One signal for "the caller aborted or the time is up". */
export interface Deadline {
  /** Aborts with the caller's reason, or with a `DeadlineExceeded`. */
  readonly signal: AbortSignal;
  /** Clears the timer and detaches from the caller's signal; call it in every outcome. */
  dispose(): void;
}

/** Combines `timeoutMs` and an optional caller signal into one signal. */
export function startDeadline(timeoutMs: number, parent?: AbortSignal): Deadline {
  const controller = new AbortController();
  const onParentAbort = (): void => controller.abort(parent?.reason);
  if (parent?.aborted) onParentAbort();
  else parent?.addEventListener('abort', onParentAbort, { once: true });
  const timer = timeoutMs <= MAX_TIMER_MS ? setTimeout(() => controller.abort(new DeadlineExceeded(timeoutMs)), timeoutMs) : undefined;
  return {
    signal: controller.signal,
    dispose() {
      clearTimeout(timer);
      parent?.removeEventListener('abort', onParentAbort);
    },
  };
}

/**
 * Settles like `promise`, or rejects with the signal's reason as soon as it aborts. Steps such as
 * spawning or opening an SSE stream take no signal of their own, so this is what bounds them.
 * The loser is left running; callers close what it opened.
 */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
