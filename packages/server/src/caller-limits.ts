import type { Socket } from 'node:net';
import type { ServerResponse } from 'node:http';

/** The caps of {@link CallerLimits}: per caller, and for the whole gateway. */
export interface Caps {
  maxRequestsPerCaller: number;
  maxRequests: number;
  maxConnectionsPerCaller: number;
  maxConnections: number;
  maxBufferedBytesPerCaller: number;
  maxBufferedBytes: number;
}

/** Why a request was refused: its HTTP status, a message naming the limit (never another caller), and `Retry-After` seconds. */
export interface Refusal {
  status: 429 | 503;
  message: string;
  retryAfter: number;
  /** Close the connection once answered (a connection refused for the connection caps). */
  close?: boolean;
}

/** Whatever can end a response it is writing (the session's transport): see {@link Ticket.kill}. */
export interface ResponseKiller {
  kill(res: ServerResponse, reason: string): void;
}

const TICKET = Symbol('mcp-bridge request ticket');
type Ticketed = ServerResponse & { [TICKET]?: Ticket };

/**
 * One admitted request: its count, the bytes of its body being read and, once served, the bytes of
 * its answer not yet read by the client. All of it is given back when its response closes.
 */
export class Ticket {
  /** Body bytes held. */
  bodyBytes = 0;
  /** Answer bytes written but not yet taken by the client, at the last look. */
  pending = 0;
  /** When `pending` last went down (or the answer started). */
  progressAt = 0;
  #killer: ResponseKiller | undefined;

  constructor(
    private readonly limits: CallerLimits,
    readonly held: Held,
    readonly caller: string,
    readonly counts: boolean,
    readonly res: ServerResponse,
  ) {}

  /** `bytes` more of the body: a refusal when that goes past a byte cap (the body is then not read on). */
  add(bytes: number): Refusal | undefined {
    return this.limits.addBody(this, bytes);
  }

  /** The body is parsed or dropped: its bytes are given back. */
  release(): void {
    this.limits.releaseBody(this);
  }

  /** Watches the answer for a client that stops reading; `killer` ends it if so. */
  watch(killer: ResponseKiller): void {
    this.#killer = killer;
    this.progressAt = Date.now();
    this.held.sending.add(this);
  }

  /** Ends the answer and frees its memory; cancels the calls it was still to answer. */
  kill(reason: string): void {
    this.#killer?.kill(this.res, reason);
  }

  /** The response closed: the request, its body bytes and its answer's bytes are given back. */
  close(): void {
    this.limits.closeTicket(this);
  }
}

// Shared by every response (no closure per request): the response finds its ticket.
function onTicketClose(this: Ticketed): void {
  const ticket = this[TICKET]!;
  ticket.close();
}

/** What one caller holds right now. */
export interface Held {
  requests: number;
  connections: number;
  /** Request bodies being read. */
  bodyBytes: number;
  /** Response bytes not yet drained, at the last look (see {@link CallerLimits.look}). */
  sendBytes: number;
  readonly sending: Set<Ticket>;
  /** When `sending` was last measured. */
  measuredAt: number;
}

/** How stale a caller's count of unread bytes may be when it asks for more (measuring walks its open responses). */
const MEASURE_EVERY_MS = 50;

const CALLER = Symbol('mcp-bridge caller of this connection');
type Attributed = Socket & { [CALLER]?: string };

/**
 * What each caller (the session owner: named token, `caller` identity, or client address) holds of
 * the gateway — requests in progress, connections, buffered bytes (bodies being read, answers not
 * yet drained) — and the gateway-wide totals. A request past a cap is refused before any work is
 * done for it, with a message that names the limit and no one else. Counting is O(1) per request;
 * unread answers are measured by {@link look}, on the gateway's one-second tick, not per write.
 */
export class CallerLimits {
  readonly #held = new Map<string, Held>();
  readonly #total = { requests: 0, connections: 0, bodyBytes: 0, sendBytes: 0 };

  constructor(readonly caps: Caps) {}

  #of(caller: string): Held {
    let held = this.#held.get(caller);
    if (!held) {
      held = { requests: 0, connections: 0, bodyBytes: 0, sendBytes: 0, sending: new Set(), measuredAt: 0 };
      this.#held.set(caller, held);
    }
    return held;
  }

  /** A caller with nothing left is forgotten (the map holds only callers with something open). */
  #release(caller: string, held: Held): void {
    if (held.requests === 0 && held.connections === 0 && held.bodyBytes === 0 && held.sending.size === 0) this.#held.delete(caller);
  }

  /**
   * Admits one request of `caller` on `socket`: counts the connection the first time the caller
   * uses it, and the request (when `counts`: a POST). A refusal counts nothing. The ticket is given
   * back when `res` closes.
   */
  admit(caller: string, socket: Socket, counts: boolean, res: ServerResponse): Refusal | Ticket {
    const held = this.#of(caller);
    const s = socket as Attributed;
    const newConnection = s[CALLER] !== caller;
    // Its unread answers as of (nearly) now, not as of the last tick: a client that stops reading is
    // refused at once. At most every 50 ms: a busy caller has dozens of responses open.
    if (held.sending.size > 0) {
      const now = Date.now();
      if (now - held.measuredAt >= MEASURE_EVERY_MS) this.#measure(held, now);
    }
    const refusal = this.#refusal(held, newConnection, s[CALLER] === undefined, counts);
    if (refusal) {
      this.#release(caller, held);
      return refusal;
    }
    if (newConnection) this.#attribute(s, caller, held);
    if (counts) {
      held.requests++;
      this.#total.requests++;
    }
    const ticket = new Ticket(this, held, caller, counts, res);
    (res as Ticketed)[TICKET] = ticket;
    res.once('close', onTicketClose);
    return ticket;
  }

  #refusal(held: Held, newConnection: boolean, unattributed: boolean, counts: boolean): Refusal | undefined {
    const { caps } = this;
    const total = this.#total;
    if (newConnection && held.connections >= caps.maxConnectionsPerCaller)
      return {
        ...tooMany(`this caller already has ${caps.maxConnectionsPerCaller} open connections (maxConnectionsPerCaller)`),
        close: true,
      };
    if (newConnection && unattributed && total.connections >= caps.maxConnections)
      return { ...busy(`the gateway already has ${caps.maxConnections} open connections (maxConnections)`), close: true };
    if (counts && held.requests >= caps.maxRequestsPerCaller)
      return tooMany(`this caller already has ${caps.maxRequestsPerCaller} requests in progress (maxRequestsPerCaller)`);
    if (counts && total.requests >= caps.maxRequests)
      return busy(`the gateway already has ${caps.maxRequests} requests in progress (maxRequests)`);
    return this.#bytesRefusal(held, 0);
  }

  /** See {@link Ticket.close}. */
  closeTicket(t: Ticket): void {
    const { held } = t;
    const total = this.#total;
    if (t.counts) {
      held.requests--;
      total.requests--;
    }
    this.releaseBody(t);
    if (held.sending.delete(t)) {
      held.sendBytes -= t.pending;
      total.sendBytes -= t.pending;
      t.pending = 0;
    }
    this.#release(t.caller, held);
  }

  /** The connection now counts for `caller` (its first request there), until it closes. */
  #attribute(s: Attributed, caller: string, held: Held): void {
    const previous = s[CALLER];
    if (previous !== undefined) {
      // Another caller's request on a kept-alive connection: it moves.
      const before = this.#held.get(previous);
      if (before) {
        before.connections--;
        this.#release(previous, before);
      }
    } else {
      this.#total.connections++;
      s.once('close', () => {
        const owner = s[CALLER]!;
        const h = this.#held.get(owner);
        if (h) {
          h.connections--;
          this.#release(owner, h);
        }
        this.#total.connections--;
      });
    }
    s[CALLER] = caller;
    held.connections++;
  }

  #bytesRefusal(held: Held, more: number): Refusal | undefined {
    const { caps } = this;
    const total = this.#total;
    if (held.bodyBytes + held.sendBytes + more > caps.maxBufferedBytesPerCaller)
      return tooMany(`this caller already has ${caps.maxBufferedBytesPerCaller} bytes buffered in the gateway (maxBufferedBytesPerCaller)`);
    if (total.bodyBytes + total.sendBytes + more > caps.maxBufferedBytes)
      return busy(`the gateway already has ${caps.maxBufferedBytes} bytes buffered (maxBufferedBytes)`);
    return undefined;
  }

  /** See {@link Ticket.add}. */
  addBody(t: Ticket, bytes: number): Refusal | undefined {
    const refusal = this.#bytesRefusal(t.held, bytes);
    if (refusal) return refusal;
    t.bodyBytes += bytes;
    t.held.bodyBytes += bytes;
    this.#total.bodyBytes += bytes;
    return undefined;
  }

  /** See {@link Ticket.release}. */
  releaseBody(t: Ticket): void {
    t.held.bodyBytes -= t.bodyBytes;
    this.#total.bodyBytes -= t.bodyBytes;
    t.bodyBytes = 0;
  }

  /** Brings `pending` of each answer of `held` up to date (and the totals with it). */
  #measure(held: Held, now: number): void {
    const total = this.#total;
    held.measuredAt = now;
    for (const t of held.sending) {
      const pending = t.res.writableLength;
      if (pending < t.pending || pending === 0) t.progressAt = now;
      held.sendBytes += pending - t.pending;
      total.sendBytes += pending - t.pending;
      t.pending = pending;
    }
  }

  /**
   * The one-second look at every response being written: bytes not yet drained are counted against
   * their caller; one that made no progress for `sendTimeoutMs` is ended (a client that stopped
   * reading); a caller over its byte cap loses its stalled responses, oldest progress first, until under it.
   */
  look(now: number, sendTimeoutMs: number): void {
    for (const held of this.#held.values()) {
      this.#measure(held, now);
      for (const sending of held.sending)
        if (sending.pending > 0 && now - sending.progressAt >= sendTimeoutMs)
          sending.kill(`the client did not read its answer for ${sendTimeoutMs} ms (sendTimeoutMs)`);
      if (held.bodyBytes + held.sendBytes <= this.caps.maxBufferedBytesPerCaller) continue;
      const stalled = [...held.sending].filter((s) => s.pending > 0 && s.progressAt < now).sort((a, b) => a.progressAt - b.progressAt);
      let over = held.bodyBytes + held.sendBytes - this.caps.maxBufferedBytesPerCaller;
      for (const s of stalled) {
        if (over <= 0) break;
        over -= s.pending;
        s.kill(`the caller had more than ${this.caps.maxBufferedBytesPerCaller} bytes of answers unread (maxBufferedBytesPerCaller)`);
      }
    }
  }

  /** What is held now, gateway-wide. */
  load(): { requests: number; connections: number; bufferedBytes: number; callers: number } {
    const t = this.#total;
    return { requests: t.requests, connections: t.connections, bufferedBytes: t.bodyBytes + t.sendBytes, callers: this.#held.size };
  }
}

function tooMany(what: string): Refusal {
  return { status: 429, message: `Too Many Requests: ${what}`, retryAfter: 1 };
}

function busy(what: string): Refusal {
  return { status: 503, message: `Service Unavailable: ${what}`, retryAfter: 1 };
}
