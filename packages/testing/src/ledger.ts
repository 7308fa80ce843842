import { waitUntil } from './wait-until.js';

/** How one execution of a tool ended. `cancelled` means the request's abort signal fired first. */
export type ExecutionOutcome = 'ok' | 'error' | 'cancelled';

/** Counters for one tool. `error` covers both `isError` results and thrown (JSON-RPC) errors. */
export interface ToolTally {
  /** Executions started (the handler ran). */
  calls: number;
  /** Ended with a result that is not `isError`. */
  ok: number;
  /** Ended with an `isError` result or a thrown error. */
  errors: number;
  /** Ended because the request was cancelled or the connection closed. */
  cancelled: number;
  /** Executions running right now. */
  inFlight: number;
  /** Highest `inFlight` seen since creation or the last `reset()`. */
  maxInFlight: number;
}

/** Options of {@link TestLedger.waitFor}. */
export interface WaitForOptions {
  /** Give up after this long. Default 5000 ms. */
  timeoutMs?: number;
}

const emptyTally = (): ToolTally => ({ calls: 0, ok: 0, errors: 0, cancelled: 0, inFlight: 0, maxInFlight: 0 });

/**
 * Counts tool executions on the server side, so tests can assert what really reached a server:
 * how often a retried call executed, whether a cancellation arrived, how many calls ran at once.
 * Keyed by the tool name the client called (prefix included). Counters only, so it stays cheap under
 * benchmarks. A stdio child's ledger is readable through the `test://{name}/ledger` resource.
 *
 * @example
 * const server = createTestServer();
 * // ... call `slow` and abort it ...
 * await getLedger(server).waitFor((l) => l.tally('slow').cancelled === 1);
 */
export class TestLedger {
  readonly #tallies = new Map<string, ToolTally>();
  readonly #listeners = new Set<() => void>();

  /** A copy of one tool's counters (all zero if it never ran). */
  tally(tool: string): ToolTally {
    const t = this.#tallies.get(tool);
    return t ? { ...t } : emptyTally();
  }

  /** Executions started for `tool`. */
  calls(tool: string): number {
    return this.#tallies.get(tool)?.calls ?? 0;
  }

  /** Executions of `tool` that ended because their request was cancelled (or the connection closed). */
  cancelled(tool: string): number {
    return this.#tallies.get(tool)?.cancelled ?? 0;
  }

  /** Executions started, over every tool. */
  get totalCalls(): number {
    let n = 0;
    for (const t of this.#tallies.values()) n += t.calls;
    return n;
  }

  /** A JSON-ready copy of every tool's counters. */
  snapshot(): Record<string, ToolTally> {
    const out: Record<string, ToolTally> = {};
    for (const [tool, t] of this.#tallies) out[tool] = { ...t };
    return out;
  }

  /** Same as {@link snapshot}, so `JSON.stringify(ledger)` works. */
  toJSON(): Record<string, ToolTally> {
    return this.snapshot();
  }

  /** Forgets every counter. Executions still running are counted again from here. */
  reset(): void {
    for (const [tool, t] of this.#tallies) {
      if (t.inFlight === 0) this.#tallies.delete(tool);
      else this.#tallies.set(tool, { ...emptyTally(), inFlight: t.inFlight, maxInFlight: t.inFlight });
    }
    this.#notify();
  }

  /**
   * Resolves once `predicate(this)` holds, checked now and after every change; rejects after
   * `timeoutMs`. Server-side effects of cancellation arrive asynchronously, hence this.
   */
  waitFor(predicate: (ledger: TestLedger) => boolean, options: WaitForOptions = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? 5000;
    return waitUntil(
      this.#listeners,
      () => predicate(this),
      timeoutMs,
      () => `ledger condition not met within ${timeoutMs} ms: ${JSON.stringify(this)}`,
    );
  }

  /**
   * Records the start of an execution and returns the function that records its end.
   * Used by the test server's tools; exposed for custom tools registered on a test server.
   */
  begin(tool: string): (outcome: ExecutionOutcome) => void {
    let t = this.#tallies.get(tool);
    if (!t) {
      t = emptyTally();
      this.#tallies.set(tool, t);
    }
    t.calls++;
    t.inFlight++;
    if (t.inFlight > t.maxInFlight) t.maxInFlight = t.inFlight;
    this.#notify();
    let ended = false;
    return (outcome) => {
      if (ended) return;
      ended = true;
      // After reset() the entry may have been replaced: count the end on whatever is current.
      const current = this.#tallies.get(tool) ?? emptyTally();
      this.#tallies.set(tool, current);
      current.inFlight = Math.max(0, current.inFlight - 1);
      if (outcome === 'ok') current.ok++;
      else if (outcome === 'error') current.errors++;
      else current.cancelled++;
      this.#notify();
    };
  }

  #notify(): void {
    if (this.#listeners.size === 0) return;
    for (const listener of [...this.#listeners]) listener();
  }
}
