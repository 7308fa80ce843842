import { errorType, type CallOptions } from '@mcp-bridge/core';
import type { DownstreamCall, Extra } from './downstream-call.js';
import type { DownstreamSession, Router } from './router.js';
import { noteServed } from './served.js';
import { rootsReady } from './sessions.js';

/** Runs one bridge call of a session: `fn` gets the call's options (link, caller, trace context, progress) and its link. */
export type Run = <T>(method: string, extra: Extra, fn: (options: CallOptions, link: DownstreamCall) => Promise<T>) => Promise<T>;

/**
 * The {@link Run} of a session: each downstream request gets its link (see {@link DownstreamCall}),
 * which traces its upstream requests back to it, and ends when the call settles. Progress the
 * upstream reports goes on the request's own stream, before the result. `requestTimeout` is the
 * gateway's deadline for each call (undefined: the bridge's own).
 */
export function callRunner(router: Router, session: DownstreamSession, requestTimeout?: number): Run {
  const caller = session.caller;
  const principal = session.identity?.principal;
  return <T>(method: string, extra: Extra, fn: (options: CallOptions, link: DownstreamCall) => Promise<T>): Promise<T> => {
    const link = router.link(session, method, extra);
    // What the bridge found (server, failure verdict) goes with the served-request report (served.ts).
    const note = (error: unknown): void =>
      noteServed(session, extra.requestId, {
        server: link.server,
        errorType: error === undefined ? undefined : errorType(error, link.signal),
      });
    const base: CallOptions = { link, caller, principal };
    // The gateway's own deadline (`requestTimeout`): past it the bridge cancels the call upstream.
    if (requestTimeout !== undefined) base.timeout = requestTimeout;
    // The client's roots decide which upstream session serves it: known before the call goes on.
    const roots = (): Promise<void> | undefined => rootsReady(session, (request, options) => link.ask(request, options), extra.signal);
    const asking = roots();
    // Asked again when the ask this call waited for was another call's, and that call was cancelled.
    if (asking !== undefined) return asking.then(roots).then(() => runLinked(link, extra, base, note, fn));
    return runLinked(link, extra, base, note, fn);
  };
}

/** Runs one call with its link: options, trace context and progress (see {@link callRunner}). */
function runLinked<T>(
  link: DownstreamCall,
  extra: Extra,
  callOptions: CallOptions,
  note: (error: unknown) => void,
  fn: (options: CallOptions, link: DownstreamCall) => Promise<T>,
): Promise<T> {
  const { _meta: meta } = extra;
  // The client's trace context goes on with the call, so a tracing plugin continues its trace.
  if (typeof meta?.traceparent === 'string') callOptions.meta = traceMeta(meta.traceparent, meta);
  const token = meta?.progressToken;
  // No progress to wait for: settle without the extra async steps (the hot path).
  if (token === undefined) return settled(link, note, () => fn(callOptions, link));
  // Progress sent so far; the result waits for it, or a late progress would reach the client
  // after the response, when it no longer listens for that token.
  let progressSent: Promise<unknown> = Promise.resolve();
  let progressed = false;
  callOptions.onprogress = (progress) => {
    progressed = true;
    // Only this client's call asked for it: the notification goes on this request's stream, to this client.
    const send = (): Promise<unknown> =>
      extra.sendNotification({ method: 'notifications/progress', params: { ...progress, progressToken: token } }).catch(() => undefined);
    progressSent = progressSent.then(send);
  };
  const flush = async (): Promise<void> => {
    await progressSent;
    // SDK clients drop a progress notification they read in the same chunk as the response (they
    // handle notifications a microtask late): give the last one its own write.
    if (progressed) await new Promise((resolve) => setImmediate(resolve));
  };
  return settled(link, note, () => fn(callOptions, link)).then(
    async (result) => {
      await flush();
      return result;
    },
    async (error: unknown) => {
      await flush();
      throw error;
    },
  );
}

/** Runs a call of `link` and ends the link when it settles, however it settles; `note` hears how. */
function settled<T>(link: DownstreamCall, note: (error: unknown) => void, fn: () => Promise<T>): Promise<T> {
  let pending: Promise<T>;
  try {
    pending = fn();
  } catch (error) {
    pending = Promise.reject(error);
  }
  return pending.then(
    (result) => {
      link.end();
      note(undefined);
      return result;
    },
    (error: unknown) => {
      link.end();
      note(error);
      throw error;
    },
  );
}

/** The W3C trace context fields of a request's `_meta` (nothing else: a progress token must not travel upstream). */
function traceMeta(traceparent: string, meta: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { traceparent };
  if (typeof meta.tracestate === 'string') out.tracestate = meta.tracestate;
  if (typeof meta.baggage === 'string') out.baggage = meta.baggage;
  return out;
}
