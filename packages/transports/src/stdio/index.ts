/**
 * `@mcp-bridge/transports/stdio`: the node-only part of the package. The root entry imports it
 * lazily, only when a stdio server is connected, so the root stays loadable outside Node.
 *
 * @module
 */
import type { StdioServerConfig } from '../types.js';
import { StdioTransport } from './stdio-transport.js';
export { signalLiveGroups } from './live-groups.js';
export { reaperPid } from './reaper.js';
export { BWRAP_VARIABLE, SandboxUnavailableError, sandboxSupport, type SandboxSupport } from './sandbox.js';

export {
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_SHUTDOWN_GRACE_MS,
  DEFAULT_STDERR_BUFFER_BYTES,
  StdioTransport,
  type StdioExit,
  type StdioTransportOptions,
} from './stdio-transport.js';

/**
 * Builds a `StdioTransport` from a validated stdio config entry (see `parseServerConfig`).
 *
 * @example
 * import { createStdioTransport } from '@mcp-bridge/transports/stdio';
 * const transport = createStdioTransport('fs', { command: 'npx', args: ['-y', '@modelcontextprotocol/server-filesystem', '.'] });
 * await client.connect(transport);
 */
export function createStdioTransport(server: string, config: StdioServerConfig): StdioTransport {
  const { command, args, env, cwd, stderrBufferBytes, shutdownGraceMs, maxMessageBytes, sandbox } = config;
  return new StdioTransport({ server, command, args, env, cwd, stderrBufferBytes, shutdownGraceMs, maxMessageBytes, sandbox });
}
