/**
 * Waits `ms`, or rejects as soon as `signal` aborts. Clears its timer either way, so a cancelled
 * `slow` call never keeps a process (or a vitest worker) alive.
 */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(cancelledError());
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(cancelledError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function cancelledError(): Error {
  return new Error('[mcp-bridge] [@mcp-bridge/testing] request cancelled');
}
