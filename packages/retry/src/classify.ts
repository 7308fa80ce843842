import {
  BridgeError,
  CircuitOpenError,
  InvalidResponseError,
  NoUpstreamError,
  OverloadedError,
  TimeoutError,
  UpstreamUnavailableError,
  type CallContext,
} from '@mcp-bridge/core';
import { retryAfterFromText, retryAfterMs } from './backoff.js';

/** Methods that only read: retried whatever the server. */
export const SAFE_METHODS: ReadonlySet<string> = new Set([
  'tools/list',
  'resources/list',
  'resources/templates/list',
  'resources/read',
  'prompts/list',
  'prompts/get',
  'completion/complete',
  'ping',
]);

/** What a failed attempt allows. */
export interface Verdict {
  /**
   * `unsent`: the upstream provably did not execute the request (never sent, circuit open, or
   * refused before running it: unknown session, 429) — any call may be resent.
   * `sent`: it may have executed — only calls safe to repeat may be resent.
   * `final`: never retried (JSON-RPC semantic errors, invalid results, the caller's abort ...).
   */
  kind: 'unsent' | 'sent' | 'final';
  /** Try another replica at once (no backoff): the failure says nothing about time. */
  immediate: boolean;
  /** Delay the server asked for, ms. */
  retryAfterMs: number | undefined;
  /** The server forgot the session (HTTP 404): wait for that connection to be replaced before resending. */
  sessionLost?: boolean;
}

const FINAL: Verdict = { kind: 'final', immediate: false, retryAfterMs: undefined };

/**
 * Classifies an attempt's failure. Core marks failures that happened before the request left the
 * bridge with `data.sent === false` (no connection, connect refused, time out before the attempt).
 */
export function classify(error: unknown, ctx: CallContext, retryableCodes: ReadonlySet<number>, now: number): Verdict {
  if (ctx.signal?.aborted) return FINAL;
  if (!(error instanceof Error)) return FINAL;
  if (BridgeError.isInstance(error)) {
    const data = (error as BridgeError).data;
    if (CircuitOpenError.isInstance(error)) return { kind: 'unsent', immediate: true, retryAfterMs: undefined };
    if (OverloadedError.isInstance(error)) return { kind: 'unsent', immediate: false, retryAfterMs: undefined };
    if (NoUpstreamError.isInstance(error) || InvalidResponseError.isInstance(error)) return FINAL;
    if (UpstreamUnavailableError.isInstance(error) || TimeoutError.isInstance(error)) {
      if (data?.sent === false) return { kind: 'unsent', immediate: false, retryAfterMs: undefined };
      const status = data?.httpStatus;
      // Refused before running: an unknown session (the spec's 404) or a 429 / 503 with Retry-After.
      if (status === 404) return { kind: 'unsent', immediate: false, retryAfterMs: undefined, sessionLost: true };
      if (status === 429 || status === 503) {
        const hint = retryAfterFromText(causeText(error), now);
        if (status === 429 || hint !== undefined) return { kind: 'unsent', immediate: false, retryAfterMs: hint };
      }
      return { kind: 'sent', immediate: false, retryAfterMs: undefined };
    }
    return FINAL;
  }
  // A JSON-RPC error the upstream answered with (the SDK's McpError, passed through by core).
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'number') return FINAL;
  const hint = retryAfterMs((error as { data?: unknown }).data, now);
  // An explicit Retry-After says the server refused the request and invites it again later.
  if (hint !== undefined) return { kind: 'unsent', immediate: false, retryAfterMs: hint };
  if (retryableCodes.has(code)) return { kind: 'sent', immediate: false, retryAfterMs: undefined };
  return FINAL;
}

/** Whether a failure is the upstream's fault, for the breaker. A semantic error means it answered: alive. */
export function isUpstreamFailure(error: unknown, ctx: CallContext): boolean {
  if (ctx.signal?.aborted || !(error instanceof Error)) return false;
  if (BridgeError.isInstance(error)) {
    if (UpstreamUnavailableError.isInstance(error)) return true;
    // A timeout before the attempt started is the caller's deadline, not the upstream.
    if (TimeoutError.isInstance(error)) return (error as BridgeError).data?.sent !== false;
    return InvalidResponseError.isInstance(error);
  }
  return (error as { code?: unknown }).code === -32603;
}

function causeText(error: Error): string {
  let text = error.message;
  for (let e: unknown = error.cause, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) text += ` ${e.message}`;
  return text;
}
