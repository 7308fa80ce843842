import { failureOf, type CallContext, type FailureVerdict } from '@mcp-bridge/core';

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
  // A task's state and result (2025-era explicit task handles) only read: safe to ask again after a broken stream.
  'tasks/get',
  'tasks/result',
  'tasks/list',
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
const UNSENT: Verdict = { kind: 'unsent', immediate: false, retryAfterMs: undefined };

/** JSON-RPC errors that say the request itself is wrong: the same request would fail the same way. */
const SEMANTIC_CODES: ReadonlySet<number> = new Set([-32700, -32600, -32601, -32602]);

/**
 * What a failed attempt allows, read from core's verdict (`failureOf`, docs/contracts.md): nothing
 * here looks at the error itself. A server's own word that it refused a request before running it
 * (an HTTP 429, a 503 or a JSON-RPC error with Retry-After) is taken only from a `trusted` server:
 * any other server may have run the request before it answered, so its hint only sets the delay.
 */
export function classify(error: unknown, ctx: CallContext, retryableCodes: ReadonlySet<number>, _now: number, trusted = false): Verdict {
  const v = failureOf(error, ctx.signal);
  switch (v.kind) {
    case 'not-sent':
      // Nothing to send to (no upstream, a closed bridge) or a local failure: the same again would fail alike.
      if (v.reason === 'no-upstream' || v.reason === 'stopped' || v.reason === 'local') return FINAL;
      return v.reason === 'circuit-open' ? { kind: 'unsent', immediate: true, retryAfterMs: undefined } : UNSENT;
    case 'unreachable':
    case 'timeout':
      return fromTransport(v, trusted);
    case 'answered': {
      if (v.code === undefined || SEMANTIC_CODES.has(v.code)) return FINAL;
      // From a trusted server, an explicit Retry-After says it refused the request and invites it again later.
      if (v.retryAfterMs !== undefined && trusted) return { kind: 'unsent', immediate: false, retryAfterMs: v.retryAfterMs };
      if (retryableCodes.has(v.code)) return { kind: 'sent', immediate: false, retryAfterMs: v.retryAfterMs };
      return FINAL;
    }
    default:
      return FINAL;
  }
}

function fromTransport(v: FailureVerdict, trusted: boolean): Verdict {
  if (!v.sent) return v.reason === 'session-lost' ? { ...UNSENT, sessionLost: true } : UNSENT;
  const status = v.httpStatus;
  if (status === 429 || status === 503) {
    if (trusted && (status === 429 || v.retryAfterMs !== undefined))
      return { kind: 'unsent', immediate: false, retryAfterMs: v.retryAfterMs };
    return { kind: 'sent', immediate: false, retryAfterMs: v.retryAfterMs };
  }
  return { kind: 'sent', immediate: false, retryAfterMs: undefined };
}

/**
 * Whether a failure is the upstream's fault, for the breaker: it could not be reached, did not answer
 * in time, answered with an invalid result or with JSON-RPC "internal error" (-32603).
 */
export function isUpstreamFailure(error: unknown, ctx: CallContext): boolean {
  const v = failureOf(error, ctx.signal);
  return v.kind === 'unreachable' || v.kind === 'timeout' || v.kind === 'invalid-answer' || (v.kind === 'answered' && v.code === -32603);
}

/**
 * Whether a failure is an answer from the upstream (a JSON-RPC error it sent, an invalid result):
 * proof it is alive. A failure that never reached it (`not-sent`), the caller's own bad request, or
 * the caller giving up proves nothing either way.
 */
export function isAnswer(error: unknown, ctx: CallContext): boolean {
  const kind = failureOf(error, ctx.signal).kind;
  return kind === 'answered' || kind === 'invalid-answer';
}
