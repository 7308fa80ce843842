import type { Client } from '@modelcontextprotocol/sdk/client/index.js';

const ordered = new WeakSet<object>();

/**
 * Makes a connected SDK client deliver every progress notification of a request before its
 * response.
 *
 * Why: the SDK client handles notifications one microtask late but responses at once, and drops a
 * request's progress handler when its response arrives. Progress notifications that reach the
 * client in the same read as the response (common over stdio, where a server writes its last
 * progress and its result back to back) are then lost: the caller's `onprogress` never sees them,
 * and the SDK reports "unknown token" errors. Here a response to a request that has a progress
 * handler waits one microtask, behind the notifications read before it. Other responses are
 * delivered at once.
 */
export function deliverProgressFirst(client: Client): void {
  const transport = client.transport;
  if (!transport || ordered.has(transport)) return;
  ordered.add(transport);
  const deliver = transport.onmessage;
  if (!deliver) return;
  // The SDK's table of progress handlers by request id (internal; when it is not there, every response waits).
  const progress = (client as unknown as { _progressHandlers?: unknown })._progressHandlers;
  const handlers = progress instanceof Map ? (progress as Map<unknown, unknown>) : undefined;
  transport.onmessage = (message, extra) => {
    // A resolved promise, not queueMicrotask: that one allocates an AsyncResource per call.
    if ('id' in message && !('method' in message) && (handlers === undefined || handlers.has(message.id))) {
      void Promise.resolve().then(() => deliver.call(transport, message, extra));
    } else deliver.call(transport, message, extra);
  };
}
