import { binCommand } from './bin-command.js';
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

  return binCommand('stdio-server', serverArgs, 'stdio test server');
}
