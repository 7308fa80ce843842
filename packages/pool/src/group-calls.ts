import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { BridgeStateError, UpstreamUnavailableError, waitForCall, type CallContext } from '@mcp-bridge/core';
import { isUnknownSessionError } from '@mcp-bridge/transports';
import type { UpstreamGroup } from './group.js';
import { deathError, noop, PLUGIN, removedError, type Session } from './session.js';

/** What a call does with a session's client. */
export type SessionCall<T> = (client: Client, ctx: CallContext) => Promise<T>;

/**
 * Runs `fn` for a call that holds a bulkhead slot of `g`: picks (or opens, or waits for) a
 * session, runs, and releases the slot whatever happens.
 */
export function callWithSlot<T>(g: UpstreamGroup, ctx: CallContext, fn: SessionCall<T>): Promise<T> {
  let s: Session | Promise<Session>;
  try {
    s = sessionFor(g, ctx);
  } catch (error) {
    g.bulkhead.release();
    return Promise.reject(error);
  }
  if (!(s instanceof Promise)) return runOn(g, s, ctx, fn, false);
  return s.then(
    (ready) => runOn(g, ready, ctx, fn, false),
    (error: unknown) => {
      g.bulkhead.release();
      throw error;
    },
  );
}

/** The least loaded ready session, or a promise of one; throws when none can be had now. */
function sessionFor(g: UpstreamGroup, ctx: CallContext): Session | Promise<Session> {
  // A call admitted before its upstream was removed (or the pool closed) must not reopen it.
  if (g.ctx.closed()) throw new BridgeStateError('the bridge is closed', { plugin: PLUGIN });
  if (g.detached) throw removedError(g.up);
  let best: Session | undefined;
  let connecting = false;
  for (const s of g.sessions) {
    if (s.state === 'ready') {
      if (!best || s.inFlight < best.inFlight) best = s;
    } else if (s.state === 'connecting') connecting = true;
  }
  if (best) {
    // Busy everywhere: open one more in the background; this call does not wait for it.
    if (best.inFlight >= g.settings.callsPerSession && !connecting && g.canOpen()) g.open('demand').catch(noop);
    return best;
  }
  if (connecting) return waitForCall(g.firstReady(), ctx, g.label);
  if (!g.canOpen()) {
    if (Date.now() < g.retryAt) throw g.unavailable();
    throw new UpstreamUnavailableError(`${g.label} has no session available`, {
      plugin: PLUGIN,
      data: { server: g.up.server, upstream: g.up.id, sent: false },
    });
  }
  return waitForCall(g.open('demand'), ctx, g.label);
}

function runOn<T>(g: UpstreamGroup, s: Session, ctx: CallContext, fn: SessionCall<T>, resent: boolean): Promise<T> {
  s.inFlight++;
  let pending: Promise<T>;
  try {
    pending = fn(s.conn!.client, ctx);
  } catch (error) {
    pending = Promise.reject(error);
  }
  return pending.then(
    (result) => {
      g.finished(s);
      g.bulkhead.release();
      return result;
    },
    (error: unknown) => {
      g.finished(s);
      if (!resent && isUnknownSessionError(error) && !g.gone) return resend(g, s, ctx, fn, error as Error);
      g.bulkhead.release();
      throw explain(g, s, error);
    },
  );
}

/**
 * The server answered 404/400 "unknown session": it never ran this request, so it is sent again,
 * once, on a new session (re-initialised); a second such answer fails the call.
 */
function resend<T>(g: UpstreamGroup, s: Session, ctx: CallContext, fn: SessionCall<T>, error: Error): Promise<T> {
  const { events } = g.ctx;
  if (events.hasListeners('pool:reinit')) events.emit('pool:reinit', { server: g.up.server, upstream: g.up, method: ctx.method, error });
  void g.closeSession(s, 'session-lost', error);
  g.settle('connecting');
  return Promise.resolve()
    .then(() => sessionFor(g, ctx))
    .then(
      (next) => runOn(g, next, ctx, fn, true),
      (failure: unknown) => {
        g.bulkhead.release();
        throw failure;
      },
    );
}

/** A call cut by the connection's end says which process died and what it last wrote to stderr. */
function explain(g: UpstreamGroup, s: Session, error: unknown): unknown {
  if (isUnknownSessionError(error)) {
    // Refused again on a fresh session: still provably not run (`sent: false` lets a retry plugin resend it).
    return new UpstreamUnavailableError(`${g.label} did not know the session even after re-initialising: ${(error as Error).message}`, {
      plugin: PLUGIN,
      cause: error,
      data: { server: g.up.server, upstream: g.up.id, sent: false },
    });
  }
  if (!(error instanceof McpError) || error.code !== (ErrorCode.ConnectionClosed as number)) return error;
  return deathError(g.label, g.up, s, ' while the call was in flight', error);
}
