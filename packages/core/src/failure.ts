import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { BridgeError, InvalidRequestError, InvalidResponseError, TimeoutError, UpstreamUnavailableError } from './errors.js';
import { errorMessage } from './helpers.js';
import { CANCELLED, LOCAL, verdictOfBridgeError, verdictOfForeign, type FailureVerdict } from './failure-verdict.js';
import type { CallContext, Upstream } from './types.js';

export { CANCELLED } from './failure-verdict.js';
export type { FailureKind, FailureVerdict, NotSentReason } from './failure-verdict.js';

/** Verdicts of errors that are not the bridge's (JSON-RPC errors the upstream sent), kept with the error itself. */
const foreign = new WeakMap<object, FailureVerdict>();

/**
 * The one verdict on a failure: what the breaker, health, retry, the cache's stale-if-error, metrics
 * and the gateway do with it is read from this (the table is in docs/contracts.md). `cancelled` when
 * `signal` (the caller's) has aborted, whatever the error; a bridge error's own `verdict`; a JSON-RPC
 * error the upstream sent is `answered`; anything else is a failure inside the bridge (`not-sent`,
 * reason `local`). An `isError` tool result is not a failure at all: the call succeeded.
 *
 * Computed once per error (cached on it), and only on failure: nothing is added to a successful call.
 *
 * @example
 * ```ts
 * try { await bridge.callTool('pay', args) }
 * catch (error) { if (failureOf(error).sent) console.warn('the call may have run') }
 * ```
 */
export function failureOf(error: unknown, signal?: AbortSignal): FailureVerdict {
  if (signal?.aborted) return CANCELLED;
  if (BridgeError.isInstance(error)) {
    // An error from an older copy of core has no `verdict`: decide from its code as this copy would.
    return (error as BridgeError).verdict ?? verdictOfBridgeError(error as BridgeError, Date.now());
  }
  if (typeof error !== 'object' || error === null) return LOCAL;
  let verdict = foreign.get(error);
  if (verdict === undefined) {
    verdict = verdictOfForeign(error, Date.now());
    foreign.set(error, verdict);
  }
  return verdict;
}

/**
 * Classifies a failed attempt, at the terminal, once. JSON-RPC errors the upstream sent pass
 * through; the SDK's local timeout and closed-connection errors, and any transport failure (refused
 * connection, HTTP error, broken pipe), become bridge errors; a request that cannot be serialised is
 * the caller's (`InvalidRequestError`). Errors of the caller's own abort pass through.
 */
export function classifyFailure(error: unknown, ctx: CallContext, up: Upstream): unknown {
  if (error instanceof McpError) {
    if (error.code === (ErrorCode.RequestTimeout as number) && (error.data as { timeout?: unknown } | undefined)?.timeout !== undefined) {
      const ms = (error.data as { timeout: unknown }).timeout;
      return new TimeoutError(`${describeCall(ctx)} timed out after ${String(ms)} ms (attempt ${ctx.attempt})`, {
        cause: error,
        data: { server: ctx.server, upstream: up.id, method: ctx.method, timeoutMs: ms },
      });
    }
    if (error.code === (ErrorCode.ConnectionClosed as number) && /Connection closed/i.test(error.message)) {
      return new UpstreamUnavailableError(`${describeCall(ctx)} failed: server "${ctx.server}" closed the connection`, {
        cause: error,
        data: { server: ctx.server, upstream: up.id, method: ctx.method },
      });
    }
    failureOf(error);
    return error;
  }
  if (BridgeError.isInstance(error) || ctx.signal?.aborted) return error;
  if (isSchemaError(error)) {
    // The upstream answered, with something that is not a valid MCP result: not an availability problem.
    return new InvalidResponseError(`${describeCall(ctx)} answered with an invalid result: ${errorMessage(error).slice(0, 500)}`, {
      cause: error,
      data: { server: ctx.server, upstream: up.id, method: ctx.method },
    });
  }
  if (unserialisable(error, ctx.params)) {
    // The caller's own arguments broke the send (a hostile 20,000-deep nesting): not the upstream's failure.
    return new InvalidRequestError(
      `${describeCall(ctx)}: the request cannot be sent: its parameters cannot be serialised as JSON (${errorMessage(error)})`,
      {
        cause: error,
        data: { server: ctx.server, method: ctx.method },
      },
    );
  }
  const status = httpStatusOf(error);
  return new UpstreamUnavailableError(`${describeCall(ctx)} failed: could not reach the server: ${causeChain(error)}`, {
    cause: error,
    data: {
      server: ctx.server,
      upstream: up.id,
      method: ctx.method,
      ...(neverSent(error) ? { sent: false } : {}),
      ...(status !== undefined ? { httpStatus: status } : {}),
    },
  });
}

/**
 * Failures that provably happened before the request left the bridge: no connection to write on
 * (the SDK's `Not connected`, a transport's `ERR_NOT_CONNECTED`: a stdio child that exited or is
 * being closed), or a connection that could not be opened (refused, unknown host). Marked
 * `data.sent: false`, so a retry plugin may resend even a call that is not idempotent.
 */
const UNSENT_CODES = new Set(['ERR_NOT_CONNECTED', 'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** Whether a transport failure proves the request never left the bridge (see {@link UNSENT_CODES}). */
export function neverSent(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && UNSENT_CODES.has(code)) return true;
    if (depth === 0 && e.message === 'Not connected') return true;
  }
  return false;
}

/** The HTTP status of a Streamable HTTP transport error (`StreamableHTTPError.code`), for policies such as 429/503 handling. */
export function httpStatusOf(error: unknown): number | undefined {
  // The SDK's StreamableHTTPError keeps the name `Error`; its class name and message prefix tell it apart.
  if (
    !(error instanceof Error) ||
    (error.constructor.name !== 'StreamableHTTPError' && !error.message.startsWith('Streamable HTTP error:'))
  )
    return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'number' && code >= 100 && code < 600 ? code : undefined;
}

/**
 * Whether a local error came from serialising the request, in any transport: JSON.stringify overflows
 * the stack on deep nesting (RangeError), refuses cycles and BigInt (TypeError), and passes on what a
 * caller's `toJSON` throws (any error). Checked by serialising the parameters again, on failure only,
 * so a successful call pays nothing; params that cannot be serialised could not have been sent.
 */
function unserialisable(error: unknown, params: unknown): boolean {
  if (!(error instanceof Error)) return false;
  try {
    JSON.stringify(params);
    return false;
  } catch {
    return true;
  }
}

/** The SDK validates results with zod; a result that does not parse rejects with a ZodError. */
function isSchemaError(error: unknown): boolean {
  return error instanceof Error && (error.name === 'ZodError' || Array.isArray((error as { issues?: unknown }).issues));
}

/** `tool "x" of server "s"`, or `method on server "s"`: how messages name a call. */
export function describeCall(ctx: CallContext): string {
  return ctx.method === 'tools/call'
    ? `tool "${String(ctx.params.name)}" of server "${ctx.server}"`
    : `${ctx.method} on server "${ctx.server}"`;
}

/** `fetch failed` alone does not say why: add the causes' messages (ECONNREFUSED ...). */
function causeChain(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error, depth = 0; e !== undefined && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const message = errorMessage(e);
    if (message && !parts.includes(message)) parts.push(message);
    if (!(e instanceof Error)) break;
  }
  return parts.join(': ');
}
