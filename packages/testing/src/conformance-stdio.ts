import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { StdioTestServerConfig } from './stdio-test-server.js';

/**
 * How to spawn the conformance fixture ({@link createConformanceServer}) as a child process speaking
 * MCP over stdio: `dist/bin/conformance-server.js` with plain node when built, else the TypeScript
 * source through tsx's loader. The child exits when its stdin closes.
 *
 * @example
 * const { command, args } = conformanceServerCommand({ name: 'fixture' });
 * const bridge = createBridge({ servers: { fixture: { command, args } } });
 */
export function conformanceServerCommand(options: { name?: string } = {}): StdioTestServerConfig {
  const serverArgs = options.name === undefined ? [] : ['--name', options.name];
  const built = new URL('./bin/conformance-server.js', import.meta.url);
  if (existsSync(built)) return { command: process.execPath, args: [fileURLToPath(built), ...serverArgs] };
  const source = new URL('./bin/conformance-server.ts', import.meta.url);
  if (existsSync(source)) {
    let loader: string;
    try {
      loader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    } catch (cause) {
      throw new Error('[mcp-bridge] [@mcp-bridge/testing] running the conformance server from source needs tsx installed', { cause });
    }
    return { command: process.execPath, args: ['--import', loader, fileURLToPath(source), ...serverArgs] };
  }
  throw new Error(`[mcp-bridge] [@mcp-bridge/testing] conformance server entry not found next to ${fileURLToPath(import.meta.url)}`);
}
