import type { ClientCapabilities } from '@modelcontextprotocol/sdk/types.js';

/**
 * The client capabilities a gateway can honour towards upstreams: pass them (a fresh object each call) as the bridge's
 * `clientCapabilities`. Upstream connections are shared by every downstream client and opened
 * before any of them connects, so the bridge announces what the gateway can route; each
 * server-to-client request is then checked against the capabilities of the client it is routed
 * to, and refused with a JSON-RPC error naming the missing capability when that client lacks it.
 *
 * @example
 * ```ts
 * const bridge = createBridge({ servers, clientCapabilities: gatewayClientCapabilities() });
 * ```
 */
export function gatewayClientCapabilities(): ClientCapabilities {
  return { sampling: {}, elicitation: { form: {}, url: {} }, roots: { listChanged: true } };
}
