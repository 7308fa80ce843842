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
   * `unsent`: the upstream provably did not execute the request (never sent, circuit open, an
   * unknown session, or a trusted server's refusal with 429 / Retry-After) — any call may be resent.
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

/** JSON-RPC errors that say the request itself is wrong: the same request would fail the same way. */
const SEMANTIC_CODES: ReadonlySet<number> = new Set([-32700, -32600, -32601, -32602]);

/**
 * Classifies an attempt's failure. Core marks failures that happened before the request left the
 * bridge with `data.sent === false` (no connection, connect refused, time out before the attempt).
 * A server's own word that it refused a request before running it (a 429, a 503 or a JSON-RPC
 * error with Retry-After) is taken only from a `trusted` server: any other server may have run the
 * request before it answered, so its hint only sets the delay.
 */
export function classify(error: unknown, ctx: CallContext, retryableCodes: ReadonlySet<number>, now: number, trusted = false): Verdict {
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
        if (trusted && (status === 429 || hint !== undefined)) return { kind: 'unsent', immediate: false, retryAfterMs: hint };
        return { kind: 'sent', immediate: false, retryAfterMs: hint };
      }
      return { kind: 'sent', immediate: false, retryAfterMs: undefined };
    }
    return FINAL;
  }
  // A JSON-RPC error the upstream answered with (the SDK's McpError, passed through by core).
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'number') return FINAL;
  if (SEMANTIC_CODES.has(code)) return FINAL;
  const hint = retryAfterMs((error as { data?: unknown }).data, now);
  // From a trusted server, an explicit Retry-After says it refused the request and invites it again later.
  if (hint !== undefined && trusted) return { kind: 'unsent', immediate: false, retryAfterMs: hint };
  if (retryableCodes.has(code)) return { kind: 'sent', immediate: false, retryAfterMs: hint };
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

/**
 * Whether a failure is an answer from the upstream (a JSON-RPC error it sent, an invalid result):
 * proof it is alive. A failure that never reached it (`data.sent === false`, a refusal of the
 * bulkhead, a closed bridge), or that the caller caused by giving up, proves nothing either way.
 */
export function isAnswer(error: unknown, ctx: CallContext): boolean {
  if (ctx.signal?.aborted || !(error instanceof Error)) return false;
  if (BridgeError.isInstance(error)) return InvalidResponseError.isInstance(error);
  return typeof (error as { code?: unknown }).code === 'number';
}
