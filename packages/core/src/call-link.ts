import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { RequestSignal } from './request-signal.js';
import type { McpMethod, Upstream } from './types.js';

/**
 * Why a call runs: `caller` (the client API, the gateway's downstream calls), `catalog` (the
 * host's own list refreshes), `revalidate` (a cache's stale-while-revalidate refresh), `probe` (a
 * health probe). Plugins read it instead of guessing from `caller` strings or signals.
 */
export type CallOrigin = 'caller' | 'catalog' | 'revalidate' | 'probe';

/** One upstream request the terminal sends for a linked call (see {@link CallLink}). */
export interface UpstreamRequest {
  /** The logical server. */
  readonly server: string;
  /** The replica it goes to. */
  readonly upstream: Upstream;
  /** The upstream connection it is written on: what that connection asks or reports meanwhile belongs to this call. */
  readonly client: Client;
  /** The MCP method sent. */
  readonly method: McpMethod;
}

/** A request to the caller: 2025 sampling/elicitation/roots, or one input request of a 2026 `input_required` result. */
export interface CallerRequest {
  readonly method: string;
  readonly params?: Record<string, unknown>;
}

/**
 * The downstream call a bridge call serves, as a first-class field of the call (`CallOptions.link`,
 * copied onto `CallContext.link` and kept by derived contexts `{ ...ctx }`): who made it and how to
 * reach them. Opaque to core and plugins: the terminal (core's call path, where it sends the SDK
 * request) calls {@link sent} and {@link settled} around every upstream request of the call, so
 * whoever created the link (the gateway) knows which upstream connections are working for its
 * caller right now, whatever plugins retried, hedged or re-routed. That is how an upstream's
 * server-to-client request, progress and cancellation find their caller: never by patching the SDK
 * or by guessing from the calls that happen to be in flight.
 *
 * The era-independent seam: a 2025 upstream's sampling/elicitation/roots request is routed (by the
 * gateway, from the connection it arrived on) to the link whose request is in flight there and sent
 * with {@link ask}; a 2026 upstream's `input_required` result comes back to the terminal of the very
 * call, which asks `ctx.link` the same way and sends the request again with the answers.
 */
export interface CallLink {
  /** The caller's cancellation: the call's `signal` when `CallOptions.signal` is not given. */
  readonly signal: AbortSignal | undefined;
  /**
   * Optional: one view of {@link signal} (`new RequestSignal(signal, true)`) shared by every upstream
   * request of the call that still has this signal, so the signal gets one `abort` listener per call
   * instead of one added and removed per request. Worth it for a signal made per call (a downstream
   * request's); never release it while the call runs.
   */
  readonly requestSignal?: RequestSignal | undefined;
  /** The terminal is about to send `request` for this call (synchronously, right before the SDK request). Must not throw. */
  sent(request: UpstreamRequest): void;
  /** That request settled: answered, failed or cancelled. Called once per {@link sent}; must not throw. */
  settled(request: UpstreamRequest): void;
  /**
   * Asks the caller (sampling, elicitation, roots) as part of this call, so the request travels
   * with it (over HTTP, on the call's own response stream). Rejects when the caller cannot be asked.
   */
  ask(request: CallerRequest, options: { signal?: AbortSignal; timeout?: number }): Promise<Record<string, unknown>>;
}
