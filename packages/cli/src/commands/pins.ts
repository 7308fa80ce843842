import type { Bridge } from '@mcp-bridge/core';
import type { Drift, PinningOptions, ServerPins } from '@mcp-bridge/plugin-pinning';
import { printJson, type CommandContext } from '../context.js';
import { CliError, EXIT, type ExitCode } from '../exit-codes.js';
import { columns, line, messageOf, progress, visible } from '../io.js';
import { configProblems } from '../config-report.js';
import { loadServers } from '../load.js';
import { openBridge } from '../open-bridge.js';

const PINNING_PACKAGE = '@mcp-bridge/plugin-pinning';
type PinningModule = typeof import('@mcp-bridge/plugin-pinning');

/** The `pins` subcommands. */
export type PinsAction = 'list' | 'diff' | 'approve';

/** Options of `pins`. */
export interface PinsOptions {
  timeout: number;
}

/** One drift in `pins list|diff|approve --json`. */
export interface PinsDriftJson {
  server: string;
  kind: Drift['kind'];
  name: string;
  change: Drift['change'];
  fields: readonly string[];
  policy: Drift['policy'];
  /** `pins diff` only: the unified diff, pinned against current. */
  diff?: string;
}

/** `pins list --json` (and the other actions: the same shape, with `approved` for `approve`). */
export interface PinsJson {
  store: string;
  servers: { server: string; identity: string; pinned: number; configured: boolean }[];
  /** Configured servers with no pins yet (the gateway pins them on first use). */
  unpinned: string[];
  drifts: PinsDriftJson[];
  approved?: PinsDriftJson[];
}

/**
 * The options of the pinning plugin in a config's `plugins` section (object or list form, by key
 * `pinning` or package name); undefined when the section does not enable it.
 */
export function pinningOptionsIn(section: unknown): Record<string, unknown> | undefined {
  const named = (name: unknown): boolean => name === 'pinning' || name === PINNING_PACKAGE;
  const optionsOf = (ref: { options?: unknown }): Record<string, unknown> => (ref.options as Record<string, unknown> | undefined) ?? {};
  if (Array.isArray(section)) {
    for (const entry of section as unknown[]) {
      if (named(entry)) return {};
      if (typeof entry === 'object' && entry !== null && named((entry as { package?: unknown }).package)) return optionsOf(entry);
    }
    return undefined;
  }
  if (typeof section !== 'object' || section === null) return undefined;
  for (const [key, value] of Object.entries(section as Record<string, unknown>)) {
    const ref =
      typeof value === 'object' && value !== null && 'package' in value ? (value as { package?: unknown; options?: unknown }) : undefined;
    if (ref ? !named(ref.package) : !named(key)) continue;
    if (value === false) return undefined;
    if (value === true) return {};
    return ref ? optionsOf(ref) : (value as Record<string, unknown>);
  }
  return undefined;
}

/** `server/tool` or `server`. */
function parseTarget(target: string | undefined): { server?: string; name?: string } {
  if (target === undefined) return {};
  const slash = target.indexOf('/');
  return slash < 0 ? { server: target } : { server: target.slice(0, slash), name: target.slice(slash + 1) };
}

/**
 * `mcp-bridge pins list | diff [server/tool] | approve [server/tool]`: reads the pin store the config's
 * `plugins.pinning` options name, connects to the servers to get their current definitions, and
 * shows the drifts (list), their unified diffs (diff), or accepts them as the new pins (approve).
 * Approving a server with no pins pins it as it is now.
 */
export async function pinsCommand(
  ctx: CommandContext,
  action: PinsAction,
  target: string | undefined,
  options: PinsOptions,
): Promise<ExitCode> {
  const spin = progress(ctx, 'reading configs');
  let bridge: Bridge | undefined;
  try {
    const loaded = await loadServers(ctx.io, ctx.options);
    for (const problem of configProblems(loaded)) ctx.log(ctx.err.yellow(problem));
    const { server, name } = parseTarget(target);
    if (server !== undefined && !loaded.servers[server])
      throw new CliError(`no server named "${server}" (known: ${Object.keys(loaded.servers).join(', ') || 'none'})`, EXIT.USAGE);
    const configured = pinningOptionsIn(loaded.settings.plugins);
    if (configured === undefined) ctx.log(ctx.err.yellow(`the config does not enable the pinning plugin: using its default options`));
    const mod = await (import(PINNING_PACKAGE) as Promise<PinningModule>).catch((error: unknown) => {
      throw new CliError(`the pins command needs ${PINNING_PACKAGE} installed next to mcp-bridge (${messageOf(error)})`, EXIT.USAGE);
    });
    // Only `approve` writes: list and diff must not pin a server as a side effect of looking at it.
    const opts: PinningOptions = { ...(configured as PinningOptions), log: false, record: action === 'approve' };
    ({ bridge } = await openBridge(loaded, {
      plugins: [mod.pinning(opts)],
      ...(server !== undefined ? { only: [server] } : {}),
      connectTimeout: options.timeout,
      startTimeout: options.timeout,
      progress: spin,
      signal: ctx.signal,
      onError: () => undefined,
    }));
    const pins = bridge.pins;
    const selected = (d: Drift): boolean => (server === undefined || d.server === server) && (name === undefined || d.name === name);
    let approved: Drift[] | undefined;
    if (action === 'approve') {
      approved = [];
      for (const s of server === undefined ? [...new Set(pins.drifts().map((d) => d.server))] : [server])
        approved.push(...(await pins.approve(s, name)));
      if (name !== undefined && approved.length === 0)
        throw new CliError(`no drift to approve for ${target} (run \`mcp-bridge pins list\`)`, EXIT.USAGE);
    }
    const stored = await pins.store.all();
    const json = report(
      bridge,
      mod,
      pins.store.label,
      stored,
      pins.drifts().filter(selected),
      action === 'diff' ? (d) => pins.diff(d) : undefined,
    );
    if (approved) json.approved = approved.map((d) => driftJson(d));
    spin.stop();
    if (ctx.options.json) printJson(ctx, json);
    else printHuman(ctx, action, json);
    return EXIT.OK;
  } finally {
    spin.stop();
    await bridge?.close();
  }
}

function driftJson(d: Drift, diff?: (d: Drift) => string): PinsDriftJson {
  return {
    server: d.server,
    kind: d.kind,
    name: d.name,
    change: d.change,
    fields: d.fields,
    policy: d.policy,
    ...(diff ? { diff: diff(d) } : {}),
  };
}

function report(
  bridge: Bridge,
  pinning: PinningModule,
  store: string,
  stored: readonly ServerPins[],
  drifts: readonly Drift[],
  diff?: (d: Drift) => string,
): PinsJson {
  const configured = new Set(bridge.servers());
  const identities = new Set(stored.map((p) => p.identity));
  return {
    store,
    servers: stored.map((p) => ({
      server: p.server,
      identity: p.identity,
      pinned: Object.keys(p.items).length,
      configured: configured.has(p.server),
    })),
    unpinned: bridge.servers().filter((s) => !identities.has(pinning.upstreamIdentity(s, bridge.upstreams(s)[0]))),
    drifts: drifts.map((d) => driftJson(d, diff)),
  };
}

function printHuman(ctx: CommandContext, action: PinsAction, json: PinsJson): void {
  const c = ctx.out;
  const out = ctx.io.stdout;
  for (const d of json.approved ?? []) line(out, `${c.green('✔')} approved ${d.kind} ${d.server}/${d.name}`);
  if (action === 'diff') {
    if (json.drifts.length === 0) line(out, 'No drift: every definition matches its pin.');
    for (const d of json.drifts) line(out, colorDiff(c, d.diff ?? ''));
    return;
  }
  line(out, c.bold(`Pins (${json.store})`));
  const rows = json.servers.map((s) => [
    `  ${s.server}`,
    `${s.pinned} pinned`,
    c.dim(s.identity),
    s.configured ? '' : c.dim('(not in this config)'),
  ]);
  for (const row of columns(rows, visible)) line(out, row);
  if (json.unpinned.length)
    line(out, `  ${c.dim(`not pinned yet: ${json.unpinned.join(', ')} (pinned on first use, or by \`mcp-bridge pins approve SERVER\`)`)}`);
  line(out);
  line(out, c.bold(`Drifts (${json.drifts.length})`));
  const driftRows = json.drifts.map((d) => [
    `  ${d.server}/${d.name}`,
    d.kind,
    d.change === 'new' ? c.yellow('new') : c.red(`changed: ${d.fields.join(', ')}`),
    c.dim(d.policy),
  ]);
  for (const row of columns(driftRows, visible)) line(out, row);
  if (json.drifts.length)
    line(out, c.dim('  see one with `mcp-bridge pins diff SERVER/TOOL`; accept it with `mcp-bridge pins approve SERVER/TOOL`'));
}

function colorDiff(c: CommandContext['out'], diff: string): string {
  return diff
    .split('\n')
    .map((l) =>
      l.startsWith('+') && !l.startsWith('+++')
        ? c.green(l)
        : l.startsWith('-') && !l.startsWith('---')
          ? c.red(l)
          : l.startsWith('@@')
            ? c.cyan(l)
            : l,
    )
    .join('\n');
}
