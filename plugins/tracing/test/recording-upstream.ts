import type { InMemoryFaultServerConfig } from '@mcp-bridge/testing';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

/** A request as the upstream received it. */
export interface Received {
  method: string;
  name: string | undefined;
  meta: Record<string, unknown> | undefined;
}

/**
 * The fault server with a tap on what it receives: each request's method, tool name and `_meta`
 * as they arrived over the (in-memory) transport, to check what the bridge really sent.
 */
export function recordingUpstream(fault: InMemoryFaultServerConfig): { config: Record<string, unknown>; received: Received[] } {
  const received: Received[] = [];
  const config = {
    ...fault,
    server: async () => {
      const inner = await fault.server();
      return {
        connect: (transport: Transport) => inner.connect(tap(transport, received)),
        close: () => inner.close(),
      };
    },
  };
  return { config, received };
}

function tap(transport: Transport, received: Received[]): Transport {
  const proxy = {
    start: () => transport.start(),
    send: (message: JSONRPCMessage, options?: Parameters<Transport['send']>[1]) => transport.send(message, options),
    close: () => transport.close(),
  } as Transport;
  Object.defineProperty(proxy, 'sessionId', { get: () => transport.sessionId });
  Object.defineProperty(proxy, 'onmessage', {
    get: () => transport.onmessage,
    set: (handler: Transport['onmessage']) => {
      transport.onmessage = handler
        ? (message, extra) => {
            if ('method' in message && 'id' in message) {
              const params = (message.params ?? {}) as Record<string, unknown>;
              received.push({
                method: message.method,
                name: typeof params.name === 'string' ? params.name : undefined,
                meta: params._meta as Record<string, unknown> | undefined,
              });
            }
            handler(message, extra);
          }
        : undefined;
    },
  });
  for (const key of ['onclose', 'onerror'] as const) {
    Object.defineProperty(proxy, key, { get: () => transport[key], set: (handler: never) => void (transport[key] = handler) });
  }
  return proxy;
}
