import { binCommand, type BinCommand } from '../bin-command.js';
import { resolveModernOptions, type ModernTestServerOptions } from './modern-options.js';

/** Options of {@link modernStdioTestServer}: JSON-only, since they travel to the child on its command line. */
export type ModernStdioTestServerOptions = Omit<ModernTestServerOptions, 'ledger'>;

/**
 * How to spawn the modern test server as a real child process speaking MCP over stdio (the
 * `mcp-bridge-modern-test-server` bin, through the SDK's `serveStdio`): the first message picks
 * the era for the connection, `server/discover` a modern one, `initialize` a 2025-era one
 * (`era: 'dual'`, pinned and sessionful as on any stdio server) or the -32022 rejection
 * (`'modern-only'`). Faults: `drop-*` end the process (code 0), before or after the tool ran. The
 * ledger lives in the child: read `test://{name}/ledger`, or the fault ledger from `ledgerFile`.
 *
 * Note the v2 client's `versionNegotiation: 'auto'` probes on a short-lived sibling process
 * spawned from the same command, so each connect spawns the server twice.
 *
 * @throws TypeError for invalid options or a `ledger` option (a ledger cannot cross processes).
 * @example
 * const { command, args } = modernStdioTestServer({ era: 'modern-only' });
 * const transport = new StdioClientTransport({ command, args });
 */
export function modernStdioTestServer(options: ModernStdioTestServerOptions = {}): BinCommand {
  if ('ledger' in options && (options as ModernTestServerOptions).ledger !== undefined) {
    throw new TypeError(
      '[mcp-bridge] [@mcp-bridge/testing] modernStdioTestServer: a ledger cannot be shared with a child process; read the test://{name}/ledger resource or use ledgerFile',
    );
  }
  resolveModernOptions(options);
  return binCommand('modern-server', ['--options', JSON.stringify(options)], 'modern stdio test server');
}
