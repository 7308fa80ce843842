import { retryAfterFromText, retryAfterFromData } from './retry-after.js';

/**
 * What a failure means, decided once (see `failure.ts` and docs/contracts.md for what every consumer
 * does with each kind):
 * - `cancelled`: the caller gave up; says nothing about the upstream.
 * - `not-sent`: the bridge itself refused before any transport (circuit open, bulkhead full, the
 *   deadline passed before the attempt, no upstream, bridge closed, a local plugin failure).
 * - `invalid-request`: the caller's request is wrong (unknown name, invalid or unserialisable
 *   arguments). Never counted against the upstream.
 * - `unreachable`: the transport failed (refused, reset, closed, an HTTP error status).
 * - `timeout`: the attempt was sent and no answer came in time.
 * - `answered`: the upstream answered with a JSON-RPC error: it is alive.
 * - `invalid-answer`: the upstream answered with something that is not a valid result.
 */
export type FailureKind = 'cancelled' | 'not-sent' | 'invalid-request' | 'unreachable' | 'timeout' | 'answered' | 'invalid-answer';

/** Why a `not-sent` (or an unsent `unreachable`) failure never reached the upstream's handler. */
export type NotSentReason =
  'circuit-open' | 'overloaded' | 'deadline' | 'no-upstream' | 'stopped' | 'local' | 'no-connection' | 'session-lost';

/** The one verdict on a failure. Read it with `failureOf(error)` or `bridgeError.verdict`. */
export interface FailureVerdict {
  readonly kind: FailureKind;
  /**
   * False when the request provably never reached the upstream's handler (so even a call that is not
   * idempotent may be sent again): the bridge refused, no connection existed or could be opened, or the
   * server answered HTTP 404 to a session it no longer knows (a compliant server, and a stopping
   * mcp-bridge gateway, answer 404 only to requests they never accepted).
   */
  readonly sent: boolean;
  /** Why it was not sent, when `sent` is false and the reason is known. */
  readonly reason?: NotSentReason;
  /** The HTTP status of a Streamable HTTP transport failure. */
  readonly httpStatus?: number;
  /** A delay the server asked for (Retry-After), ms. */
  readonly retryAfterMs?: number;
  /** The JSON-RPC error code of an `answered` failure. */
  readonly code?: number;
}

/** The verdict of the caller giving up. */
export const CANCELLED: FailureVerdict = Object.freeze({ kind: 'cancelled', sent: true });
/** The verdict of a failure inside the bridge (a plugin's own error, a thrown non-error). */
export const LOCAL: FailureVerdict = Object.freeze({ kind: 'not-sent', sent: false, reason: 'local' });

const notSent = (reason: NotSentReason): FailureVerdict => Object.freeze({ kind: 'not-sent', sent: false, reason });

/** Verdicts of the bridge's own codes that need no data. */
const BY_CODE: Readonly<Record<string, FailureVerdict>> = {
  CIRCUIT_OPEN: notSent('circuit-open'),
  OVERLOADED: notSent('overloaded'),
  NO_UPSTREAM: notSent('no-upstream'),
  BRIDGE_STATE: notSent('stopped'),
  INVALID_RESPONSE: Object.freeze({ kind: 'invalid-answer', sent: true }),
  NOT_FOUND: Object.freeze({ kind: 'invalid-request', sent: false }),
  INVALID_REQUEST: Object.freeze({ kind: 'invalid-request', sent: false }),
};

/** The shape of a bridge error this module reads (it must not import errors.ts: that imports it). */
interface CodedError extends Error {
  readonly code: string;
  readonly data: Record<string, unknown> | undefined;
}

/**
 * The verdict of a bridge error, from its code and data (set by the terminal, the pool, the retry
 * plugin ...). Called once per error: `BridgeError.verdict` caches it.
 */
export function verdictOfBridgeError(error: CodedError, now: number): FailureVerdict {
  const known = BY_CODE[error.code];
  if (known) return known;
  const data = error.data;
  switch (error.code) {
    case 'UPSTREAM_UNAVAILABLE': {
      const status = typeof data?.httpStatus === 'number' ? data.httpStatus : undefined;
      const retryAfterMs = status === 429 || status === 503 ? retryAfterFromText(causeText(error), now) : undefined;
      // The spec's 404 answers a session the server no longer knows: it refused the request unread.
      const reason: NotSentReason | undefined = status === 404 ? 'session-lost' : data?.sent === false ? 'no-connection' : undefined;
      return Object.freeze({
        kind: 'unreachable',
        sent: reason === undefined,
        ...(reason === undefined ? {} : { reason }),
        ...(status === undefined ? {} : { httpStatus: status }),
        ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      });
    }
    case 'TIMEOUT':
      // Out of time before the attempt started: the caller's deadline, not the upstream.
      return data?.sent === false ? notSent('deadline') : Object.freeze({ kind: 'timeout', sent: true });
    case 'VALIDATION_FAILED':
      // A result that does not match the tool's outputSchema is the upstream's answer; arguments are the caller's.
      return data?.kind === 'output' ? BY_CODE.INVALID_RESPONSE! : BY_CODE.INVALID_REQUEST!;
    case 'RETRY_EXHAUSTED':
      // What the last attempt's failure was is what the call's failure is.
      return error.cause === undefined ? LOCAL : verdictOfCause(error.cause, now);
    default:
      return LOCAL;
  }
}

function verdictOfCause(cause: unknown, now: number): FailureVerdict {
  const own = typeof cause === 'object' && cause !== null ? (cause as { verdict?: unknown }).verdict : undefined;
  if (own !== undefined && typeof own === 'object' && own !== null && 'kind' in own) return own as FailureVerdict;
  return verdictOfForeign(cause, now);
}

/**
 * The verdict of an error that is not the bridge's: a JSON-RPC error the upstream sent (the SDK's
 * `McpError`, from any copy of the SDK, or any error with a numeric JSON-RPC `code`) is `answered`, with its code and any Retry-After in its data;
 * anything else is a failure inside the bridge.
 */
export function verdictOfForeign(error: unknown, now: number): FailureVerdict {
  // A DOMException (AbortError ...) has a numeric legacy `code` too, but no upstream sent it.
  if (!(error instanceof Error) || (typeof DOMException !== 'undefined' && error instanceof DOMException)) return LOCAL;
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'number' || !Number.isInteger(code)) return LOCAL;
  const retryAfterMs = retryAfterFromData((error as { data?: unknown }).data, now);
  return Object.freeze({ kind: 'answered', sent: true, code, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });
}

/** The messages of an error and its causes: the SDK's HTTP error carries the response body only in its message. */
function causeText(error: Error): string {
  let text = error.message;
  for (let e: unknown = error.cause, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) text += ` ${e.message}`;
  return text;
}
