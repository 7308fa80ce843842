import { ALL_KINDS } from './catalog-sync.js';
import { errorMessage } from './helpers.js';
import type { HostCore } from './host-core.js';
import type { UpstreamConfig } from './upstream-types.js';
import type { CatalogSnapshotStore, ServerSnapshot } from './catalog-snapshot-store.js';

// A gateway restarted by a desktop client lists every server's tools at once, even those of a
// server that takes seconds to start: the lists it saw last time are kept (by a store the host is
// given) and served, marked `stale`, until the server lists for real. A real list that differs
// replaces them and is announced (`catalog:changed` → `list_changed`), as any list change is.

/** Longest wait for the store at start: a slow disk must not cost more than the snapshot saves. */
const LOAD_BUDGET_MS = 250;
/** How long closing waits for snapshot writes in flight. */
const CLOSE_BUDGET_MS = 1_000;
/** Saves of one server after its lists change are batched this long. */
const SAVE_DELAY_MS = 1_000;

const configsOf = (s: HostCore, server: string): UpstreamConfig[] => (s.upstreams.get(server) ?? []).map((u) => u.config);

/** Loads the snapshot of every configured server (at most {@link LOAD_BUDGET_MS}); a store that fails is reported, never fatal. */
export async function loadSnapshots(s: HostCore, store: CatalogSnapshotStore): Promise<Map<string, ServerSnapshot>> {
  const found = new Map<string, ServerSnapshot>();
  const loads = [...s.upstreams.keys()].map(async (server) => {
    try {
      const snapshot = await store.load(server, configsOf(s, server));
      if (snapshot) found.set(server, snapshot);
    } catch (error) {
      s.onError(new Error(`catalog snapshot of ${server} could not be read: ${errorMessage(error)}`, { cause: error }));
    }
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([Promise.all(loads), new Promise<void>((resolve) => (timer = setTimeout(resolve, LOAD_BUDGET_MS)))]);
  clearTimeout(timer);
  return new Map(found);
}

/** Puts the snapshots' lists in the catalog of servers still starting; lists then do not wait for those servers. */
export function seedSnapshots(s: HostCore, snapshots: ReadonlyMap<string, ServerSnapshot>): void {
  for (const [server, snapshot] of snapshots) {
    if (!s.upstreams.has(server)) continue;
    for (const kind of ALL_KINDS) {
      const items = snapshot.lists[kind];
      if (Array.isArray(items)) s.sync.seed(server, kind, items, snapshot.savedAt);
    }
    s.watch.markSeeded(server);
  }
}

/**
 * Saves a server's lists once its first listing succeeded, and again (batched) when they change.
 * Lists that failed are not saved: the last good snapshot stays. Returns the stop function.
 */
export function keepSnapshots(s: HostCore, store: CatalogSnapshotStore): () => Promise<void> {
  const timers = new Map<string, ReturnType<typeof setTimeout>>();
  const writing = new Set<Promise<void>>();
  const save = (server: string): void => {
    timers.delete(server);
    if (!s.upstreams.has(server) || s.watch.isStarting(server)) return;
    const lists: ServerSnapshot['lists'] = {};
    for (const kind of ALL_KINDS) {
      if (s.catalog.fetchStatus(server, kind)?.status !== 'ok') return;
      const raw = s.sync.rawList(server, kind);
      if (raw === undefined) return;
      lists[kind] = raw;
    }
    const write = store
      .save(server, configsOf(s, server), { savedAt: Date.now(), lists })
      .catch((error: unknown) => s.onError(new Error(`catalog snapshot of ${server} could not be saved: ${errorMessage(error)}`)))
      .finally(() => writing.delete(write));
    writing.add(write);
  };
  const schedule = (server: string): void => {
    if (timers.has(server)) return;
    const timer = setTimeout(() => save(server), SAVE_DELAY_MS);
    timer.unref?.();
    timers.set(server, timer);
  };
  // At once when a server first listed: a desktop client often ends the gateway a moment later.
  const offStarted = s.events.on('server:started', ({ server, ok }) => {
    if (ok) save(server);
  });
  const offChanged = s.events.on('catalog:changed', ({ server }) => schedule(server));
  return async () => {
    offStarted();
    offChanged();
    // Saves still waiting are made now, and every write in flight may finish (within a bound): a
    // gateway that stops right after its servers listed still leaves their snapshots.
    for (const [server, timer] of timers) {
      clearTimeout(timer);
      save(server);
    }
    let bound: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([Promise.all(writing), new Promise<void>((resolve) => (bound = setTimeout(resolve, CLOSE_BUDGET_MS)))]);
    clearTimeout(bound);
  };
}
