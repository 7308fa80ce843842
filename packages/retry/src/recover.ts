import { RetryExhaustedError, type CallContext, type Next, type PluginApi } from '@mcp-bridge/core';
import { fullJitterDelay, sleep, within } from './backoff.js';
import { classify } from './classify.js';
import type { GiveUpReason } from './give-up.js';
import type { Policy } from './policy.js';

const PLUGIN = '@mcp-bridge/retry';

/** What the retry loop needs besides the call and its policy. */
export interface RetrySettings {
  readonly api: PluginApi;
  readonly random: () => number;
  readonly retryableCodes: ReadonlySet<number>;
  readonly maxRetryAfterMs: number;
}

/**
 * Retries a call whose first attempt failed with `first`, while its policy, the failure, the
 * deadline and the budget allow; resolves with the first answer, or gives up (see {@link giveUp}).
 */
export async function recover(r: RetrySettings, ctx: CallContext, next: Next, policy: Policy, first: unknown): Promise<unknown> {
  const { api } = r;
  let error = first;
  let made = 1;
  for (;;) {
    const now = Date.now();
    const verdict = classify(error, ctx, r.retryableCodes, now, policy.trusted);
    if (verdict.kind === 'final') return giveUp(api, ctx, made, 'not-retryable', error);
    if (verdict.kind === 'sent' && !policy.safe) return giveUp(api, ctx, made, 'unsafe', error);
    if (made >= policy.attempts) return giveUp(api, ctx, made, 'attempts', error);
    let delay = verdict.immediate ? 0 : fullJitterDelay(made, policy.baseDelayMs, policy.maxDelayMs, r.random);
    if (verdict.retryAfterMs !== undefined) {
      if (verdict.retryAfterMs > r.maxRetryAfterMs) return giveUp(api, ctx, made, 'deadline', error);
      delay = Math.max(delay, verdict.retryAfterMs);
    }
    // No attempt starts after the deadline: do not even wait for one that could not start.
    if (now + delay >= ctx.deadline) return giveUp(api, ctx, made, 'deadline', error);
    // A resend of something that never reached the upstream adds no load to it: budget-free.
    if (verdict.kind === 'sent' && policy.budget && !policy.budget.tryWithdraw(now)) return giveUp(api, ctx, made, 'budget', error);
    if (api.hasListeners('retry:attempt')) api.emit('retry:attempt', { ctx, attempt: made + 1, delayMs: delay, error });
    // The transport closes a connection whose session the server forgot; a resend on it before it
    // is gone would fail on the closing connection, so wait for the new one (bounded by the deadline).
    const lost = verdict.sessionLost && ctx.upstream ? api.host.connection(ctx.upstream) : undefined;
    if (lost) {
      try {
        await within(lost.closed, Math.min(2_000, ctx.deadline - Date.now()), ctx.signal, api.signal);
      } catch {
        throw error;
      }
      if (Date.now() >= ctx.deadline) return giveUp(api, ctx, made, 'deadline', error);
    }
    if (delay > 0) {
      try {
        await sleep(delay, ctx.signal, api.signal);
      } catch {
        throw error;
      }
      if (Date.now() >= ctx.deadline) return giveUp(api, ctx, made, 'deadline', error);
    }
    made++;
    if (policy.attemptTimeoutMs !== undefined) ctx.attemptTimeout = policy.attemptTimeoutMs;
    try {
      return await next();
    } catch (e) {
      error = e;
    }
  }
}

/**
 * Stops retrying: tells `retry:giveup` listeners, then throws the failure as it was (one attempt,
 * or a final answer) or a `RetryExhaustedError` naming the attempts and the reason.
 */
export function giveUp(api: PluginApi, ctx: CallContext, attempts: number, reason: GiveUpReason, error: unknown): never {
  if (api.hasListeners('retry:giveup')) api.emit('retry:giveup', { ctx, attempts, reason, error });
  // One attempt, or an answer that is final: the caller gets the failure as it was.
  if (attempts <= 1 || reason === 'not-retryable') throw error;
  const message = error instanceof Error ? error.message : String(error);
  throw new RetryExhaustedError(`gave up after ${attempts} attempts (${reason}): ${message}`, {
    plugin: PLUGIN,
    cause: error,
    data: { server: ctx.server, method: ctx.method, attempts, reason, tried: [...ctx.tried] },
  });
}
