import { NotFoundError, type CallContext, type Next, type PluginApi, type Upstream } from '@mcp-bridge/core';
import { Keyv } from 'keyv';
import { driftDiff } from './diff.js';
import { PinDriftError } from './errors.js';
import type { PinKind } from './fingerprint.js';
import type { ResolvedPinningOptions } from './options.js';
import { PinBook, type Drift } from './pin-book.js';
import { defaultPinFile, FilePinStore, KeyvPinStore, type PinStore } from './store.js';

/** The list methods pinned, with the kind and the field holding their items. */
const LISTS: Record<string, { kind: PinKind; field: string }> = {
  'tools/list': { kind: 'tool', field: 'tools' },
  'prompts/list': { kind: 'prompt', field: 'prompts' },
  'resources/templates/list': { kind: 'template', field: 'resourceTemplates' },
};

/** What a drift does to one server's tools and prompts: precomputed on each list, read on each call. */
interface Gate {
  /** upstream name → drift, per kind, for the drifts that hide. */
  hidden: Map<string, Drift>;
  /** upstream name → drift, per kind, for the drifts that block. */
  blocked: Map<string, Drift>;
}

/**
 * The identity a server's pins are kept under: its name and what it runs (command and arguments) or
 * where it is (URL without credentials, query or fragment). The gateway's exposed names play no part.
 */
export function upstreamIdentity(server: string, upstream: Pick<Upstream, 'config' | 'kind'> | undefined): string {
  const config = (upstream?.config ?? {}) as { command?: unknown; args?: unknown; url?: unknown };
  if (typeof config.url === 'string') {
    try {
      const url = new URL(config.url);
      return `${server} ${url.origin}${url.pathname}`;
    } catch {
      return `${server} ${config.url}`;
    }
  }
  if (typeof config.command === 'string') {
    const args = Array.isArray(config.args) ? config.args.map(String) : [];
    return `${server} ${[config.command, ...args].join(' ')}`;
  }
  return `${server} (${upstream?.kind ?? 'unknown'})`;
}

/** The store the options name: keyv, Redis, or the pin file. */
export async function openPinStore(opts: ResolvedPinningOptions): Promise<{ store: PinStore; close: () => Promise<void> }> {
  if (opts.keyv) return { store: new KeyvPinStore(opts.keyv, opts.prefix), close: () => Promise.resolve() };
  if (opts.redis) {
    const { default: KeyvRedis } = await import('@keyv/redis').catch((error: unknown) => {
      throw new Error(`the "redis" option needs the package @keyv/redis installed (${(error as Error).message})`);
    });
    const keyv = new Keyv({ store: new KeyvRedis(opts.redis), useKeyPrefix: false, namespace: '', throwOnErrors: true });
    return { store: new KeyvPinStore(keyv, opts.prefix), close: () => keyv.disconnect() };
  }
  return { store: new FilePinStore(opts.file ?? defaultPinFile()), close: () => Promise.resolve() };
}

/** Installs the list checks (which leave hidden items out), the call gates and `bridge.pins`. */
export async function setupPinning(api: PluginApi, opts: ResolvedPinningOptions): Promise<PinBook> {
  const { store, close } = await openPinStore(opts);
  api.onClose(close);
  const book = new PinBook(store, opts, opts.record);
  const gates = new Map<string, Record<PinKind, Gate>>();
  const kinds = new Set<PinKind>([
    'tool',
    ...(opts.prompts ? (['prompt'] as const) : []),
    ...(opts.templates ? (['template'] as const) : []),
  ]);

  const regate = (server: string): void => {
    const gate: Record<PinKind, Gate> = {
      tool: { hidden: new Map(), blocked: new Map() },
      prompt: { hidden: new Map(), blocked: new Map() },
      template: { hidden: new Map(), blocked: new Map() },
    };
    let any = false;
    for (const d of book.drifts()) {
      if (d.server !== server || d.policy === 'warn') continue;
      (d.policy === 'hide' ? gate[d.kind].hidden : gate[d.kind].blocked).set(d.name, d);
      any = true;
    }
    if (any) gates.set(server, gate);
    else gates.delete(server);
  };

  api.use({
    phase: 'policy',
    // Innermost in `policy`: sees the upstream's own names and definitions, before renames and overrides.
    order: 'after',
    methods: Object.keys(LISTS),
    async handle(ctx, next) {
      const result = (await next()) as Record<string, unknown>;
      const spec = LISTS[ctx.method]!;
      const items = result?.[spec.field];
      if (!kinds.has(spec.kind) || !Array.isArray(items)) return result;
      const identity = upstreamIdentity(ctx.server, api.host.upstreams(ctx.server)[0]);
      const complete = ctx.params.cursor === undefined && result.nextCursor === undefined;
      const outcome = await book.list(ctx.server, identity, spec.kind, items as Record<string, unknown>[], complete);
      regate(ctx.server);
      for (const drift of outcome.fresh) report(api, opts, drift);
      for (const name of outcome.removed) {
        if (opts.log) log(`${spec.kind} "${name}" of server "${ctx.server}" is gone from its list (its pin is kept)`);
        if (api.hasListeners('pinning:removed')) api.emit('pinning:removed', { server: ctx.server, kind: spec.kind, name });
      }
      // Hidden items leave the list here, before any rename: the catalog never has them, whatever
      // name a later plugin (overrides, access) would have given them.
      const hidden = gates.get(ctx.server)?.[spec.kind].hidden;
      if (hidden === undefined || hidden.size === 0) return result;
      const key = spec.kind === 'template' ? 'uriTemplate' : 'name';
      return { ...result, [spec.field]: (items as Record<string, unknown>[]).filter((item) => !hidden.has(String(item[key]))) };
    },
  });

  const gateCall = (kind: PinKind, ctx: CallContext, next: Next): Promise<unknown> => {
    const gate = gates.get(ctx.server);
    if (gate === undefined) return next();
    const name = String(ctx.params.name);
    const hidden = gate[kind].hidden.get(name);
    if (hidden)
      return Promise.reject(
        new NotFoundError(`no ${kind} named "${ctx.tool?.name ?? name}"`, { data: { server: ctx.server, [kind]: name } }),
      );
    const blocked = gate[kind].blocked.get(name);
    if (blocked) return Promise.reject(blockError(api.plugin, blocked));
    return next();
  };
  api.use({ phase: 'policy', order: 'after', methods: ['tools/call'], handle: (ctx, next) => gateCall('tool', ctx, next) });
  api.use({ phase: 'policy', order: 'after', methods: ['prompts/get'], handle: (ctx, next) => gateCall('prompt', ctx, next) });
  api.expose('pins', {
    store,
    drifts: () => book.drifts(),
    diff: (drift) => driftDiff(drift),
    async approve(server, name, kind) {
      const approved = await book.approve(server, name, kind);
      regate(server);
      for (const d of approved) if (api.hasListeners('pinning:approved')) api.emit('pinning:approved', eventOf(d));
      return approved;
    },
  });
  return book;
}

const log = (message: string): void => void process.stderr.write(`[mcp-bridge] [@mcp-bridge/plugin-pinning] ${message}\n`);

/** What a drift event carries (no definitions: they can be large; `bridge.pins` has them). */
const eventOf = (d: Drift): DriftEvent => ({
  server: d.server,
  identity: d.identity,
  kind: d.kind,
  name: d.name,
  change: d.change,
  fields: d.fields,
  policy: d.policy,
});

/** The payload of `pinning:drift` and `pinning:approved`. */
export interface DriftEvent {
  server: string;
  identity: string;
  kind: PinKind;
  name: string;
  change: 'changed' | 'new';
  fields: readonly string[];
  policy: Drift['policy'];
}

function report(api: PluginApi, opts: ResolvedPinningOptions, d: Drift): void {
  if (opts.log) {
    const what = d.change === 'new' ? 'is new since the server was pinned' : `changed since it was pinned (${d.fields.join(', ')})`;
    const then = d.policy === 'warn' ? 'still served' : d.policy === 'hide' ? 'hidden until approved' : 'calls blocked until approved';
    log(`${d.kind} "${d.name}" of server "${d.server}" ${what}: ${then}; see \`mcp-bridge pins diff ${d.server}/${d.name}\``);
  }
  if (api.hasListeners('pinning:drift')) api.emit('pinning:drift', eventOf(d));
}

function blockError(plugin: string, d: Drift): PinDriftError {
  const what = d.change === 'new' ? 'is new since the server was pinned' : `changed since it was pinned (changed: ${d.fields.join(', ')})`;
  return new PinDriftError(
    `${d.kind} "${d.name}" of server "${d.server}" ${what}; calls are blocked until the change is approved (mcp-bridge pins diff ${d.server}/${d.name}, then pins approve ${d.server}/${d.name})`,
    { plugin, data: { server: d.server, kind: d.kind, name: d.name, change: d.change, fields: [...d.fields] } },
  );
}
