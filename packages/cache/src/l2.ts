import { Keyv } from 'keyv';
import type { KeyvLikeStore } from './options.js';

/** One L2 operation that failed or gave up. */
export interface L2Failure {
  operation: 'get' | 'set' | 'delete';
  error: Error;
  timedOut: boolean;
  /** How long the operation ran before it failed or was given up, in ms. */
  durationMs: number;
}

/** What the L2 sees of a node-redis client: whether it is connected, and when it gets there. */
interface ReadinessClient {
  isReady: boolean;
  once(event: 'ready', listener: () => void): unknown;
  off?(event: 'ready', listener: () => void): unknown;
}

/** Settings of {@link L2}. */
export interface L2Options {
  /** Each operation gives up after this many ms. */
  timeout: number;
  /** Failures in a row before L2 is skipped for `pauseMs`. */
  pauseAfterFailures: number;
  pauseMs: number;
  now: () => number;
  onFailure: (failure: L2Failure) => void;
}

/** A Map that keeps at most `max` entries, dropping the oldest: the default in-process keyv store must not grow without bound. */
export class BoundedMap<V> extends Map<string, V> {
  readonly #max: number;
  constructor(max: number) {
    super();
    this.#max = max;
  }
  override set(key: string, value: V): this {
    if (!this.has(key) && this.size >= this.#max) {
      const oldest = this.keys().next();
      if (!oldest.done) this.delete(oldest.value);
    }
    return super.set(key, value);
  }
}

/** Whether a value is a Keyv instance (of any copy of keyv), rather than a store to wrap. */
function isKeyv(store: KeyvLikeStore): store is Keyv {
  return store instanceof Keyv || (typeof (store as { hooks?: unknown }).hooks === 'object' && 'opts' in store && 'store' in store);
}

/**
 * The second level: a keyv instance behind a fail-open guard. Every operation races a timer and
 * resolves `undefined` when the store fails or is slow (a Redis that is down, blackholed or busy
 * never fails or stalls a call); after `pauseAfterFailures` failures in a row the store is skipped
 * for `pauseMs`, then probed again by the next operation. Failures are reported, never thrown.
 */
export class L2 {
  readonly keyv: Keyv;
  readonly #options: L2Options;
  /** The adapter under keyv (disconnected directly: keyv's own disconnect cannot force). */
  readonly #store: { disconnect?: (force?: boolean) => Promise<void> };
  /** A node-redis style client under the adapter (`@keyv/redis`), whose readiness we can see. */
  readonly #client: ReadinessClient | undefined;
  readonly #pending = new Set<Promise<unknown>>();
  #failures = 0;
  #pausedUntil = 0;
  errors = 0;
  timeouts = 0;
  skipped = 0;

  constructor(store: KeyvLikeStore, options: L2Options) {
    this.#options = options;
    // Our keys carry their own namespace; keyv must not prefix them again (that would also differ
    // between a Keyv the user built and one built here).
    this.keyv = isKeyv(store) ? store : new Keyv({ store, useKeyPrefix: false, namespace: '', throwOnErrors: true, emitErrors: true });
    this.#store = this.keyv.store as { disconnect?: (force?: boolean) => Promise<void> };
    const client = (this.#store as { client?: Partial<ReadinessClient> }).client;
    this.#client = typeof client?.isReady === 'boolean' && typeof client.once === 'function' ? (client as ReadinessClient) : undefined;
    // keyv and its adapters emit 'error' events (connection lost, reconnect failed); an unheard
    // 'error' would be thrown by the emitter. The operation that failed is reported on its own.
    this.keyv.on('error', () => undefined);
  }

  /** True while L2 is skipped after repeated failures. */
  get paused(): boolean {
    return this.#failures >= this.#options.pauseAfterFailures && this.#options.now() < this.#pausedUntil;
  }

  /**
   * Waits (at most `timeoutMs`) until a store with a visible connection is ready: at start, so the
   * first calls of a new gateway instance can already use it. Stores without one are ready at once.
   */
  async ready(timeoutMs: number): Promise<boolean> {
    const client = this.#client;
    if (client === undefined || client.isReady) return true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onReady: (() => void) | undefined;
    await new Promise<void>((resolve) => {
      onReady = resolve;
      client.once('ready', onReady);
      timer = setTimeout(resolve, timeoutMs);
    });
    clearTimeout(timer);
    client.off?.('ready', onReady!);
    return client.isReady;
  }

  get(key: string): Promise<unknown> {
    return this.#run('get', () => this.keyv.get(key));
  }

  /** Writes in the background; `settled()` waits for writes in flight. */
  set(key: string, value: unknown, ttl: number): void {
    this.#track(this.#run('set', () => this.keyv.set(key, value, ttl)));
  }

  delete(key: string): void {
    this.#track(this.#run('delete', () => this.keyv.delete(key)));
  }

  /** Resolves when every background write started so far has ended (each within the timeout). */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }

  /**
   * Disconnects the store when it supports it: forced (`@keyv/redis` then destroys its client at
   * once instead of waiting for a server that may be gone), within the operation timeout.
   */
  async disconnect(): Promise<void> {
    await this.settled();
    const store = this.#store;
    if (typeof store.disconnect !== 'function') return;
    this.#failures = 0;
    await this.#run('delete', () => store.disconnect!(true));
  }

  #track(p: Promise<unknown>): void {
    this.#pending.add(p);
    void p.then(() => this.#pending.delete(p));
  }

  #run<T>(operation: L2Failure['operation'], op: () => Promise<T>): Promise<T | undefined> {
    // Not connected (connecting, or reconnecting after a drop): nothing to wait for, no command sent.
    if (this.paused || this.#client?.isReady === false) {
      this.skipped++;
      return Promise.resolve(undefined);
    }
    const started = performance.now();
    return new Promise<T | undefined>((resolve) => {
      let done = false;
      const timer = setTimeout(() => {
        if (done) return;
        done = true;
        this.timeouts++;
        this.#failed({
          operation,
          error: new Error(`the cache store did not answer ${operation} within ${this.#options.timeout} ms`),
          timedOut: true,
          durationMs: performance.now() - started,
        });
        resolve(undefined);
      }, this.#options.timeout);
      timer.unref?.();
      let pending: Promise<T>;
      try {
        pending = op();
      } catch (error) {
        pending = Promise.reject(error);
      }
      pending.then(
        (value) => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          this.#failures = 0;
          resolve(value);
        },
        (error: unknown) => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          this.errors++;
          this.#failed({
            operation,
            error: error instanceof Error ? error : new Error(String(error)),
            timedOut: false,
            durationMs: performance.now() - started,
          });
          resolve(undefined);
        },
      );
    });
  }

  #failed(failure: L2Failure): void {
    this.#failures++;
    if (this.#failures >= this.#options.pauseAfterFailures) this.#pausedUntil = this.#options.now() + this.#options.pauseMs;
    this.#options.onFailure(failure);
  }
}
