import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { DiscoverResult } from '@modelcontextprotocol/client';
import type { ProtocolEra } from './protocol.js';

const noop = (): void => undefined;

/** What a successful handshake leaves: the live transport and its `closed` signal. */
export interface Established {
  client: Client;
  transport: Transport;
  closed: Promise<void>;
  /** The protocol version the server answered `initialize` with, or the one `server/discover` settled on. */
  protocolVersion: string | undefined;
  /** The era the connection speaks. */
  era: ProtocolEra;
  /** The modern era's `server/discover` result. */
  discover?: DiscoverResult;
}

/**
 * Makes `transport.close()` idempotent. The SDK's HTTP transports fire `onclose` on every call, and
 * a failed handshake may close from two sides (the SDK client's own cleanup and ours).
 */
export function closeOnce<T extends Transport>(transport: T): T {
  const close = transport.close.bind(transport);
  let closing: Promise<void> | undefined;
  transport.close = () => (closing ??= close().catch(noop));
  return transport;
}
