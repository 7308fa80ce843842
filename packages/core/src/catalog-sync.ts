import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import type { Prompt } from '@modelcontextprotocol/sdk/types.js';
import type { Catalog, ListKind } from './catalog.js';
import { BridgeError } from './errors.js';
import { checkListItems, type ListItemWarning } from './list-items.js';
import { failureOf, type FailureVerdict } from './failure.js';
import type { McpMethod, ServerListStatus, Upstream } from './types.js';

/** Every kind of list a server contributes. */
export const ALL_KINDS: readonly ListKind[] = ['tools', 'prompts', 'resources', 'templates'];

const LIST_METHODS: Record<ListKind, { method: McpMethod; field: string; capability: 'tools' | 'prompts' | 'resources' }> = {
  tools: { method: 'tools/list', field: 'tools', capability: 'tools' },
  prompts: { method: 'prompts/list', field: 'prompts', capability: 'prompts' },
  resources: { method: 'resources/list', field: 'resources', capability: 'resources' },
  templates: { method: 'resources/templates/list', field: 'resourceTemplates', capability: 'resources' },
};

/** A list is fetched at most this many pages per refresh (a cursor that never ends is an upstream bug). */
const MAX_LIST_PAGES = 1000;

/** What the sync needs from the host. */
export interface CatalogSyncHost {
  readonly catalog: Catalog;
  /** Connects some upstream of the server (capabilities are then known) and returns it. */
  warm(server: string): Promise<Upstream>;
  /** Sends one of the host's own list requests through the pipeline. */
  list(server: string, method: McpMethod, params: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** False once the bridge is closing: late results are dropped. */
  live(): boolean;
  /** One server's list of one kind changed. */
  changed(server: string, kind: 'tools' | 'prompts' | 'resources'): void;
  /** An entry of a server's list was repaired or dropped. */
  warn(server: string, warning: ListItemWarning): void;
  /** Errors nobody awaits (a namer that threw while applying a list). */
  onError(error: unknown): void;
  /** A fetch of one kind of the server ended, listed or failed (for background re-listing). */
  settled?(server: string): void;
}

interface Flight {
  promise: Promise<void>;
  again: boolean;
}

/**
 * Keeps the catalog in step with the upstreams. One fetch at a time per server and kind, so an
 * older answer can never overwrite a newer one; a request for a refresh while one runs makes it run
 * once more when it ends (coalescing any number of `list_changed` and `listTools()` calls).
 * `catalog:changed` is reported only when a list really changed.
 */
export class CatalogSync {
  readonly #host: CatalogSyncHost;
  readonly #flights = new Map<string, Flight>();
  readonly #fingerprints = new Map<string, string>();
  /** Bumped when a server is removed: fetches that started before are dropped when they land. */
  readonly #generations = new Map<string, number>();

  constructor(host: CatalogSyncHost) {
    this.#host = host;
  }

  /** Refresh `kinds` of one server; resolves when the catalog reflects a fetch started after this call. Never rejects. */
  async refresh(server: string, kinds: readonly ListKind[] = ALL_KINDS): Promise<void> {
    await Promise.all(kinds.map((kind) => this.#refreshKind(server, kind)));
  }

  /**
   * Refresh the kinds of one server that are not being fetched right now. For a reconnect: when a
   * fetch caused the reconnect, asking it to run again could loop on a server that dies on list.
   */
  refreshIdle(server: string): Promise<void> {
    return this.refresh(
      server,
      ALL_KINDS.filter((kind) => !this.#flights.has(`${server}\u0000${kind}`)),
    );
  }

  /** Every refresh in flight (for a clean close). */
  inFlight(): Promise<void>[] {
    return [...this.#flights.values()].map((f) => f.promise);
  }

  /** Forget a removed server's fingerprints. */
  forget(server: string): void {
    for (const kind of ALL_KINDS) this.#fingerprints.delete(`${server}\u0000${kind}`);
    this.#generations.set(server, (this.#generations.get(server) ?? 0) + 1);
  }

  /**
   * Lists of a server still starting, from a snapshot of an earlier run (`catalog-snapshot.ts`):
   * in the catalog at once, marked stale, and not announced. The server's first real list replaces
   * them and is announced only when it differs.
   */
  seed(server: string, kind: ListKind, raw: unknown[], savedAt: number): void {
    const key = `${server}\u0000${kind}`;
    if (this.#fingerprints.has(key)) return;
    const { items } = checkListItems(kind, raw);
    try {
      this.#host.catalog.setList(server, kind as 'prompts', items as Prompt[]);
    } catch (error) {
      this.#host.onError(error);
      return;
    }
    this.#host.catalog.setFailed(server, kind, {
      status: 'stale',
      code: 'SNAPSHOT',
      error: `listed from the snapshot of ${new Date(savedAt).toISOString()}: the server is still starting`,
    });
    this.#fingerprints.set(key, JSON.stringify(raw));
  }

  /** The items of a server's list as it last sent them (for snapshots); undefined before its first list. */
  rawList(server: string, kind: ListKind): unknown[] | undefined {
    const fingerprint = this.#fingerprints.get(`${server}\u0000${kind}`);
    return fingerprint === undefined ? undefined : (JSON.parse(fingerprint) as unknown[]);
  }

  #refreshKind(server: string, kind: ListKind): Promise<void> {
    const key = `${server}\u0000${kind}`;
    const running = this.#flights.get(key);
    if (running) {
      running.again = true;
      return running.promise;
    }
    const flight: Flight = { promise: Promise.resolve(), again: false };
    flight.promise = (async () => {
      try {
        do {
          flight.again = false;
          await this.#fetch(server, kind);
        } while (flight.again && this.#host.live());
      } finally {
        this.#flights.delete(key);
        this.#host.settled?.(server);
      }
    })();
    this.#flights.set(key, flight);
    return flight.promise;
  }

  async #fetch(server: string, kind: ListKind): Promise<void> {
    const { catalog } = this.#host;
    const spec = LIST_METHODS[kind];
    const generation = this.#generations.get(server) ?? 0;
    const current = (): boolean => (this.#generations.get(server) ?? 0) === generation && this.#host.live();
    let upstream: Upstream;
    try {
      upstream = await this.#host.warm(server);
    } catch (error) {
      if (current()) catalog.setFailed(server, kind, failureStatus(error));
      return;
    }
    if (!current()) return;
    // Known capabilities decide; unknown ones (a pool that connects lazily) mean "ask and see".
    if (upstream.capabilities && !upstream.capabilities[spec.capability]) {
      this.#apply(server, kind, []);
      return;
    }
    const items: unknown[] = [];
    try {
      const seen = new Set<string>();
      let cursor: string | undefined;
      for (let page = 0; page < MAX_LIST_PAGES; page++) {
        const result = await this.#host.list(server, spec.method, cursor ? { cursor } : {});
        const pageItems = result[spec.field];
        if (Array.isArray(pageItems)) items.push(...(pageItems as unknown[]));
        cursor = typeof result.nextCursor === 'string' && result.nextCursor ? result.nextCursor : undefined;
        if (!cursor || seen.has(cursor)) break;
        seen.add(cursor);
      }
    } catch (error) {
      // A server that says it has resources but no templates answers -32601: that is an empty list.
      if (!current()) return;
      if (error instanceof McpError && error.code === (ErrorCode.MethodNotFound as number)) {
        this.#apply(server, kind, []);
        return;
      }
      catalog.setFailed(server, kind, failureStatus(error));
      return;
    }
    if (current()) this.#apply(server, kind, items);
  }

  #apply(server: string, kind: ListKind, raw: unknown[]): void {
    const key = `${server}\u0000${kind}`;
    // The fingerprint is of what the server sent, so warnings are reported once per change, not per refresh.
    const fingerprint = JSON.stringify(raw);
    const { items, warnings } = checkListItems(kind, raw);
    // A server that never listed contributed nothing: an empty first list is no change.
    const before = this.#fingerprints.get(key) ?? '[]';
    try {
      this.#host.catalog.setList(server, kind as 'prompts', items as Prompt[]);
    } catch (error) {
      // A namer plugin that throws must not become an unhandled rejection of a background refresh.
      this.#host.catalog.setFailed(server, kind, failureStatus(error));
      this.#host.onError(error);
      return;
    }
    this.#fingerprints.set(key, fingerprint);
    if (before === fingerprint) return;
    for (const warning of warnings) this.#host.warn(server, warning);
    this.#host.changed(server, kind === 'templates' ? 'resources' : kind);
  }
}

/** How a failed fetch is reported in `_meta['mcp-bridge/servers']`. */
export function failureStatus(error: unknown): ServerListStatus {
  const code = BridgeError.isInstance(error) ? (error as BridgeError).code : error instanceof McpError ? `JSONRPC_${error.code}` : 'ERROR';
  const status = listStatusOf(failureOf(error));
  return { status, code, error: error instanceof Error ? error.message : String(error) };
}

/** A list's status from the failure's verdict: out of time, unreachable, refused by an open breaker, or any other error. */
function listStatusOf(verdict: FailureVerdict): ServerListStatus['status'] {
  if (verdict.kind === 'timeout' || verdict.reason === 'deadline') return 'timeout';
  if (verdict.kind === 'unreachable') return 'unavailable';
  return verdict.reason === 'circuit-open' ? 'circuit-open' : 'error';
}
