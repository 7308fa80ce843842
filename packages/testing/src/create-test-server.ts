import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { TestLedger } from './ledger.js';
import { resolveTestServerOptions, type TestServerOptions } from './options.js';
import { registerPrompts } from './prompts.js';
import { registerResources } from './resources.js';
import { registerTools } from './tools.js';

const ledgers = new WeakMap<McpServer, TestLedger>();

/**
 * Creates an MCP server with the test tools (`echo`, `add`, `slow`, `fail`, `progress`, `add_tool`,
 * `whoami`), the `test://{name}/readme` and `test://{name}/ledger` resources, the
 * `test://{name}/items/{id}` template and the `greet` prompt. Not connected: hand it a transport.
 *
 * @throws TypeError when an option is invalid (unknown options included).
 * @example
 * import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
 * const server = createTestServer({ name: 'alpha', toolPrefix: 'a_' });
 * const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
 * await server.connect(serverSide);
 * await client.connect(clientSide);
 * await client.callTool({ name: 'a_echo', arguments: { text: 'hi' } });
 * getLedger(server).calls('a_echo'); // 1
 */
export function createTestServer(options?: TestServerOptions): McpServer {
  const o = resolveTestServerOptions(options);
  const mcp = new McpServer({ name: o.name, version: o.version });
  ledgers.set(mcp, o.ledger);
  registerTools(mcp, o);
  if (o.resources) registerResources(mcp, o);
  if (o.prompts) registerPrompts(mcp);
  return mcp;
}

/**
 * The execution ledger of a server made by {@link createTestServer} (the `ledger` option if one was
 * given, else the server's own).
 * @throws TypeError for a server not made by `createTestServer`.
 */
export function getLedger(server: McpServer): TestLedger {
  const ledger = ledgers.get(server);
  if (!ledger) throw new TypeError('[mcp-bridge] [@mcp-bridge/testing] getLedger: this server was not made by createTestServer');
  return ledger;
}
