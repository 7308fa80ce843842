import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Connection } from '@mcp-bridge/transports';
import type { CallContext, HealthState, Upstream } from './types.js';

/** The host's own lifecycle events: only the host emits them (`api.emit` refuses their names). */
export interface CoreEvents {
  'upstream:add': { server: string; upstream: Upstream };
  'upstream:remove': { server: string; upstream: Upstream };
  'upstream:health': { server: string; upstream: Upstream; state: HealthState; previous: HealthState; reason?: string };
  'connect:before': { server: string; upstream: Upstream; attempt: number };
  'connect:after': { server: string; upstream: Upstream; connection: Connection; durationMs: number };
  'connect:error': { server: string; upstream: Upstream; error: Error; durationMs: number };
  /** Every notification an upstream sends (progress is delivered to the caller instead). */
  notification: {
    server: string;
    upstream: Upstream;
    /** The upstream connection it arrived on (`bridge.upstreamSession(client)` tells whose session it is). */
    client: Client;
    method: string;
    params: Record<string, unknown> | undefined;
  };
  'catalog:changed': { server: string; kinds: readonly ('tools' | 'resources' | 'prompts')[] };
  /**
   * A list entry of a server was repaired (e.g. an input schema without `type: "object"`) or dropped
   * (invalid beyond repair) instead of failing the server's whole list. Reported when the list changes.
   */
  'catalog:warning': {
    server: string;
    kind: 'tools' | 'prompts' | 'resources' | 'templates';
    name: string;
    problem: string;
    action: 'repaired' | 'dropped';
  };
  'call:error': { ctx: CallContext; error: unknown };
  /**
   * A client for an upstream was created and is not connected yet: the place to register handlers
   * for server-to-client requests (sampling, elicitation, roots). Runs once per connection attempt.
   */
  'client:created': { server: string; upstream: Upstream; client: Client };
  'host:ready': { servers: readonly string[] };
  /**
   * A server's first listing settled: it is no longer `starting`. `ok: false` with the error of its
   * first failed list when it did not come up (it is retried on use, or in the background).
   */
  'server:started': { server: string; ok: boolean; durationMs: number; error?: string };
  'host:close': Record<string, never>;
  /**
   * A gateway answered a request of a downstream MCP client: every method, also the ones it answers
   * itself (`initialize`, `ping`, the lists from the catalog). The gateway reports it with
   * `bridge.reportServed()`; a library call on the bridge is not one.
   */
  'request:served': ServedRequest;
}

/** One request a gateway served for a downstream MCP client (see the `request:served` event). */
export interface ServedRequest {
  /** The MCP method the client sent. */
  readonly method: string;
  /** Who asked (the session's caller). */
  readonly caller: string;
  /** How the client reached the gateway: `tcp` (Streamable HTTP) or `pipe` (stdio). */
  readonly transport: 'tcp' | 'pipe';
  /** The protocol version negotiated with this client ('' before its `initialize` was answered). */
  readonly protocolVersion: string;
  /** From the request's arrival to its answer being written. */
  readonly durationMs: number;
  /**
   * '' when answered; else the failure verdict's type (see `errorType`) when the call failed in the
   * bridge, `tool_error` for an `isError` result, or the JSON-RPC error code of an error answer.
   */
  readonly errorType: string;
  /** `tools/call`: the tool name the client asked for. */
  readonly tool?: string;
  /** The logical server the request was sent to, when it was sent to one. */
  readonly server?: string;
}

/**
 * Lifecycle events, typed by declaration merging. Plugins declare their own:
 *
 * @example
 * ```ts
 * declare module '@mcp-bridge/core' {
 *   interface BridgeEvents { 'retry:attempt': { ctx: CallContext; attempt: number; delayMs: number } }
 * }
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface BridgeEvents extends CoreEvents {}

/** An event listener. */
export type Listener<E extends keyof BridgeEvents> = (payload: BridgeEvents[E]) => void;
