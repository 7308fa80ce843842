/**
 * Resolves once `holds()` is true, checked now and each time one of `listeners` is called (the
 * owner calls them on every change); rejects with `what()` in the message after `timeoutMs`.
 */
export function waitUntil(listeners: Set<() => void>, holds: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  if (holds()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (!holds()) return;
      cleanup();
      resolve();
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`[mcp-bridge] [@mcp-bridge/testing] ${what()}`));
    }, timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      listeners.delete(check);
    };
    listeners.add(check);
  });
}
