import type { ListKind } from './catalog.js';
import type { UpstreamConfig } from './upstream-types.js';

// The store of core's catalog snapshot (catalog-snapshot.ts), apart so that config.ts can name it
// without importing the code that uses the host.

/** One server's lists as the server last sent them. */
export interface ServerSnapshot {
  /** When the lists were taken (epoch ms). */
  savedAt: number;
  /** The raw items of each kind, as the server sent them. */
  lists: Partial<Record<ListKind, unknown[]>>;
}

/**
 * Where snapshots are kept between runs. Keyed by the server's config: a store must miss when the
 * config changed (another command, URL or environment), so a snapshot never stands in for another server.
 * The CLI's store keeps files under the user's cache folder; a library user may keep them anywhere.
 */
export interface CatalogSnapshotStore {
  /** The snapshot of the server with these replica configs, or undefined (never taken, config changed, unreadable). */
  load(server: string, configs: readonly UpstreamConfig[]): Promise<ServerSnapshot | undefined>;
  /** Keeps the snapshot of the server with these replica configs. */
  save(server: string, configs: readonly UpstreamConfig[], snapshot: ServerSnapshot): Promise<void>;
}
