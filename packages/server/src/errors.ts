import { BridgeError, NotFoundError } from '@mcp-bridge/core';
import { ErrorCode, McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';

/** JSON-RPC code for "resource not found" (MCP spec, resources). */
const RESOURCE_NOT_FOUND = -32002;

/**
 * What a failed `tools/call` becomes for the downstream client. JSON-RPC errors the upstream sent
 * pass through unchanged, and an unknown tool is a JSON-RPC `InvalidParams` error (as the spec asks);
 * anything else (upstream down, timeout, circuit open, overload, invalid answer) is an `isError`
 * result naming the server and the cause, which a model can read and act on.
 */
export function toolFailure(error: unknown, signal: AbortSignal): CallToolResult {
  if (signal.aborted) throw error;
  if (error instanceof McpError) throw passThrough(error);
  if (NotFoundError.isInstance(error)) throw new McpError(ErrorCode.InvalidParams, (error as Error).message, bridgeData(error));
  const message = error instanceof Error ? error.message : String(error);
  return {
    isError: true,
    content: [{ type: 'text', text: message }],
    _meta: { 'mcp-bridge/error': bridgeData(error) ?? { code: 'ERROR' } },
  };
}

/** What a failed request other than `tools/call` becomes: always a JSON-RPC error. */
export function requestFailure(error: unknown, signal: AbortSignal, kind: 'resource' | 'other' = 'other'): never {
  if (signal.aborted) throw error;
  if (error instanceof McpError) throw passThrough(error);
  const message = error instanceof Error ? error.message : String(error);
  if (NotFoundError.isInstance(error)) throw new McpError(kind === 'resource' ? RESOURCE_NOT_FOUND : ErrorCode.InvalidParams, message, bridgeData(error));
  throw new McpError(ErrorCode.InternalError, message, bridgeData(error));
}

function bridgeData(error: unknown): Record<string, unknown> | undefined {
  if (!BridgeError.isInstance(error)) return undefined;
  const e = error as BridgeError;
  return { code: e.code, ...(e.data ?? {}) };
}

/**
 * A JSON-RPC error to send on as it came. The SDK prefixes `MCP error <code>: ` to the message of
 * every error it receives, and would send that prefix on: each hop would add one more.
 */
export function passThrough(error: McpError): Error {
  return rpcError(error.code, error.message.replace(/^(MCP error -?\d+: )+/, ''), error.data);
}

/** An error the SDK sends as a JSON-RPC error with exactly this code, message and data. */
export function rpcError(code: number, message: string, data?: unknown): Error {
  return Object.assign(new Error(message), { code, ...(data === undefined ? {} : { data }) });
}
