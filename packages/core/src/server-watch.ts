import { MAX_TIMER_MS } from './call-wait.js';
import type { Catalog, ListKind } from './catalog.js';
import { ALL_KINDS } from './catalog-sync.js';

/** What the watch needs from the host. */
export interface ServerWatchHost {
  /** The catalog (created at boot, after the watch's host object). */
  catalog(): Catalog;
  /** The configured servers. */
  servers(): readonly string[];
  /** Lists kinds of one server (never rejects). */
  refresh(server: string, kinds?: readonly ListKind[]): Promise<void>;
  /** False once the server was removed or the bridge is closing. */
  live(server: string): boolean;
  /** The first listing of a server settled (listed, or failed). */
  started(server: string, durationMs: number): void;
  /** Background re-listing of servers whose listing failed; `undefined`: only on use (the library's default). */
  retry: { minMs: number; maxMs: number } | undefined;
}

interface Retry {
  failures: number;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * Tracks which servers are still starting (their first listing has not settled), lets calls wait
 * for servers that are not listed yet, and, when asked, re-lists failed servers in the background
 * with backoff, so a server that was down at start joins the catalog without anyone listing.
 */
export class ServerWatch {
  readonly #host: ServerWatchHost;
  readonly #starting = new Map<string, Promise<void>>();
  readonly #retries = new Map<string, Retry>();
  /** Starting servers whose lists came from a snapshot: lists do not wait for them. */
  readonly #seeded = new Set<string>();
  #closed = false;
  #graceUntil = 0;

  constructor(host: ServerWatchHost) {
    this.#host = host;
  }

  /** Lists a server for the first time; it is `starting` until that settles. Never rejects. */
  begin(server: string): Promise<void> {
    const started = performance.now();
    const first: Promise<void> = this.#host.refresh(server).then(() => {
      if (this.#starting.get(server) !== first) return;
      this.#starting.delete(server);
      this.#seeded.delete(server);
      if (!this.#host.live(server)) return;
      this.#host.started(server, performance.now() - started);
      this.settled(server);
    });
    this.#starting.set(server, first);
    return first;
  }

  /** Lists wait (see {@link ServerWatch.awaitGrace}) until `ms` from now for servers still starting. */
  setGrace(ms: number): void {
    this.#graceUntil = Date.now() + ms;
  }

  /**
   * Within the grace period after start, waits for the servers still starting (until the period
   * ends): a client that lists right after connecting sees the servers that come up quickly, and
   * only the slow ones join later with `list_changed`.
   */
  async awaitGrace(): Promise<void> {
    if (this.#starting.size === 0 || Date.now() >= this.#graceUntil) return;
    const unseeded = [...this.#starting].filter(([server]) => !this.#seeded.has(server)).map(([, first]) => first);
    if (unseeded.length > 0) await within(Promise.all(unseeded), this.#graceUntil, undefined);
  }

  /** The server's lists came from a snapshot (see `catalog-snapshot.ts`): lists answer without waiting for it. */
  markSeeded(server: string): void {
    this.#seeded.add(server);
  }

  /** True while the server's first listing runs. */
  isStarting(server: string): boolean {
    return this.#starting.has(server);
  }

  /** Servers whose first listing runs, in config order. */
  starting(): string[] {
    return this.#host.servers().filter((s) => this.#starting.has(s));
  }

  /** A listing of the server ended: schedules a background re-list while some kind failed (when enabled). */
  settled(server: string): void {
    const retry = this.#host.retry;
    if (!retry || this.#closed || this.#starting.has(server) || !this.#host.live(server)) return;
    const catalog = this.#host.catalog();
    const failed = ALL_KINDS.some((kind) => {
      const status = catalog.fetchStatus(server, kind)?.status;
      return status !== undefined && status !== 'ok' && status !== 'pending';
    });
    const state = this.#retries.get(server);
    if (!failed) {
      if (state?.timer) clearTimeout(state.timer);
      this.#retries.delete(server);
      return;
    }
    if (state?.timer) return;
    const next: Retry = state ?? { failures: 0, timer: undefined };
    next.failures++;
    // A little later than the pool's own backoff (same schedule): a timer may fire a millisecond
    // early by Date.now(), and a pool still backing off would refuse the reconnect.
    const delay = Math.min(retry.maxMs, retry.minMs * 2 ** Math.min(next.failures - 1, 30), MAX_TIMER_MS - 50) + 50;
    next.timer = setTimeout(() => {
      next.timer = undefined;
      if (!this.#closed && this.#host.live(server)) void this.#host.refresh(server);
    }, delay);
    // A background retry must not keep a library user's process alive.
    next.timer.unref?.();
    this.#retries.set(server, next);
  }

  /**
   * Waits, until `deadline` at most, for the servers whose `kind` list is not listed: the first
   * listing of a starting server, a fresh one of a server whose listing failed; stops early once
   * `found()` holds (the name looked for arrived). Resolves false when every server was listed
   * already (nothing to wait for). Rejects with the signal's reason on abort.
   */
  async awaitUnlisted(kind: ListKind, deadline: number, signal: AbortSignal | undefined, found: () => boolean): Promise<boolean> {
    const catalog = this.#host.catalog();
    const servers = this.#host.servers().filter((s) => catalog.fetchStatus(s, kind)?.status !== 'ok');
    if (servers.length === 0) return false;
    let hit!: () => void;
    const early = new Promise<void>((resolve) => (hit = resolve));
    const waits = servers.map((s) =>
      (this.#starting.get(s) ?? this.#host.refresh(s, [kind])).then(() => {
        if (found()) hit();
      }),
    );
    await within(Promise.race([Promise.all(waits), early]), deadline, signal);
    return true;
  }

  /** Forgets a removed server. */
  forget(server: string): void {
    this.#starting.delete(server);
    this.#seeded.delete(server);
    const state = this.#retries.get(server);
    if (state?.timer) clearTimeout(state.timer);
    this.#retries.delete(server);
  }

  /** Stops every background retry. */
  close(): void {
    this.#closed = true;
    for (const state of this.#retries.values()) if (state.timer) clearTimeout(state.timer);
    this.#retries.clear();
  }
}

/** Waits for `promise` until `deadline` (resolves either way); rejects with the signal's reason on abort. */
function within(promise: Promise<unknown>, deadline: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason as Error);
  const remaining = deadline - Date.now();
  if (remaining <= 0) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = (): void => {
      done();
      reject(signal!.reason as Error);
    };
    const timer = setTimeout(
      () => {
        done();
        resolve();
      },
      Math.min(remaining, MAX_TIMER_MS),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
    promise.then(
      () => {
        done();
        resolve();
      },
      () => {
        done();
        resolve();
      },
    );
  });
}
