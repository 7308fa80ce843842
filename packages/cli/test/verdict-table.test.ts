/**
 * The failure verdict table of docs/contracts.md, one test per row: every consumer (retry, the
 * breaker, the health plugin, core's default health, the cache's stale-if-error, metrics' error type,
 * merged-list status, the gateway) does with each kind what the table says, from the verdict alone.
 */
import {
  BridgeStateError,
  CircuitOpenError,
  defaultHealthPolicy,
  errorType,
  failureOf,
  InvalidRequestError,
  InvalidResponseError,
  NotFoundError,
  NoUpstreamError,
  OverloadedError,
  RetryExhaustedError,
  TimeoutError,
  UpstreamUnavailableError,
  ValidationError,
  type CallContext,
  type FailureKind,
  type Upstream,
} from '@mcp-bridge/core';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { isAvailabilityError } from '../../cache/src/entry.js';
import { failureStatus } from '../../core/src/catalog-sync.js';
import { countsAgainstUpstream } from '../../health/src/health-plugin.js';
import { classify, isAnswer, isUpstreamFailure } from '../../retry/src/classify.js';
import { toolFailure } from '../../server/src/errors.js';

/** What every consumer did with one failure. */
interface Outcome {
  kind: FailureKind;
  sent: boolean;
  breaker: 'counted' | 'alive' | 'ignored';
  health: boolean;
  coreHealth: boolean;
  retry: 'final' | 'unsent' | 'sent';
  stale: boolean;
  errorType: string;
  listStatus: string;
  gateway: string;
}

function outcome(error: unknown, options: { aborted?: boolean; trusted?: boolean } = {}): Outcome {
  const controller = new AbortController();
  if (options.aborted) controller.abort();
  const signal = controller.signal;
  const ctx = { method: 'tools/call', server: 's', params: { name: 't' }, signal } as unknown as CallContext;
  const verdict = failureOf(error, signal);
  let unhealthy = false;
  defaultHealthPolicy({ setHealth: (_up, state) => void (unhealthy = state === 'unhealthy') }).attempted(
    { health: 'healthy', status: 'ready' } as Upstream,
    ctx,
    error,
  );
  let gateway: string;
  try {
    const result = toolFailure(error, signal);
    gateway = `isError:${String((result._meta?.['mcp-bridge/error'] as { code?: string } | undefined)?.code)}`;
  } catch (thrown) {
    gateway = thrown === error && options.aborted ? 'dropped' : `rpc:${String((thrown as { code?: unknown }).code)}`;
  }
  return {
    kind: verdict.kind,
    sent: verdict.sent,
    breaker: isUpstreamFailure(error, ctx) ? 'counted' : isAnswer(error, ctx) ? 'alive' : 'ignored',
    health: countsAgainstUpstream(error, signal),
    coreHealth: unhealthy,
    retry: classify(error, ctx, new Set([-32603]), Date.now(), options.trusted ?? false).kind,
    stale: isAvailabilityError(error, signal),
    errorType: errorType(error, signal),
    listStatus: failureStatus(error).status,
    gateway,
  };
}

const unavailable = (data: Record<string, unknown> = {}, cause?: unknown): UpstreamUnavailableError =>
  new UpstreamUnavailableError('could not reach the server', { data: { server: 's', ...data }, cause });

describe('the failure verdict table (docs/contracts.md)', () => {
  it('cancelled: whatever the error, nothing is counted, retried or served stale', () => {
    for (const error of [unavailable(), new TimeoutError('t'), new McpError(-32603, 'x'), new Error('AbortError')]) {
      expect(outcome(error, { aborted: true })).toMatchObject({
        kind: 'cancelled',
        breaker: 'ignored',
        health: false,
        coreHealth: false,
        retry: 'final',
        stale: false,
        errorType: 'cancelled',
        gateway: 'dropped',
      });
    }
  });

  it('not-sent: never counted; resent as the reason allows; stale-if-error except a closed bridge or a local failure', () => {
    const common = { kind: 'not-sent', sent: false, breaker: 'ignored', health: false, coreHealth: false };
    expect(outcome(new CircuitOpenError('open', { data: { server: 's' } }))).toMatchObject({
      ...common,
      retry: 'unsent',
      stale: true,
      listStatus: 'circuit-open',
      errorType: 'circuit_open',
      gateway: 'isError:CIRCUIT_OPEN',
    });
    expect(outcome(new OverloadedError('full'))).toMatchObject({
      ...common,
      retry: 'unsent',
      stale: true,
      listStatus: 'error',
      errorType: 'overloaded',
    });
    expect(outcome(new TimeoutError('late', { data: { sent: false } }))).toMatchObject({
      ...common,
      retry: 'unsent',
      stale: true,
      listStatus: 'timeout',
      errorType: 'timeout',
    });
    expect(outcome(new NoUpstreamError('none'))).toMatchObject({
      ...common,
      retry: 'final',
      stale: true,
      errorType: 'no_upstream',
      gateway: 'isError:NO_UPSTREAM',
    });
    expect(outcome(new BridgeStateError('closed'))).toMatchObject({ ...common, retry: 'final', stale: false, errorType: 'bridge_state' });
    expect(outcome(new Error('a plugin bug'))).toMatchObject({
      ...common,
      retry: 'final',
      stale: false,
      errorType: '_OTHER',
      listStatus: 'error',
    });
    // An abort of the bridge's own (a DOMException has a numeric legacy code) is not an upstream's answer.
    expect(outcome(new DOMException('aborted', 'AbortError'))).toMatchObject({ ...common, retry: 'final', stale: false });
  });

  it('invalid-request: the caller’s fault, never counted against the upstream, never retried; -32602 at the gateway', () => {
    const common = {
      kind: 'invalid-request',
      sent: false,
      breaker: 'ignored',
      health: false,
      coreHealth: false,
      retry: 'final',
      stale: false,
      listStatus: 'error',
    };
    expect(outcome(new InvalidRequestError('cannot be serialised'))).toMatchObject({
      ...common,
      errorType: 'invalid_request',
      gateway: 'rpc:-32602',
    });
    expect(outcome(new NotFoundError('no tool', { data: { tool: 't' } }))).toMatchObject({
      ...common,
      errorType: 'not_found',
      gateway: 'rpc:-32602',
    });
    // The validation plugin's refusal of arguments stays a result a model can act on.
    expect(outcome(new ValidationError('bad args', { data: { kind: 'input' } }))).toMatchObject({
      ...common,
      errorType: 'validation_failed',
      gateway: 'isError:VALIDATION_FAILED',
    });
  });

  it('unreachable: counted by breaker and both healths; resent when proven unsent, else only when safe; a trusted 429 invites a resend', () => {
    const common = {
      kind: 'unreachable',
      breaker: 'counted',
      health: true,
      coreHealth: true,
      stale: true,
      errorType: 'upstream_unavailable',
      listStatus: 'unavailable',
      gateway: 'isError:UPSTREAM_UNAVAILABLE',
    };
    expect(outcome(unavailable())).toMatchObject({ ...common, sent: true, retry: 'sent' });
    expect(outcome(unavailable({ sent: false }))).toMatchObject({ ...common, sent: false, retry: 'unsent' });
    expect(failureOf(unavailable({ httpStatus: 404 }))).toMatchObject({
      kind: 'unreachable',
      sent: false,
      reason: 'session-lost',
      httpStatus: 404,
    });
    expect(outcome(unavailable({ httpStatus: 404 }))).toMatchObject({ ...common, sent: false, retry: 'unsent' });
    const throttled = unavailable(
      { httpStatus: 429 },
      new Error('Streamable HTTP error: Error POSTing to endpoint: {"retryAfterMs":1500}'),
    );
    expect(failureOf(throttled)).toMatchObject({ kind: 'unreachable', sent: true, httpStatus: 429, retryAfterMs: 1500 });
    expect(outcome(throttled)).toMatchObject({ ...common, sent: true, retry: 'sent' });
    expect(outcome(throttled, { trusted: true })).toMatchObject({ retry: 'unsent' });
  });

  it('timeout: counted by the breaker and the health plugin (not core’s default), resent only when safe', () => {
    expect(outcome(new TimeoutError('slow', { data: { server: 's', timeoutMs: 10 } }))).toMatchObject({
      kind: 'timeout',
      sent: true,
      breaker: 'counted',
      health: true,
      coreHealth: false,
      retry: 'sent',
      stale: true,
      errorType: 'timeout',
      listStatus: 'timeout',
      gateway: 'isError:TIMEOUT',
    });
  });

  it('answered: the upstream is alive; -32603 counts in the breaker and is resent when safe; semantic errors are final; passed through', () => {
    const common = { kind: 'answered', sent: true, health: false, coreHealth: false, stale: false, listStatus: 'error' };
    expect(outcome(new McpError(-32603, 'boom'))).toMatchObject({
      ...common,
      breaker: 'counted',
      retry: 'sent',
      errorType: '-32603',
      gateway: 'rpc:-32603',
    });
    expect(outcome(new McpError(-32602, 'bad'))).toMatchObject({
      ...common,
      breaker: 'alive',
      retry: 'final',
      errorType: '-32602',
      gateway: 'rpc:-32602',
    });
    const later = new McpError(-32000, 'busy', { retryAfterMs: 200 });
    expect(failureOf(later)).toMatchObject({ kind: 'answered', code: -32000, retryAfterMs: 200 });
    expect(outcome(later)).toMatchObject({ ...common, breaker: 'alive', retry: 'final' });
    expect(outcome(later, { trusted: true })).toMatchObject({ retry: 'unsent' });
  });

  it('invalid-answer: counted by the breaker, alive for health, never retried, no stale', () => {
    const common = {
      kind: 'invalid-answer',
      sent: true,
      breaker: 'counted',
      health: false,
      coreHealth: false,
      retry: 'final',
      stale: false,
      listStatus: 'error',
    };
    expect(outcome(new InvalidResponseError('not a result'))).toMatchObject({
      ...common,
      errorType: 'invalid_response',
      gateway: 'isError:INVALID_RESPONSE',
    });
    expect(outcome(new ValidationError('bad output', { data: { kind: 'output' } }))).toMatchObject({
      ...common,
      errorType: 'validation_failed',
    });
  });

  it('a retry that gave up carries its last failure’s verdict; the verdict is computed once per error', () => {
    const last = new TimeoutError('slow');
    const exhausted = new RetryExhaustedError('gave up after 3 attempts', { cause: last });
    expect(failureOf(exhausted)).toBe(last.verdict);
    expect(outcome(exhausted)).toMatchObject({
      kind: 'timeout',
      breaker: 'counted',
      stale: true,
      errorType: 'retry_exhausted',
      listStatus: 'timeout',
      gateway: 'isError:RETRY_EXHAUSTED',
    });
    const answer = new McpError(-32603, 'boom');
    expect(failureOf(answer)).toBe(failureOf(answer));
  });
});
