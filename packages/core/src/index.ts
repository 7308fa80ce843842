/**
 * `@mcp-bridge/core`: the plugin host of mcp-bridge.
 *
 * @example
 * ```ts
 * import { createBridge } from '@mcp-bridge/core';
 * const bridge = createBridge({ servers: { echo: { command: 'node', args: ['server.js'] } } });
 * await bridge.start();
 * console.log((await bridge.callTool('echo', { text: 'hi' })).content);
 * await bridge.close();
 * ```
 * @packageDocumentation
 */
export { Bridge, createBridge } from './bridge.js';
export type { CallToolOptions, ListOptions, MergedList, ServerStatus } from './bridge.js';
export { definePlugin } from './define-plugin.js';
export type { PluginDefinition } from './define-plugin.js';
export type { BridgeExtensions, BridgeState, CallOptions, HostView, Plugin, PluginApi, PluginTool, PluginToolCall } from './plugin-api.js';
export type { BridgeEvents, CoreEvents, Listener, ServedRequest } from './event-types.js';
export type { CallLink, CallOrigin, CallerRequest, UpstreamRequest } from './types.js';
export { RequestSignal, type SignalLike } from './request-signal.js';
export type { BridgeOptions, BridgeServerConfig, CheckedServers } from './config.js';
export { serverTrusted, toolSafety, UNKNOWN_SAFETY } from './tool-safety.js';
export {
  BridgeError,
  BridgeStateError,
  CircuitOpenError,
  ConfigError,
  InvalidRequestError,
  InvalidResponseError,
  NameCollisionError,
  NoUpstreamError,
  NotFoundError,
  OverloadedError,
  PluginError,
  RetryExhaustedError,
  TimeoutError,
  UpstreamUnavailableError,
  ValidationError,
} from './errors.js';
export type { BridgeErrorOptions, PluginErrorCode } from './errors.js';
export { createNamer, NAME_PATTERN, stableHash, toValidName } from './naming.js';
export type { NamingOptions, NamingPolicy } from './naming.js';
export { createDefaultPool, defaultHealthPolicy, firstHealthyBalancer } from './default-services.js';
export { waitForCall } from './call-wait.js';
export { errorMessage, MAX_TIMER_MS, wait } from './helpers.js';
export { parsePluginOptions } from './plugin-options.js';
export { errorType, isToolError } from './error-type.js';
export { classifyFailure, failureOf, httpStatusOf, neverSent } from './failure.js';
export type { FailureKind, FailureVerdict, NotSentReason } from './failure.js';
export { parseRetryAfter } from './retry-after.js';
export { DEFAULT_REQUEST_LIMITS } from './request-bounds.js';
export type { RequestLimits } from './request-bounds.js';
export { MAX_REPLICAS } from './config.js';
export type { ResourceTarget } from './catalog.js';
export type { CatalogSnapshotStore, ServerSnapshot } from './catalog-snapshot-store.js';
export type { DefaultPoolOptions } from './default-services.js';
export { PHASES } from './types.js';
export { hasScopes } from './principal.js';
export type { Principal } from './principal.js';
export type {
  Balancer,
  CallContext,
  CallState,
  HealthHost,
  HealthPolicy,
  HealthPolicyFactory,
  HealthState,
  ListEntries,
  ListFilter,
  ListKind,
  ListTransform,
  ListView,
  ListedItems,
  McpMethod,
  MethodResults,
  Middleware,
  Namer,
  NameRequest,
  Next,
  Phase,
  Pool,
  PoolFactory,
  PoolHost,
  PromptEntry,
  ResultOf,
  ResourceEntry,
  ResourceTemplateEntry,
  ServerListStatus,
  ServerPolicyFields,
  ServerSettings,
  Services,
  SessionsMode,
  ToolEntry,
  ToolSafety,
  TransportService,
  Upstream,
  UpstreamConfig,
  UpstreamStatus,
} from './types.js';
export { CORE_VERSION } from './version.js';
export { isStateless } from './lane-upstream.js';
export { DEFAULT_MAX_SESSIONS, DEFAULT_SESSION_IDLE_MS, QUIET_MS, upstreamOf, type UpstreamSessionView } from './session-lanes.js';
// The MCP types a plugin works with, so a plugin needs no direct import of the SDK (and no second copy of it).
export type {
  CallToolResult,
  CompleteResult,
  ContentBlock,
  EmbeddedResource,
  GetPromptResult,
  ImageContent,
  Implementation,
  ListPromptsResult,
  ListResourcesResult,
  ListResourceTemplatesResult,
  ListToolsResult,
  Progress,
  Prompt,
  ReadResourceResult,
  Resource,
  ResourceTemplate,
  ServerCapabilities,
  TextContent,
  Tool,
} from '@modelcontextprotocol/sdk/types.js';
