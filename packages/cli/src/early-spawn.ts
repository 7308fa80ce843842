// Loaded by `serve --examples` before the gateway's own code: node builtins, cross-spawn and the
// example server table only. Nothing here may import the SDK, zod, core or a plugin.
import { endPrespawned, prespawnStdio } from '@mcp-bridge/transports/prespawn';
import { existsSync } from 'node:fs';
import { cacheDir, snapshotFileOf } from './catalog-snapshot-files.js';
import { exampleServers } from './example-servers.js';

/**
 * Starts the bundled example servers now, so that they boot while the gateway loads its code
 * (~100-200 ms: the SDK, zod, ajv, the plugins); the stdio transports adopt them when the bridge
 * starts (see `@mcp-bridge/transports/prespawn`). Without this the gateway only spawns them once
 * it is loaded, and `serve --stdio --examples` answered its first `tools/list` about 2x later than a
 * bare SDK server (bench/src/cold-start.ts).
 */
export function spawnExamplesEarly(snapshots: boolean): void {
  // The same entries `loadServers` returns for `--examples`, so the transports find a match.
  const servers = exampleServers();
  // With every server's catalog snapshot at hand the first list does not wait for them, and children
  // booting beside the gateway would only slow its own start (2 cores: 1.8x against 1.3x a bare SDK
  // server to the first list, the first call no later; bench/src/cold-start.ts).
  if (snapshots && Object.entries(servers).every(([name, config]) => existsSync(snapshotFileOf(cacheDir(), name, [config]) ?? ''))) return;
  prespawnStdio(Object.values(servers));
}

/** Ends the early children no transport took (the command failed before its bridge started). */
export function endUnclaimed(): void {
  endPrespawned();
}
