import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { resolveTestServerOptions, type TestServerOptions } from './options.js';

/**
 * A stdio server config (the shape `@mcp-bridge/transports` and the SDK's stdio client accept).
 * A type alias, not an interface, so it stays assignable to config types with an index signature.
 */
export type StdioTestServerConfig = {
  /** `process.execPath`. */
  command: string;
  args: string[];
};

/** Options of {@link stdioTestServer}: JSON-only, since they travel to the child on its command line. */
export type StdioTestServerOptions = Omit<TestServerOptions, 'ledger'>;

/**
 * How to spawn the test server as a real child process speaking MCP over stdio. From the built
 * package it runs `dist/bin/stdio-server.js` with plain node; from source (tests, no build) it runs
 * `src/bin/stdio-server.ts` through tsx's loader, resolved to an absolute URL so any cwd works. The
 * child exits when its stdin closes. Its ledger lives in the child: read `test://{name}/ledger`.
 *
 * @throws TypeError for invalid options or a `ledger` option (a ledger cannot cross processes).
 * @example
 * const { command, args } = stdioTestServer({ name: 'beta' });
 * const transport = new StdioClientTransport({ command, args });
 */
export function stdioTestServer(options: StdioTestServerOptions = {}): StdioTestServerConfig {
  if ('ledger' in options && (options as TestServerOptions).ledger !== undefined) {
    throw new TypeError(
      '[mcp-bridge] [@mcp-bridge/testing] stdioTestServer: a ledger cannot be shared with a child process; read the test://{name}/ledger resource instead',
    );
  }
  resolveTestServerOptions(options);
  const serverArgs = ['--options', JSON.stringify(options)];

  const built = new URL('./bin/stdio-server.js', import.meta.url);
  if (existsSync(built)) return { command: process.execPath, args: [fileURLToPath(built), ...serverArgs] };

  const source = new URL('./bin/stdio-server.ts', import.meta.url);
  if (existsSync(source)) return { command: process.execPath, args: ['--import', tsxLoaderUrl(), fileURLToPath(source), ...serverArgs] };

  throw new Error(`[mcp-bridge] [@mcp-bridge/testing] stdio server entry not found next to ${fileURLToPath(import.meta.url)}`);
}

function tsxLoaderUrl(): string {
  try {
    return pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  } catch (cause) {
    throw new Error('[mcp-bridge] [@mcp-bridge/testing] running the stdio test server from source needs tsx installed', { cause });
  }
}
