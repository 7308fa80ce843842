import { BridgeError, PluginError } from './errors.js';
import type { EventBus } from './events.js';
import type { RegisteredMiddleware } from './pipeline.js';
import { orderPlugins } from './plugin-order.js';
import type { CoreEvents } from './event-types.js';
import type { BridgeExtensions, HostView, Plugin, PluginApi, PluginTool } from './plugin-api.js';
import type { ListFilter, ListKind, ListTransform, Services } from './types.js';
import { NAME_PATTERN } from './naming.js';
import { PHASES } from './types.js';

const PHASE_SET: ReadonlySet<string> = new Set(PHASES);
const ORDERS: ReadonlySet<unknown> = new Set([undefined, 'before', 'after']);
const LIST_KINDS: ReadonlySet<unknown> = new Set(['tools', 'prompts', 'resources', 'templates']);
// Typed as a record so a core event added to CoreEvents without being listed here fails to compile.
const CORE_EVENT_NAMES: Record<keyof CoreEvents, true> = {
  'upstream:add': true,
  'upstream:remove': true,
  'upstream:health': true,
  'connect:before': true,
  'connect:after': true,
  'connect:error': true,
  notification: true,
  'catalog:changed': true,
  'catalog:warning': true,
  'call:error': true,
  'client:created': true,
  'host:ready': true,
  'server:started': true,
  'host:close': true,
  'request:served': true,
};
const CORE_EVENTS: ReadonlySet<string> = new Set(Object.keys(CORE_EVENT_NAMES));

/** A list filter as registered, with its plugin (named when it throws). */
export interface RegisteredListFilter {
  readonly plugin: string;
  readonly filter: ListFilter<ListKind>;
}

/** A list transform as registered, with its plugin (named when it throws). */
export interface RegisteredListTransform {
  readonly plugin: string;
  readonly transform: ListTransform<ListKind>;
}

/** A plugin's own tool as registered, with its plugin. */
export interface RegisteredPluginTool extends PluginTool {
  readonly plugin: string;
}

/** What booting the plugins produced. */
export interface BootResult {
  readonly middleware: readonly RegisteredMiddleware[];
  readonly services: ReadonlyMap<keyof Services, unknown>;
  /** Per-caller list filters by kind; a kind nobody filters has no entry. */
  readonly listFilters: Partial<Record<ListKind, readonly RegisteredListFilter[]>>;
  /** List transforms by kind, in plugin order; a kind nobody transforms has no entry. */
  readonly listTransforms: Partial<Record<ListKind, readonly RegisteredListTransform[]>>;
  /** Plugins' own tools by name. */
  readonly pluginTools: ReadonlyMap<string, RegisteredPluginTool>;
}

/** What boot needs from the bridge. */
export interface BootHost {
  /** What plugins see of the host (`api.host`). */
  readonly host: HostView;
  /** The object `api.expose` adds properties to (the bridge). */
  readonly target: object;
  readonly events: EventBus;
  readonly signal: AbortSignal;
  readonly coreVersion: string;
  readonly setupTimeout: number;
  /** Core's default for every slot it ships one for. */
  readonly defaults: ReadonlyMap<keyof Services, unknown>;
  /** Where cleanups go; they run in reverse order at close (or when boot fails). */
  readonly cleanups: { plugin: string; fn: () => void | Promise<void> }[];
}

/**
 * Runs the boot algorithm of DESIGN 3.1: check and order the plugins, run each `setup` with its
 * timeout, collect middleware, services and exposed values. Stops between setups when the bridge
 * is closed meanwhile. Every failure is a {@link PluginError} naming the plugin.
 */
export async function bootPlugins(plugins: readonly Plugin[], host: BootHost): Promise<BootResult> {
  const ordered = orderPlugins(plugins, host.coreVersion, new Set(host.defaults.keys()));
  const state: BootState = { services: new Map(), middleware: [], listFilters: {}, listTransforms: {}, pluginTools: new Map(), seq: 0 };
  for (const [slot, value] of host.defaults) state.services.set(slot, { value, plugin: '@mcp-bridge/core' });

  for (const plugin of ordered) {
    if (host.signal.aborted) throw host.signal.reason;
    let open = true;
    const api = pluginApi(plugin, host, state, () => open);
    try {
      await runSetup(plugin, api, plugin.setupTimeout ?? host.setupTimeout);
    } finally {
      open = false;
    }
    checkProvided(plugin, state.services);
  }
  // Frozen: the pipeline is compiled from this list once; it never changes again.
  for (const list of [...Object.values(state.listFilters), ...Object.values(state.listTransforms)]) Object.freeze(list);
  return {
    middleware: Object.freeze(state.middleware),
    services: new Map([...state.services].map(([k, v]) => [k, v.value])),
    listFilters: Object.freeze(state.listFilters),
    listTransforms: Object.freeze(state.listTransforms),
    pluginTools: state.pluginTools,
  };
}

/** What the plugins register during boot. */
interface BootState {
  services: Map<keyof Services, { value: unknown; plugin: string }>;
  middleware: RegisteredMiddleware[];
  listFilters: Partial<Record<ListKind, RegisteredListFilter[]>>;
  listTransforms: Partial<Record<ListKind, RegisteredListTransform[]>>;
  pluginTools: Map<string, RegisteredPluginTool>;
  seq: number;
}

/** The API one plugin's setup gets; registering is refused once `isOpen()` says setup is over. */
function pluginApi(plugin: Plugin, host: BootHost, state: BootState, isOpen: () => boolean): PluginApi {
  const name = plugin.name;
  const open = (what: string): void => {
    if (isOpen()) return;
    throw new PluginError(
      'PIPELINE_FROZEN',
      name,
      `called api.${what}() after setup; register middleware, list filters, services and exposed values during setup only`,
    );
  };
  return {
    plugin: name,
    host: host.host,
    signal: host.signal,
    on: (event, listener) => host.events.on(event, listener),
    emit: (event, payload) => {
      checkEmit(name, event);
      host.events.emit(event, payload);
    },
    hasListeners: (event) => host.events.has(event),
    use: (mw) => {
      open('use');
      checkMiddleware(name, mw);
      state.middleware.push({ middleware: { name, ...mw }, plugin: name, seq: state.seq++ });
    },
    filterList: (kind, filter) => {
      open('filterList');
      checkListFunction(name, 'filterList', kind, filter);
      ((state.listFilters as Record<string, RegisteredListFilter[] | undefined>)[kind] ??= []).push({
        plugin: name,
        filter: filter as ListFilter<ListKind>,
      });
    },
    transformList: (kind, transform) => {
      open('transformList');
      checkListFunction(name, 'transformList', kind, transform);
      ((state.listTransforms as Record<string, RegisteredListTransform[] | undefined>)[kind] ??= []).push({
        plugin: name,
        transform: transform as unknown as ListTransform<ListKind>,
      });
    },
    addTool: (tool) => {
      open('addTool');
      checkPluginTool(name, tool, state.pluginTools);
      state.pluginTools.set(tool.tool.name, { plugin: name, tool: tool.tool, call: tool.call });
    },
    provide: (slot, implementation) => {
      open('provide');
      if (!plugin.provides?.includes(slot)) {
        throw new PluginError('SERVICE_UNDECLARED', name, `provides the "${String(slot)}" service without listing it in \`provides\``);
      }
      state.services.set(slot, { value: implementation, plugin: name });
    },
    service: (slot) => {
      const entry = state.services.get(slot);
      if (!entry) throw new PluginError('SERVICE_MISSING', name, `asked for the "${String(slot)}" service, which nothing provides`);
      return entry.value as Services[typeof slot];
    },
    expose: (key, value) => {
      open('expose');
      expose(host.target, name, key, value);
    },
    onClose: (fn) => {
      host.cleanups.push({ plugin: name, fn });
    },
  };
}

/** Core events are the host's to emit. */
function checkEmit(name: string, event: string | number | symbol): void {
  if (!CORE_EVENTS.has(event as never)) return;
  const e = String(event);
  throw new PluginError(
    'PLUGIN_INVALID',
    name,
    `api.emit("${e}"): "${e}" is a core event, emitted by the host only; declare and emit an event of your own`,
    {
      data: { event: e },
    },
  );
}

function checkMiddleware(name: string, mw: { handle?: unknown; phase?: unknown; order?: unknown } | undefined): void {
  if (!mw || typeof mw.handle !== 'function' || !PHASE_SET.has(mw.phase as string)) {
    throw new PluginError(
      'PLUGIN_INVALID',
      name,
      `api.use() needs { phase, handle }, with phase one of ${PHASES.join(', ')} (got ${JSON.stringify(mw?.phase)})`,
    );
  }
  if (!ORDERS.has(mw.order)) {
    throw new PluginError('PLUGIN_INVALID', name, `api.use(): order must be "before", "after" or absent (got ${JSON.stringify(mw.order)})`);
  }
}

function checkListFunction(name: string, what: string, kind: unknown, fn: unknown): void {
  if (!LIST_KINDS.has(kind) || typeof fn !== 'function') {
    throw new PluginError(
      'PLUGIN_INVALID',
      name,
      `api.${what}() needs a kind (tools, prompts, resources or templates) and a function (got ${JSON.stringify(kind)}, ${typeof fn})`,
    );
  }
}

/** A plugin tool needs a valid, unclaimed name and a handler. */
function checkPluginTool(name: string, def: PluginTool | undefined, taken: ReadonlyMap<string, RegisteredPluginTool>): void {
  const toolName: unknown = def?.tool?.name;
  if (typeof toolName !== 'string' || !NAME_PATTERN.test(toolName) || typeof def?.call !== 'function') {
    throw new PluginError(
      'PLUGIN_INVALID',
      name,
      `api.addTool() needs { tool: { name, inputSchema }, call } with a name matching ${String(NAME_PATTERN)} (got ${JSON.stringify(toolName)})`,
    );
  }
  const owner = taken.get(toolName)?.plugin;
  if (owner !== undefined) {
    throw new PluginError('PLUGIN_INVALID', name, `api.addTool(): a tool named "${toolName}" is already served by ${owner}`, {
      data: { tool: toolName, plugin: owner },
    });
  }
}

/** A plugin that lists a service in `provides` must have provided it during setup. */
function checkProvided(plugin: Plugin, services: ReadonlyMap<keyof Services, { plugin: string }>): void {
  for (const slot of plugin.provides ?? []) {
    if (services.get(slot)?.plugin !== plugin.name) {
      throw new PluginError(
        'SERVICE_MISSING',
        plugin.name,
        `lists "${String(slot)}" in \`provides\` but did not call api.provide("${String(slot)}", ...) in setup`,
      );
    }
  }
}

function expose(bridge: object, plugin: string, key: keyof BridgeExtensions, value: unknown): void {
  if (key in bridge) throw new PluginError('PLUGIN_INVALID', plugin, `cannot expose "${String(key)}": the bridge already has it`);
  Object.defineProperty(bridge, key, { value, enumerable: true, configurable: false, writable: false });
}

async function runSetup(plugin: Plugin, api: PluginApi, timeoutMs: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new PluginError('PLUGIN_SETUP_TIMEOUT', plugin.name, `setup did not finish within ${timeoutMs} ms`, { data: { timeoutMs } }),
        ),
      timeoutMs,
    );
  });
  try {
    await Promise.race([Promise.resolve().then(() => plugin.setup(api)), timeout]);
  } catch (error) {
    if (BridgeError.isInstance(error)) throw error;
    throw new PluginError('PLUGIN_SETUP_FAILED', plugin.name, `setup failed: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  } finally {
    clearTimeout(timer);
  }
}
