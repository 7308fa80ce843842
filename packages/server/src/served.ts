import type { Bridge } from '@mcp-bridge/core';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage, RequestId } from '@modelcontextprotocol/sdk/types.js';
import type { DownstreamSession } from './sessions.js';

/** What a bridge call learned about the request it served: where it went, and its failure verdict. */
export interface ServedNote {
  server: string | undefined;
  errorType: string | undefined;
}

/** A request of the client not answered yet. */
interface Pending {
  readonly method: string;
  readonly started: number;
  readonly tool: string | undefined;
}

/** Per session: the requests not answered yet, and what their bridge calls found, by request id. */
const bySession = new WeakMap<DownstreamSession, { pending: Map<RequestId, Pending>; notes: Map<RequestId, ServedNote> }>();

/** The call runner notes what a request's bridge call found, before the gateway writes its answer. */
export function noteServed(session: DownstreamSession, id: RequestId, note: ServedNote): void {
  const s = bySession.get(session);
  // A request cancelled meanwhile was reported already.
  if (s !== undefined && s.pending.has(id)) s.notes.set(id, note);
}

/**
 * Connects a session's SDK server to its transport, reporting every request the client sends and
 * the gateway answers to the bridge (`bridge.reportServed`, the `request:served` event): the ones
 * it answers itself (`initialize`, `ping`, the lists from the catalog) as much as the calls. Seen on
 * the transport, the one place every request and its answer pass, whichever handler answers it.
 */
export async function connectSession(
  bridge: Bridge,
  session: DownstreamSession,
  transport: Transport,
  kind: 'tcp' | 'pipe',
): Promise<void> {
  reportServedRequests(bridge, session, transport, kind);
  await session.server.connect(transport);
}

function reportServedRequests(bridge: Bridge, session: DownstreamSession, transport: Transport, kind: 'tcp' | 'pipe'): void {
  const pending = new Map<RequestId, Pending>();
  const notes = new Map<RequestId, ServedNote>();
  bySession.set(session, { pending, notes });
  let protocolVersion = '';
  const report = (p: Pending, errorType: string, server: string | undefined): void =>
    bridge.reportServed({
      method: p.method,
      caller: session.caller,
      transport: kind,
      protocolVersion,
      durationMs: performance.now() - p.started,
      errorType,
      ...(p.tool === undefined ? {} : { tool: p.tool }),
      ...(server === undefined ? {} : { server }),
    });

  // Set before connect: the SDK's Protocol chains an onmessage it finds, calling it first.
  const onmessage = transport.onmessage;
  transport.onmessage = (message, extra) => {
    const m = message as { id?: RequestId; method?: string; params?: Record<string, unknown> };
    if (m.method !== undefined && m.id !== undefined) {
      const name = m.method === 'tools/call' ? m.params?.name : undefined;
      pending.set(m.id, { method: m.method, started: performance.now(), tool: typeof name === 'string' ? name : undefined });
    } else if (m.method === 'notifications/cancelled') {
      // The SDK writes no answer to a cancelled request.
      const id = m.params?.requestId as RequestId | undefined;
      const p = id === undefined ? undefined : pending.get(id);
      if (p !== undefined) {
        pending.delete(id!);
        notes.delete(id!);
        report(p, 'cancelled', undefined);
      }
    }
    onmessage?.(message, extra);
  };

  const send = transport.send.bind(transport);
  transport.send = (message: JSONRPCMessage, options) => {
    const m = message as { id?: RequestId; method?: string; result?: Record<string, unknown>; error?: { code?: unknown } };
    const p = m.method === undefined && m.id !== undefined ? pending.get(m.id) : undefined;
    if (p !== undefined) {
      const id = m.id!;
      pending.delete(id);
      const note = notes.get(id);
      if (note !== undefined) notes.delete(id);
      if (p.method === 'initialize' && typeof m.result?.protocolVersion === 'string') protocolVersion = m.result.protocolVersion;
      // A call that failed in the bridge reaches the client as an error answer or an isError result: its verdict names why.
      const failed = m.error !== undefined || m.result?.isError === true;
      const type = !failed ? '' : (note?.errorType ?? (m.error !== undefined ? String(m.error.code) : 'tool_error'));
      report(p, type, note?.server);
    }
    return send(message, options);
  };
}
