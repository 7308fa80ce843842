import { ProtocolError } from '@modelcontextprotocol/client';

// How a `tools/call` reaches a modern upstream. The v2 client's `callTool` mirrors the tool's
// `x-mcp-header` arguments as `Mcp-Param-*` headers (SEP-2243) and checks `structuredContent` against
// the tool's `outputSchema`; but per call it looks the tool up in its response cache (twice, async),
// scans its input schema, and builds its result validator by probing the era's zod schema with
// `undefined` (a failed parse whose error is formatted to a string: ~25-35 µs of CPU per call, more than
// the validation of the result itself). A tool that declares no `x-mcp-header` needs none of that: it is
// sent with the v2 client's `request` and the result schema the host gives, as every other method and
// every 2025 upstream call is. Output schemas are checked where the host checks them (the validation
// plugin), as on a 2025 upstream, never twice.

/** The JSON-RPC error a modern server answers when the `Mcp-Param-*` headers do not match the tool's declarations. */
export const HEADER_MISMATCH_CODE = -32020;

const X_MCP_HEADER = 'x-mcp-header';

/** Whether `schema` has an `x-mcp-header` key anywhere (deliberately broad: the SDK's own scan decides what it means). */
function mentionsHeaders(schema: unknown, depth = 0): boolean {
  if (schema === null || typeof schema !== 'object' || depth > 64) return false;
  if (Array.isArray(schema)) return schema.some((item) => mentionsHeaders(item, depth + 1));
  for (const [key, value] of Object.entries(schema)) {
    if (key === X_MCP_HEADER || mentionsHeaders(value, depth + 1)) return true;
  }
  return false;
}

/**
 * The tools of one modern upstream that may skip `callTool`: those the last complete `tools/list`
 * showed without any `x-mcp-header`. A tool never listed, or listed with headers, goes through `callTool`.
 */
export class CallToolRoute {
  #plain = new Set<string>();

  /** Learns from a complete (every page) `tools/list` result; the set is replaced, so removed tools are forgotten. */
  learn(result: { tools?: readonly { name: string; inputSchema?: unknown }[] }): void {
    const plain = new Set<string>();
    for (const tool of result.tools ?? []) if (!mentionsHeaders(tool.inputSchema)) plain.add(tool.name);
    this.#plain = plain;
  }

  /** Whether a call of this tool may be sent as a plain request (no `Mcp-Param-*` headers to mirror). */
  plain(name: unknown): boolean {
    return typeof name === 'string' && this.#plain.has(name);
  }

  /** After a header mismatch: the tool changed since it was listed; `callTool` (which refreshes the list) takes it from now on. */
  forget(name: unknown): void {
    if (typeof name === 'string') this.#plain.delete(name);
  }
}

/** Whether a failed request was refused because its `Mcp-Param-*` headers did not match (refused before it ran). */
export function isHeaderMismatch(error: unknown): boolean {
  return ProtocolError.isInstance(error) && error.code === HEADER_MISMATCH_CODE;
}
