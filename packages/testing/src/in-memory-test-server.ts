import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { createTestServer } from './create-test-server.js';
import { TestLedger } from './ledger.js';
import type { TestServerOptions } from './options.js';
import { resolveTestServerOptions } from './options.js';

/**
 * An in-memory server config (the shape `@mcp-bridge/transports` accepts) plus the shared ledger.
 * A type alias, not an interface, so it stays assignable to config types with an index signature.
 */
export type InMemoryTestServerConfig = {
  type: 'in-memory';
  /** Makes a fresh server per connection; all of them record into `ledger`. */
  server: () => McpServer;
  /** The ledger every server made by `server()` records into (`options.ledger` if given). */
  ledger: TestLedger;
};

/**
 * An in-memory upstream config for a bridge: `{ type: 'in-memory', server: () => createTestServer(options) }`.
 * Options are validated now, not on first connect.
 *
 * @example
 * const bridge = createBridge({ servers: { alpha: inMemoryTestServer({ name: 'alpha' }) } });
 */
export function inMemoryTestServer(options: TestServerOptions = {}): InMemoryTestServerConfig {
  resolveTestServerOptions(options);
  const shared = { ...options, ledger: options.ledger ?? new TestLedger() };
  return { type: 'in-memory', server: () => createTestServer(shared), ledger: shared.ledger };
}
