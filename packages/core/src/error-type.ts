import { BridgeError } from './errors.js';
import { failureOf } from './failure.js';

/**
 * A low-cardinality name for why a call failed, in the spirit of OpenTelemetry's `error.type`, for
 * metrics labels, span attributes and log fields: `cancelled` when the caller aborted (checked
 * first), a bridge error's code in lower case (`timeout`, `retry_exhausted`, `circuit_open` ...), the
 * JSON-RPC code an upstream sent (`-32603`), else the error's class name, or `_OTHER`.
 *
 * @example
 * counter.inc({ outcome: 'error', error_type: errorType(error, ctx.signal) });
 */
export function errorType(error: unknown, signal?: AbortSignal): string {
  // The caller gave up: whatever the error looks like after that, it is not the upstream's fault.
  if (failureOf(error, signal).kind === 'cancelled') return 'cancelled';
  if (BridgeError.isInstance(error)) return String((error as { code: unknown }).code).toLowerCase();
  // The SDK's McpError, from any copy of the SDK: a JSON-RPC error the upstream sent.
  if (error instanceof Error && error.name === 'McpError' && typeof (error as { code?: unknown }).code === 'number') {
    return String((error as unknown as { code: number }).code);
  }
  if (error instanceof Error && error.name !== 'Error') return error.name;
  return '_OTHER';
}

/** True for a `tools/call` result the upstream marked `isError` (the call succeeded; the tool failed). */
export function isToolError(result: unknown): boolean {
  return typeof result === 'object' && result !== null && (result as { isError?: unknown }).isError === true;
}
