import type { Transport } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { FaultTransport, type FaultHooks } from '../fault/fault-transport.js';
import { modernInternals, type ModernTestServer } from './create-modern-test-server.js';

/** A modern test server serving one connection; `close()` ends it. */
export interface ModernConnection {
  close(): Promise<void>;
}

/**
 * Serves a modern test server over one message transport (stdio-shaped: one connection, the first
 * message picks the era) through the SDK's `serveStdio` entry, with the fault plan applied. For
 * in-memory tests, hand it one end of the client SDK's `InMemoryTransport.createLinkedPair()`.
 * A `drop-*` fault closes the transport (the stdio bin exits the process instead, see `hooks`).
 *
 * @example
 * const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
 * const served = serveModernTestServer(createModernTestServer({ era: 'modern-only' }), serverSide);
 * await client.connect(clientSide); // a v2 client negotiating 'auto' or pinned
 */
export function serveModernTestServer(server: ModernTestServer, transport: Transport, hooks?: Partial<FaultHooks>): ModernConnection {
  const { faults } = modernInternals(server);
  const end = (): void => void wire.close().catch(() => undefined);
  const wire: FaultTransport = new FaultTransport(transport, faults, { drop: hooks?.drop ?? end, crash: hooks?.crash ?? end });
  return serveStdio(server.factory, { legacy: server.era === 'dual' ? 'serve' : 'reject', transport: wire });
}
