import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';

/**
 * One child process, two clients in turn: the `server/discover` probe (SDK v2 client), then, when the
 * server is a 2025 one, `initialize` (SDK 1.x client) on the same pipe. The SDK's own `auto` mode
 * spawns a disposable sibling for the probe instead; a stdio server's cold start (often `npx`, seconds)
 * is the expensive part, so mcp-bridge pays it once. A server that exits on the unknown request
 * is then spawned afresh (see `negotiate`).
 */
export interface InPlaceProbe {
  /** The transport to probe with: its `close()` leaves the process running while the probe decides. */
  readonly probe: Transport;
  /** The probe chose the modern era: from now on closing the probe's transport ends the process. */
  keep(): void;
  /** The probe failed: detach the v2 client and hand the started process to a 2025 client (its `start()` is a no-op). */
  handOver(): Transport;
}

/** A transport over `real` with its own `start` and `close`; handlers and sends go to `real`. */
function viewOf(real: Transport, start: () => Promise<void>, close: () => Promise<void>): Transport {
  return {
    start,
    close,
    send: (message, options) => real.send(message, options),
    get onmessage() {
      return real.onmessage;
    },
    set onmessage(handler) {
      real.onmessage = handler;
    },
    get onclose() {
      return real.onclose;
    },
    set onclose(handler) {
      real.onclose = handler;
    },
    get onerror() {
      return real.onerror;
    },
    set onerror(handler) {
      real.onerror = handler;
    },
  };
}

/** Wraps a not yet started stdio transport for a probe that may hand the process over (see {@link InPlaceProbe}). */
export function probeInPlace(real: Transport): InPlaceProbe {
  let probing = true;
  // What the transport reported while the probe ran (stdout lines that are not JSON-RPC, printed at
  // start): the 2025 client that takes the process over hears them too, as it would have without a probe.
  const reported: Error[] = [];
  const probe = viewOf(
    real,
    () => real.start(),
    () => (probing ? Promise.resolve() : real.close()),
  );
  Object.defineProperty(probe, 'onerror', {
    get: () => real.onerror,
    set(handler: Transport['onerror']) {
      real.onerror = (error) => {
        if (probing) reported.push(error);
        handler?.(error);
      };
    },
  });
  return {
    probe,
    keep: () => {
      probing = false;
      reported.length = 0;
    },
    handOver: () => {
      probing = false;
      real.onmessage = undefined;
      real.onerror = undefined;
      real.onclose = undefined;
      const view = viewOf(
        real,
        () => Promise.resolve(),
        () => real.close(),
      );
      Object.defineProperty(view, 'onerror', {
        get: () => real.onerror,
        set(handler: Transport['onerror']) {
          real.onerror = handler;
          for (const error of reported.splice(0)) handler?.(error);
        },
      });
      return view;
    },
  };
}
