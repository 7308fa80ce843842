import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import type { CatalogSnapshotStore, ServerSnapshot } from '@mcp-bridge/core';

// `serve` keeps each server's lists between runs (core's catalog snapshot), one small file per
// server config under the user's cache folder, so a desktop client that restarts the gateway lists
// every tool at once. The file name is a hash of the config: another command, URL or environment
// is another file, and no secret of the config is written.

/** Bumped when the file shape changes: older files are then ignored, never misread. */
const FORMAT = 1;

/** `$MCP_BRIDGE_CACHE_DIR`, else `$XDG_CACHE_HOME/mcp-bridge`, else `~/.cache/mcp-bridge`. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const own = env['MCP_BRIDGE_CACHE_DIR'];
  if (own && isAbsolute(own)) return own;
  const xdg = env['XDG_CACHE_HOME'];
  return join(xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.cache'), 'mcp-bridge');
}

/** Plain JSON only (strings, numbers, booleans, null, arrays, plain objects): a config holding a function or a class instance has no stable identity. */
function plainJson(value: unknown): boolean {
  if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) return true;
  if (Array.isArray(value)) return value.every(plainJson);
  if (typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return false;
  return Object.values(value).every((v) => v === undefined || plainJson(v));
}

/** JSON with sorted keys, so the same config always hashes the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The file of a server's snapshot, or undefined for a config that cannot have one (in-memory, an OAuth provider object). */
export function snapshotFileOf(dir: string, server: string, configs: readonly unknown[]): string | undefined {
  if (!configs.every(plainJson)) return undefined;
  const hash = createHash('sha256')
    .update(canonical({ format: FORMAT, server, configs }))
    .digest('hex')
    .slice(0, 32);
  return join(dir, 'catalog', `${hash}.json`);
}

function isSnapshot(value: unknown): value is ServerSnapshot & { format: number } {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return v['format'] === FORMAT && typeof v['savedAt'] === 'number' && typeof v['lists'] === 'object' && v['lists'] !== null;
}

/**
 * The catalog snapshot store of `serve`: files under {@link cacheDir}, written whole (temp file, then
 * rename) with mode 0600, so a crash never leaves half a file and other users cannot read them.
 * A missing, unreadable or foreign file is a miss.
 */
export function fileSnapshotStore(dir: string = cacheDir()): CatalogSnapshotStore {
  return {
    async load(server, configs) {
      const file = snapshotFileOf(dir, server, configs);
      if (file === undefined) return undefined;
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch {
        return undefined;
      }
      try {
        const parsed: unknown = JSON.parse(text);
        return isSnapshot(parsed) ? { savedAt: parsed.savedAt, lists: parsed.lists } : undefined;
      } catch {
        return undefined;
      }
    },
    async save(server, configs, snapshot) {
      const file = snapshotFileOf(dir, server, configs);
      if (file === undefined) return;
      await mkdir(join(dir, 'catalog'), { recursive: true, mode: 0o700 });
      const temp = `${file}.${process.pid}.tmp`;
      await writeFile(temp, JSON.stringify({ format: FORMAT, server, ...snapshot }), { mode: 0o600 });
      await rename(temp, file);
    },
  };
}
