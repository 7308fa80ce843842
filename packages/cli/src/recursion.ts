import { readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, resolve } from 'node:path';
import type { DiscoveryChange, DiscoveryResult } from '@mcp-bridge/discovery';

/**
 * How many gateways started one another, read from the environment. `@mcp-bridge/transports`
 * passes `MCP_BRIDGE_DEPTH` + 1 to every stdio child, so a gateway that a gateway started sees 1.
 */
export function gatewayDepth(env: Record<string, string | undefined>): number {
  const depth = Number(env.MCP_BRIDGE_DEPTH ?? 0);
  return Number.isInteger(depth) && depth > 0 ? depth : 0;
}

/** Nesting beyond which a gateway starts no stdio upstream at all (`MCP_BRIDGE_MAX_DEPTH` overrides). */
export const DEFAULT_MAX_DEPTH = 3;

const SHELLS = new Set(['sh', 'bash', 'zsh', 'dash', 'ash']);
const RUNNERS = new Set(['npx', 'pnpx', 'bunx']);
/** Package managers whose `exec`/`dlx`/`x` (or a bare script name: `pnpm mcp-bridge`) runs a package bin. */
const MANAGERS = new Set(['npm', 'pnpm', 'yarn', 'bun']);
const NODES = new Set(['node', 'nodejs', 'bun', 'deno', 'tsx']);
/** Node options that take the next argument as their value. */
const VALUE_FLAGS = new Set(['--import', '-r', '--require', '--loader', '--experimental-loader', '--conditions', '-C', '-p', '--package']);

const bare = (command: string): string => basename(command).replace(/\.(cmd|exe|ps1)$/i, '');

/** `mcp-bridge`, `mcp-bridge@latest`, `mcp-bridge@0.1.0`. */
const isOurPackage = (spec: string | undefined): boolean => spec !== undefined && /^mcp-bridge(@[^/]*)?$/.test(spec);

/** The first argument that is not an option (skipping option values). */
function firstOperand(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('-')) return arg;
    if (VALUE_FLAGS.has(arg)) i++;
  }
  return undefined;
}

/**
 * Whether `file` is the executable of the `mcp-bridge` package: its nearest package.json (up to 6
 * levels) is ours and names `file` as its bin, or `file` is the source entry `src/bin.ts`.
 */
function isOurBin(file: string): boolean {
  let dir = dirname(file);
  for (let i = 0; i < 6; i++) {
    let pkg: { name?: unknown; bin?: unknown };
    try {
      pkg = JSON.parse(readFileSync(resolve(dir, 'package.json'), 'utf8')) as typeof pkg;
    } catch {
      const up = dirname(dir);
      if (up === dir) return false;
      dir = up;
      continue;
    }
    if (pkg.name !== 'mcp-bridge') return false;
    const bins =
      typeof pkg.bin === 'string'
        ? [pkg.bin]
        : pkg.bin && typeof pkg.bin === 'object'
          ? Object.values(pkg.bin as Record<string, unknown>)
          : [];
    return [...bins, 'src/bin.ts'].some((bin) => typeof bin === 'string' && resolve(dir, bin) === resolve(file));
  }
  return false;
}

/** Splits a `sh -c` script into words (quotes dropped): enough to recognise the command it runs. */
const words = (script: string): string[] =>
  script
    .split(/[\s;&|]+/)
    .map((w) => w.replace(/^["']|["']$/g, ''))
    .filter(Boolean);

/**
 * Whether a stdio entry runs mcp-bridge itself: `mcp-bridge ...`, `npx [-y] mcp-bridge[@v] ...`,
 * `pnpm [exec|dlx] mcp-bridge`, `node path/to/mcp-bridge/dist/bin.js` (any file of our package),
 * or one of those behind `sh -c`.
 */
export function runsMcpBridge(command: string, args: readonly string[], cwd: string): boolean {
  const name = bare(command);
  if (SHELLS.has(name)) {
    const script = args[args.indexOf('-c') + 1];
    if (!args.includes('-c') || script === undefined) return false;
    // `exec cmd` and `VAR=value cmd` run cmd.
    const all = words(script);
    const start = all.findIndex((w) => w !== 'exec' && !/^[A-Za-z_][A-Za-z0-9_]*=/.test(w));
    const [head, ...rest] = start < 0 ? [] : all.slice(start);
    return head !== undefined && runsMcpBridge(head, rest, cwd);
  }
  if (name === 'mcp-bridge') return true;
  if (RUNNERS.has(name)) return isOurPackage(firstOperand(args));
  if (MANAGERS.has(name)) {
    const operand = firstOperand(args);
    const next = operand && ['exec', 'dlx', 'x', 'run'].includes(operand) ? firstOperand(args.slice(args.indexOf(operand) + 1)) : operand;
    return isOurPackage(next);
  }
  if (NODES.has(name)) {
    const script = firstOperand(args);
    return script !== undefined && isOurBin(isAbsolute(script) ? script : resolve(cwd, script));
  }
  // A path to our bin itself (`/usr/local/lib/node_modules/mcp-bridge/dist/bin.js`, with its shebang).
  return (isAbsolute(command) || command.includes('/')) && isOurBin(resolve(cwd, command));
}

/** A server left out to prevent recursion, and why. */
export interface RecursiveEntry {
  name: string;
  why: string;
}

/**
 * The entries that would start gateways recursively: every entry that runs mcp-bridge itself (the
 * natural "one entry in front of all the others" of a desktop client's config, read back by the
 * gateway it starts); and, past `maxDepth` nested gateways (a wrapper we cannot recognise), every
 * stdio entry. They are moved to `skipped` with reason `recursive`; the rest is untouched.
 */
export function skipRecursive(discovery: DiscoveryResult, env: Record<string, string | undefined>, cwd: string): RecursiveEntry[] {
  const depth = gatewayDepth(env);
  const max = Number(env.MCP_BRIDGE_MAX_DEPTH ?? DEFAULT_MAX_DEPTH) || DEFAULT_MAX_DEPTH;
  const found: RecursiveEntry[] = [];
  discovery.servers = discovery.servers.filter((server) => {
    const config = server.config as { command?: unknown; args?: unknown; cwd?: unknown };
    if (typeof config.command !== 'string') return true;
    const args = Array.isArray(config.args) ? config.args.filter((a): a is string => typeof a === 'string') : [];
    const why =
      depth >= max
        ? `this gateway is ${depth} mcp-bridge gateways deep (MCP_BRIDGE_DEPTH=${depth}, limit ${max}): a config that starts gateways recursively? (raise MCP_BRIDGE_MAX_DEPTH to nest deeper)`
        : runsMcpBridge(config.command, args, typeof config.cwd === 'string' ? resolve(cwd, config.cwd) : cwd)
          ? 'it runs mcp-bridge itself, which would start this gateway again (and it already serves every other entry)'
          : undefined;
    if (!why) return true;
    found.push({ name: server.name, why });
    discovery.skipped.push({ name: server.name, reason: 'recursive', source: server.source });
    return false;
  });
  return found;
}

/** The same change without the entries {@link skipRecursive} leaves out (an entry that became one is removed). */
export function withoutRecursive(change: DiscoveryChange, env: Record<string, string | undefined>, cwd: string): DiscoveryChange {
  const copy = { ...change.result, servers: [...change.result.servers], skipped: [] };
  const skipped = new Set(skipRecursive(copy, env, cwd).map((r) => r.name));
  if (skipped.size === 0) return change;
  return {
    ...change,
    added: change.added.filter((n) => !skipped.has(n)),
    changed: change.changed.filter((n) => !skipped.has(n)),
    removed: [...change.removed, ...change.changed.filter((n) => skipped.has(n))],
  };
}
