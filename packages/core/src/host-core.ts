import type { RegisteredListFilter, RegisteredListTransform, RegisteredPluginTool } from './boot.js';
import type { Catalog, ListKind } from './catalog.js';
import type { CatalogSync } from './catalog-sync.js';
import type { BridgeOptions, InvalidServer } from './config.js';
import { BridgeStateError, NotFoundError, PluginError } from './errors.js';
import { errorMessage } from './helpers.js';
import type { EventBus } from './events.js';
import type { CoreSteps, RegisteredMiddleware, Step } from './pipeline.js';
import type { BridgeState } from './plugin-api.js';
import type { RequestLimits } from './request-bounds.js';
import type { ServerWatch } from './server-watch.js';
import type { SessionLanes } from './session-lanes.js';
import type { Balancer, HealthPolicy, Pool, Upstream } from './types.js';

/**
 * The bridge's state, shared by the rooms the `Bridge` facade delegates to (upstreams.ts,
 * call-path.ts, lists.ts): plain functions taking it explicitly, so each room is a file of its own.
 */
export interface HostCore {
  readonly options: BridgeOptions<Readonly<Record<string, unknown>>>;
  readonly events: EventBus;
  readonly onError: (error: unknown) => void;
  readonly closeController: AbortController;
  readonly upstreams: Map<string, readonly Upstream[]>;
  readonly invalid: Map<string, InvalidServer>;
  readonly cleanups: { plugin: string; fn: () => void | Promise<void> }[];
  readonly compiled: Map<string, Step>;
  readonly requestTimeout: number;
  /** Bounds on every call's params, checked where the call enters (`request-bounds.ts`). */
  readonly requestLimits: Readonly<Required<RequestLimits>>;
  /** Upstreams that have been connected once: a later connect is a reconnect, and re-lists. */
  readonly connectedBefore: WeakSet<Upstream>;
  state: BridgeState;
  middleware: readonly RegisteredMiddleware[];
  listFilters: Partial<Record<ListKind, readonly RegisteredListFilter[]>>;
  listTransforms: Partial<Record<ListKind, readonly RegisteredListTransform[]>>;
  /** Plugins' own tools by name (`api.addTool`). */
  pluginTools: ReadonlyMap<string, RegisteredPluginTool>;
  // Set by the boot; read only once the bridge started (or with `?.` where it may not have).
  core: CoreSteps;
  catalog: Catalog;
  sync: CatalogSync;
  watch: ServerWatch;
  pool: Pool;
  /** Per-caller upstream sessions, between the terminal and the pool. */
  lanes: SessionLanes;
  balancer: Balancer;
  health: HealthPolicy;
}

/** Throws unless the bridge is `ready`, with a message saying what to do. */
export function ensureReady(s: HostCore): void {
  if (s.state !== 'ready') {
    throw new BridgeStateError(
      s.state === 'new' || s.state === 'starting' ? 'the bridge is not started: await bridge.start() first' : `the bridge is ${s.state}`,
    );
  }
}

/** The not-found error of a server name, listing the known ones. */
export function unknownServer(server: string, known: string[]): NotFoundError {
  return new NotFoundError(`no server named "${server}" (known: ${known.join(', ') || 'none'})`, { data: { server } });
}

/** Runs the plugins' cleanups, last registered first; a failing one is reported, the rest still run. */
export async function runCleanups(s: HostCore): Promise<void> {
  const cleanups = s.cleanups.splice(0).reverse();
  for (const { plugin, fn } of cleanups) {
    try {
      await fn();
    } catch (error) {
      s.onError(new PluginError('PLUGIN_CLEANUP_FAILED', plugin, `cleanup failed: ${errorMessage(error)}`, { cause: error }));
    }
  }
}
