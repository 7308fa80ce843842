import { getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';

/** Environment variable counting how many mcp-bridge hosts started one another. */
export const DEPTH_VARIABLE = 'MCP_BRIDGE_DEPTH';

/**
 * A stdio child's environment: the SDK's small safe default (HOME, PATH, ...), then this host's
 * nesting depth plus one, then the entry's own `env`. The depth is how a gateway started by a
 * gateway (a config that lists mcp-bridge itself) knows it, and refuses to recurse.
 */
export function childEnvironment(env: Record<string, string> | undefined): Record<string, string> {
  const depth = Number(process.env[DEPTH_VARIABLE] ?? 0);
  return { ...getDefaultEnvironment(), [DEPTH_VARIABLE]: String((Number.isInteger(depth) && depth > 0 ? depth : 0) + 1), ...env };
}
