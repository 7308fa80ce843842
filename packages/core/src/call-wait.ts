import { TimeoutError } from './errors.js';
import type { CallContext } from './types.js';

/** setTimeout's limit: a larger delay fires at once (with a TimeoutOverflowWarning). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Waits for `shared` (typically a connect other calls wait for too) on behalf of one call: gives up
 * for this call when its signal aborts or its deadline passes, without cancelling `shared` itself.
 * For pools, before they hand a session to a call.
 */
export function waitForCall<T>(shared: Promise<T>, ctx: CallContext, what: string): Promise<T> {
  const remaining = ctx.deadline - Date.now();
  if (remaining <= 0) return Promise.reject(outOfTime(ctx, what));
  const signal = ctx.signal;
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      done();
      reject(signal!.reason);
    };
    const timer = setTimeout(
      () => {
        done();
        reject(outOfTime(ctx, what));
      },
      Math.min(remaining, MAX_TIMER_MS),
    );
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    shared.then(
      (value) => {
        done();
        resolve(value);
      },
      (error: unknown) => {
        done();
        reject(error);
      },
    );
  });
}

function outOfTime(ctx: CallContext, what: string): TimeoutError {
  return new TimeoutError(`${what} was not ready before the call's time ran out`, {
    data: { server: ctx.server, method: ctx.method, sent: false },
  });
}
