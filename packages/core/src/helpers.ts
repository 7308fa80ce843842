/**
 * Small helpers every package needs, kept here once (house style: never copied).
 */
import { MAX_TIMER_MS } from './call-wait.js';

export { MAX_TIMER_MS } from './call-wait.js';

/**
 * The message of anything thrown: an error's message, else its string form.
 *
 * @example
 * onError(`refresh failed: ${errorMessage(error)}`);
 */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Waits `ms` (capped at {@link MAX_TIMER_MS}), or rejects with the reason of the first of `signals`
 * to abort. The timer and the listeners go either way, so a wait never keeps a process alive after
 * it is cancelled, and nothing is left behind on the signals.
 *
 * @example
 * await wait(backoffMs, ctx.signal, api.signal);
 */
export function wait(ms: number, ...signals: readonly (AbortSignal | undefined)[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const aborted = signals.find((s) => s?.aborted);
    if (aborted) return reject(aborted.reason);
    const done = (): void => {
      clearTimeout(timer);
      for (const s of signals) s?.removeEventListener('abort', onAbort);
    };
    const onAbort = (): void => {
      done();
      reject(signals.find((s) => s?.aborted)?.reason);
    };
    const timer = setTimeout(
      () => {
        done();
        resolve();
      },
      Math.min(Math.max(0, ms), MAX_TIMER_MS),
    );
    for (const s of signals) s?.addEventListener('abort', onAbort, { once: true });
  });
}
