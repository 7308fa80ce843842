import { TimeoutError, type CallContext } from '@mcp-bridge/core';
import { deepFreeze } from './entry.js';

const PLUGIN = '@mcp-bridge/cache';

/** A caller waiting on a flight without a timer of its own yet: its deadline is the flight's latest. */
interface Waiter {
  deadline: number;
  /** Starts the caller's own timer (a later caller moved the flight's deadline past this one's). */
  arm(): void;
}

/** One upstream call (or L2 read) shared by every identical miss that arrives while it runs. */
export interface Flight {
  promise: Promise<unknown>;
  key: string;
  server: string;
  method: string;
  sub: string | undefined;
  /** The latest deadline among the callers waiting: the shared call runs until then (`ctx.deadline` of the fill). */
  deadline: number;
  /** The context the shared call runs with (the first caller's): its deadline is moved when a later caller joins. */
  ctx: CallContext;
  /** Callers whose deadline is the flight's and so have no timer; armed when a later caller extends it. */
  untimed: Set<Waiter>;
  /** Aborts the shared call; only made when the first caller had a signal. */
  controller: AbortController | undefined;
  /** Callers with a signal still waiting. */
  active: number;
  /** A caller without a signal waits: the call runs to the end whatever the others do. */
  pinned: boolean;
}

/**
 * Single flight: concurrent identical misses share one call. Each caller waits with its own signal
 * and deadline; the shared call is cancelled only when every caller with a signal has left, and
 * runs until the latest deadline among them. Errors are shared, never cached (that is the
 * caller's business).
 */
export class Flights {
  readonly #flights = new Map<string, Flight>();

  /** The flight for `key` a new caller may join: not one being cancelled. */
  joinable(key: string): Flight | undefined {
    const flight = this.#flights.get(key);
    return flight !== undefined && flight.controller?.signal.aborted !== true ? flight : undefined;
  }

  /** True while a call for `key` is in flight (cancelled or not). */
  has(key: string): boolean {
    return this.#flights.has(key);
  }

  /**
   * Starts the shared call `fill` for `key` with `ctx` (whose signal is replaced by the flight's
   * own when it had one). What it resolves with is frozen: every caller gets the same object.
   */
  start(
    ctx: CallContext,
    key: string,
    server: string,
    method: string,
    sub: string | undefined,
    fill: (flight: Flight) => Promise<unknown>,
  ): Flight {
    const flight: Flight = {
      promise: undefined as unknown as Promise<unknown>,
      key,
      server,
      method,
      sub,
      deadline: ctx.deadline,
      ctx,
      untimed: new Set(),
      controller: undefined,
      active: 0,
      pinned: false,
    };
    if (ctx.signal !== undefined) {
      // The shared call is cancelled only when every caller waiting on it has cancelled.
      flight.controller = new AbortController();
      ctx.signal = flight.controller.signal;
    }
    this.#flights.set(key, flight);
    // Every caller waiting gets the same object: frozen, like an L1 hit, whether or not it was cached
    // (l1 off, too big, isError, not stored), so one caller cannot change what another sees.
    flight.promise = fill(flight).then((value) => {
      deepFreeze(value);
      return value;
    });
    // Every waiter handles the outcome; a refresh nobody waits for must not be an unhandled rejection.
    flight.promise.catch(() => undefined);
    return flight;
  }

  /** The flight settled: callers arriving from now on start a call of their own. */
  end(flight: Flight): void {
    if (this.#flights.get(flight.key) === flight) this.#flights.delete(flight.key);
  }

  /**
   * Waits on a flight for one caller, who may leave early: its signal, or its deadline when a
   * caller with a later one moved the flight's past it. A later deadline than the flight's extends
   * the shared call's (an attempt already sent keeps the time it was sent with).
   */
  join(flight: Flight, signal: AbortSignal | undefined, deadline: number): Promise<unknown> {
    if (signal?.aborted === true) return Promise.reject(signal.reason);
    if (deadline > flight.deadline) extend(flight, deadline);
    if (signal === undefined) flight.pinned = true;
    else flight.active++;
    return new Promise((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      let waiter: Waiter | undefined;
      const leave = (): void => {
        clearTimeout(timer);
        if (waiter !== undefined) flight.untimed.delete(waiter);
        if (signal === undefined) return;
        signal.removeEventListener('abort', onAbort);
        flight.active--;
      };
      const onAbort = (): void => {
        leave();
        reject(signal!.reason);
        if (flight.active === 0 && !flight.pinned) this.cancel(flight, signal!.reason);
      };
      const arm = (): void => {
        timer = setTimeout(
          () => {
            leave();
            reject(
              new TimeoutError(`a shared ${flight.method} call to server "${flight.server}" did not answer within this call's deadline`, {
                plugin: PLUGIN,
                data: { server: flight.server, method: flight.method },
              }),
            );
          },
          Math.max(0, deadline - Date.now()),
        );
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      if (deadline < flight.deadline) arm();
      else {
        // The shared call runs to this caller's deadline: it times out on its own, unless a later caller extends it.
        waiter = { deadline, arm };
        flight.untimed.add(waiter);
      }
      flight.promise.then(
        (value) => {
          leave();
          resolve(value);
        },
        (error: unknown) => {
          leave();
          reject(error);
        },
      );
    });
  }

  /** Cancels a shared call nobody waits for any more; a caller arriving next starts a call of its own instead of joining it. */
  cancel(flight: Flight, reason: unknown): void {
    if (flight.controller === undefined) return;
    flight.controller.abort(reason);
    this.end(flight);
  }

  /** Forgets the flights `matches` selects (invalidated: they are no longer joined). */
  forgetWhere(matches: (server: string, method: string, sub: string | undefined) => boolean): void {
    for (const [key, flight] of this.#flights) if (matches(flight.server, flight.method, flight.sub)) this.#flights.delete(key);
  }

  /** Forgets every flight (the calls themselves run on). */
  clear(): void {
    this.#flights.clear();
  }
}

/** Moves the shared call's deadline to `deadline`; callers whose deadline is now earlier get their own timer. */
function extend(flight: Flight, deadline: number): void {
  flight.deadline = deadline;
  flight.ctx.deadline = deadline;
  for (const waiter of flight.untimed) {
    if (waiter.deadline < deadline) {
      flight.untimed.delete(waiter);
      waiter.arm();
    }
  }
}
