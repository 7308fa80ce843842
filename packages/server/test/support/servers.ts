import { createRequire } from 'node:module';
import { join } from 'node:path';
import { conformanceServerCommand } from '@mcp-bridge/testing';

const require = createRequire(import.meta.url);

/** The bin of an installed package, run with this node (never through npx). */
function bin(pkg: string, path: string): string {
  return join(require.resolve(`${pkg}/package.json`), '..', path);
}

/**
 * The published reference servers (dev dependencies) plus the conformance fixture, as stdio configs:
 * `everything`, `files` (filesystem, allowed `filesDir`), `memory` (graph in `memoryFile`), `fixture`.
 */
export function realServers(filesDir: string, memoryFile: string): Record<string, Record<string, unknown>> {
  return {
    everything: { command: process.execPath, args: [bin('@modelcontextprotocol/server-everything', 'dist/index.js'), 'stdio'] },
    files: { command: process.execPath, args: [bin('@modelcontextprotocol/server-filesystem', 'dist/index.js'), filesDir] },
    memory: {
      command: process.execPath,
      args: [bin('@modelcontextprotocol/server-memory', 'dist/index.js')],
      env: { MEMORY_FILE_PATH: memoryFile },
    },
    fixture: conformanceServerCommand(),
  };
}
