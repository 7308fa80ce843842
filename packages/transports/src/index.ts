/**
 * `@mcp-bridge/transports`: from an `mcpServers`-style config entry to a connected, initialized
 * MCP SDK `Client` — stdio, Streamable HTTP, legacy SSE or in-memory.
 *
 * This entry imports nothing node-only; the stdio connector lives in the
 * `@mcp-bridge/transports/stdio` subpath and is loaded on first use.
 *
 * @example
 * import { connect, parseServersConfig, formatConfigIssue } from '@mcp-bridge/transports';
 *
 * const { servers, issues } = parseServersConfig(config.mcpServers);
 * issues.forEach((issue) => console.warn(formatConfigIssue(issue)));
 * const connection = await connect('github', servers.github!);
 * const result = await connection.client.callTool({ name: 'search_repositories', arguments: { query: 'mcp' } });
 * await connection.close();
 *
 * @module
 */
export {
  formatConfigIssue,
  formatConfigPath,
  httpServerConfigSchema,
  inMemoryServerConfigSchema,
  parseServerConfig,
  parseServersConfig,
  sandboxConfigSchema,
  stdioServerConfigSchema,
  type ConfigIssue,
  type ParseServerConfigResult,
  type ParseServersConfigResult,
} from './config.js';
export { connect, DEFAULT_CLIENT_INFO, DEFAULT_CONNECT_TIMEOUT_MS } from './connect.js';
export { isUnknownSessionError } from './http.js';
export { LEGACY_VERDICT_MS, STDIO_PROBE_MS } from './modern-connect.js';
export { ResponseStreamLostError } from './stream-loss.js';
export { DEFAULT_MAX_INPUT_ROUNDS, type AskCaller, type EmbeddedRequest } from './input-rounds.js';
export { LOG_LEVEL_META_KEY, ModernUpstreamClient, type UpstreamRequestOptions } from './modern-client.js';
export {
  LEGACY_PROTOCOL_VERSION,
  MODERN_PROTOCOL_VERSION,
  PROTOCOL_CHOICES,
  protocolSchema,
  type ProtocolEra,
  type UpstreamProtocol,
} from './protocol.js';
export {
  createTokenExchanger,
  TokenExchangeError,
  type TokenExchangeOptions,
  type TokenExchanger,
} from './upstream-auth/token-exchange.js';
export {
  fetchWithCredentials,
  upstreamCredentials,
  UpstreamCredentialError,
  type UpstreamAuthConfig,
  type UpstreamCredentials,
  type UpstreamPrincipal,
} from './upstream-auth/principal-credentials.js';
export { upstreamAuthSchema } from './upstream-auth/auth-schema.js';
export {
  isTransportKind,
  TRANSPORT_KINDS,
  TRANSPORT_TYPE_ALIASES,
  transportKindFromType,
  transportKindOf,
  type TransportKind,
} from './kinds.js';
export type {
  ConnectOptions,
  Connection,
  HttpServerConfig,
  InMemoryServerConfig,
  McpServerLike,
  SandboxConfig,
  ServerConfig,
  StdioServerConfig,
} from './types.js';
