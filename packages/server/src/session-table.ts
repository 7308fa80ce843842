/** What the session table needs to know of a session. */
export interface TableEntry {
  readonly id: string;
  /** The owner's key (see `ownerKey`): whose share of the table it takes. */
  readonly callerKey: string;
  lastActivity: number;
  /** Requests in progress: a busy session is never evicted. */
  busy: number;
  /** The client sent `notifications/initialized`. */
  ready: boolean;
  readonly createdAt: number;
}

/**
 * The sessions of an HTTP gateway by id and by caller, with the two limits that keep one caller
 * from taking the table: `maxSessionsPerCaller` (a caller past it loses its own longest-idle
 * session, never someone else's) and `maxSessions` (a full table loses its longest-idle session,
 * rather than refusing newcomers). Sessions that never sent `notifications/initialized` go first.
 */
export class SessionTable<S extends TableEntry> {
  readonly byId = new Map<string, S>();
  readonly #byCaller = new Map<string, Set<S>>();

  constructor(
    private readonly maxSessions: number,
    private readonly maxPerCaller: number,
  ) {}

  get size(): number {
    return this.byId.size;
  }

  /** Sessions held by each caller key. */
  countsByCaller(): Record<string, number> {
    return Object.fromEntries([...this.#byCaller].map(([key, set]) => [key, set.size]));
  }

  /**
   * Why a new session of `callerKey` cannot be had even by evicting (every candidate is busy), or
   * undefined. Checked before the initialize is served; {@link add} evicts when it is.
   */
  refusal(callerKey: string): { status: 429 | 503; message: string } | undefined {
    const own = this.#byCaller.get(callerKey);
    if (own && own.size >= this.maxPerCaller && !pick(own.values()))
      return {
        status: 429,
        message: `Too Many Requests: this caller already has ${this.maxPerCaller} sessions, all busy (maxSessionsPerCaller)`,
      };
    if (this.byId.size >= this.maxSessions && !pick(this.byId.values()))
      return { status: 503, message: `Service Unavailable: the gateway already has ${this.maxSessions} sessions, all busy (maxSessions)` };
    return undefined;
  }

  /** Adds a session; returns the sessions to end to make room for it (the caller's own first). */
  add(s: S): S[] {
    const evicted: S[] = [];
    let own = this.#byCaller.get(s.callerKey);
    if (!own) this.#byCaller.set(s.callerKey, (own = new Set()));
    while (own.size >= this.maxPerCaller) {
      const victim = pick(own.values());
      if (!victim) break;
      this.remove(victim);
      evicted.push(victim);
    }
    while (this.byId.size >= this.maxSessions) {
      const victim = pick(this.byId.values());
      if (!victim) break;
      this.remove(victim);
      evicted.push(victim);
    }
    this.byId.set(s.id, s);
    own.add(s);
    return evicted;
  }

  remove(s: S): void {
    if (this.byId.get(s.id) !== s) return;
    this.byId.delete(s.id);
    const own = this.#byCaller.get(s.callerKey);
    own?.delete(s);
    if (own?.size === 0) this.#byCaller.delete(s.callerKey);
  }
}

/** The session to evict among `sessions`: never a busy one; one never initialized first, then the longest idle. */
function pick<S extends TableEntry>(sessions: Iterable<S>): S | undefined {
  let best: S | undefined;
  for (const s of sessions) {
    if (s.busy > 0) continue;
    if (!best || (!s.ready && best.ready) || (s.ready === best.ready && s.lastActivity < best.lastActivity)) best = s;
  }
  return best;
}
