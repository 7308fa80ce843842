import { BridgeError, failureOf } from '@mcp-bridge/core';
import { ErrorCode, McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { publicData, publicMessage } from './public-error.js';

/** JSON-RPC code for "resource not found" (MCP spec, resources). */
const RESOURCE_NOT_FOUND = -32002;

/**
 * What a failed `tools/call` becomes for the downstream client. JSON-RPC errors the upstream sent
 * pass through unchanged, and an unknown tool or a request that cannot be sent as it is (core's
 * verdict `invalid-request`) is a JSON-RPC `InvalidParams` error (as the spec asks); arguments the
 * validation plugin rejected stay a result a model can act on; anything else (upstream down, timeout, circuit open, overload, invalid answer) is an `isError`
 * result naming the server and the kind of failure, which a model can read and act on. What leaves
 * is the client-safe text ({@link publicMessage}): never a command line, URL or upstream error page.
 */
export function toolFailure(error: unknown, signal: AbortSignal): CallToolResult {
  if (signal.aborted) throw error;
  if (error instanceof McpError) throw passThrough(error);
  if (isInvalidParams(error)) throw new McpError(ErrorCode.InvalidParams, publicMessage(error), publicData(error));
  const message = publicMessage(error);
  return {
    isError: true,
    content: [{ type: 'text', text: message }],
    _meta: { 'mcp-bridge/error': publicData(error) ?? { code: 'ERROR' } },
  };
}

/** What a failed request other than `tools/call` becomes: always a JSON-RPC error. */
export function requestFailure(error: unknown, signal: AbortSignal, kind: 'resource' | 'other' = 'other'): never {
  if (signal.aborted) throw error;
  if (error instanceof McpError) throw passThrough(error);
  const message = publicMessage(error);
  if (isInvalidParams(error)) {
    const notFound = (error as BridgeError).code === 'NOT_FOUND';
    throw new McpError(kind === 'resource' && notFound ? RESOURCE_NOT_FOUND : ErrorCode.InvalidParams, message, publicData(error));
  }
  throw new McpError(ErrorCode.InternalError, message, publicData(error));
}

/** The caller's own bad request, by core's verdict (a ValidationError is the validation plugin's answer to a model instead). */
function isInvalidParams(error: unknown): boolean {
  return (
    BridgeError.isInstance(error) && failureOf(error).kind === 'invalid-request' && (error as BridgeError).code !== 'VALIDATION_FAILED'
  );
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
