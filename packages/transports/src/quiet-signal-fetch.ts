// The SDK 1.x HTTP transports (Streamable HTTP, legacy SSE) give every fetch the one abort signal of the
// transport's lifetime. Node's fetch (undici) adds an abort listener to that signal per request and
// removes it only once the request is garbage-collected; it raises the signal's listener limit to 1500,
// and past that Node emits a MaxListenersExceededWarning, with a stack trace, for every further request.
// Under load a gateway over a 2025 upstream printed tens of thousands of them (63,765 in one
// `pnpm bench gateway` run), paying for each on the call path. The listeners stay bounded by the garbage
// collector; only the warning goes: the transport's signal gets no listener limit. The SDK v2 transport
// gives each request a signal of its own and needs none of this.

/** The fetch shape the SDK transports take (`FetchLike`). */
type Fetch = (url: string | URL, init?: RequestInit) => Promise<Response>;
type EventsModule = { setMaxListeners(n: number, ...targets: EventTarget[]): void };
type WithBuiltins = { process?: { getBuiltinModule?: (id: string) => unknown } };

// Not imported: the root entry must load where `node:events` does not exist (there, no undici, no warning).
const events = (globalThis as WithBuiltins).process?.getBuiltinModule?.('node:events') as EventsModule | undefined;

const unlimited = new WeakSet<AbortSignal>();

/**
 * `base` (or the global `fetch`, looked up per call) lifting the listener limit of each signal it is
 * given, once; `base` itself where that cannot be done (no `node:events`).
 */
export function fetchWithoutListenerLimit(base: Fetch | undefined): Fetch | undefined {
  if (events === undefined) return base;
  return (url, init) => {
    const signal = init?.signal;
    if (signal && !unlimited.has(signal)) {
      unlimited.add(signal);
      events.setMaxListeners(0, signal);
    }
    return (base ?? fetch)(url, init);
  };
}
