import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage, MessageExtraInfo, RequestId } from '@modelcontextprotocol/sdk/types.js';
import type { FaultAction, FaultEngine } from './fault-engine.js';
import type { FaultLedger } from './fault-ledger.js';
import { LEDGER_TOOL } from './fault-options.js';

/** What a transport host does for faults that go beyond one message. */
export interface FaultHooks {
  /** Drop the connection request `id` arrived on (in-memory: close; HTTP: destroy its socket; stdio: exit). */
  drop(id: RequestId): void;
  /** The server dies after receiving request `id`. */
  crash(id: RequestId): void;
  /** Runs before a faulted-method request is acted on (stdio: stdout garbage, stderr flood). */
  beforeRequest?(): void;
}

/** The shared state of one fault server: its decisions and its ledger. */
export interface FaultCore {
  engine: FaultEngine;
  ledger: FaultLedger;
}

/** The ledger key and tool of a request the fault plan applies to, or undefined. */
export function faultTarget(core: FaultCore, message: JSONRPCMessage): { id: RequestId; key: string; tool: string } | undefined {
  if (!('method' in message) || !('id' in message)) return undefined;
  const method = message.method;
  if (!core.engine.methods.has(method)) return undefined;
  const params = (message.params ?? {}) as { name?: unknown; arguments?: { key?: unknown } };
  const tool = method === 'tools/call' && typeof params.name === 'string' ? params.name : method;
  if (tool === LEDGER_TOOL) return undefined;
  const key = typeof params.arguments?.key === 'string' ? params.arguments.key : tool;
  return { id: message.id, key, tool };
}

/**
 * Wraps the server side of a transport and applies the fault plan to incoming requests: it
 * answers errors itself, swallows hung requests, delays, drops and crashes through the host's
 * hooks, and records in the ledger what arrived and what was cancelled. The tools record their
 * own executions.
 */
export class FaultTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage, extra?: MessageExtraInfo) => void;

  readonly #inner: Transport;
  readonly #core: FaultCore;
  readonly #hooks: FaultHooks;
  /** Decisions already taken by the host (HTTP decides before the transport sees the body). */
  readonly #predecided = new Map<RequestId, FaultAction>();
  readonly #inFlight = new Map<RequestId, { key: string; tool: string }>();
  readonly #dropAfter = new Set<RequestId>();
  readonly #delayed = new Map<RequestId, NodeJS.Timeout>();
  #closed = false;

  constructor(inner: Transport, core: FaultCore, hooks: FaultHooks) {
    this.#inner = inner;
    this.#core = core;
    this.#hooks = hooks;
  }

  get sessionId(): string | undefined {
    return this.#inner.sessionId;
  }

  setProtocolVersion(version: string): void {
    this.#inner.setProtocolVersion?.(version);
  }

  /** Use this decision for request `id` instead of asking the plan (the host already asked and recorded it). */
  predecide(id: RequestId, action: FaultAction, key: string, tool: string): void {
    this.#predecided.set(id, action);
    this.#inFlight.set(id, { key, tool });
  }

  start(): Promise<void> {
    this.#inner.onmessage = (message, extra) => this.#incoming(message, extra);
    this.#inner.onclose = () => {
      this.#closed = true;
      for (const timer of this.#delayed.values()) clearTimeout(timer);
      this.#delayed.clear();
      this.onclose?.();
    };
    this.#inner.onerror = (error) => this.onerror?.(error);
    return this.#inner.start();
  }

  send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    if ('id' in message && !('method' in message) && message.id !== undefined) {
      const id: RequestId = message.id;
      this.#inFlight.delete(id);
      if (this.#dropAfter.delete(id)) {
        // Executed, and the answer is lost: the case a retry must never repeat for unsafe tools.
        this.#hooks.drop(id);
        return Promise.resolve();
      }
    }
    return this.#inner.send(message, options);
  }

  close(): Promise<void> {
    return this.#inner.close();
  }

  #incoming(message: JSONRPCMessage, extra?: MessageExtraInfo): void {
    if ('method' in message && message.method === 'notifications/cancelled') {
      const id = (message.params as { requestId?: RequestId } | undefined)?.requestId;
      const target = id === undefined ? undefined : this.#inFlight.get(id);
      if (id !== undefined && target) {
        this.#core.ledger.recordCancelled(target.key, target.tool);
        const timer = this.#delayed.get(id);
        if (timer) {
          clearTimeout(timer);
          this.#delayed.delete(id);
          this.#inFlight.delete(id);
          return;
        }
      }
      this.onmessage?.(message, extra);
      return;
    }
    const predecided = 'id' in message && 'method' in message ? this.#predecided.get(message.id) : undefined;
    let action: FaultAction;
    let id: RequestId;
    if (predecided) {
      id = (message as { id: RequestId }).id;
      this.#predecided.delete(id);
      action = predecided;
    } else {
      const target = faultTarget(this.#core, message);
      if (!target) {
        this.onmessage?.(message, extra);
        return;
      }
      id = target.id;
      this.#hooks.beforeRequest?.();
      action = this.#core.engine.decide(target.tool);
      this.#core.ledger.recordReceived(target.key, target.tool, action.kind);
      this.#inFlight.set(id, { key: target.key, tool: target.tool });
    }
    this.#act(action, id, message, extra);
  }

  #act(action: FaultAction, id: RequestId, message: JSONRPCMessage, extra: MessageExtraInfo | undefined): void {
    const reply = (body: { result: Record<string, unknown> } | { error: { code: number; message: string; data?: unknown } }): void => {
      void this.send({ jsonrpc: '2.0', id, ...body }, { relatedRequestId: id }).catch((error: unknown) =>
        this.onerror?.(error instanceof Error ? error : new Error(String(error))),
      );
    };
    switch (action.kind) {
      case 'ok':
        this.onmessage?.(message, extra);
        return;
      case 'delay': {
        const timer = setTimeout(() => {
          this.#delayed.delete(id);
          if (!this.#closed) this.onmessage?.(message, extra);
        }, action.ms);
        this.#delayed.set(id, timer);
        return;
      }
      case 'drop-after':
        this.#dropAfter.add(id);
        this.onmessage?.(message, extra);
        return;
      case 'drop-before':
      case 'session-expired':
        this.#inFlight.delete(id);
        this.#hooks.drop(id);
        return;
      case 'crash':
        this.#inFlight.delete(id);
        this.#hooks.crash(id);
        return;
      case 'error':
        reply({ error: { code: action.code, message: action.message ?? 'fault: injected internal error' } });
        return;
      case 'is-error':
        reply({ result: { content: [{ type: 'text', text: action.message ?? 'fault: injected isError result' }], isError: true } });
        return;
      case 'retry-after':
        reply({
          error: {
            code: -32000,
            message: `fault: rate limited, retry after ${action.retryAfterMs} ms`,
            data: { retryAfter: Math.ceil(action.retryAfterMs / 1000), retryAfterMs: action.retryAfterMs },
          },
        });
        return;
      case 'hang':
        // Never answered; the entry stays in #inFlight so a cancellation is still counted.
        return;
    }
  }
}
