/** What an invalidation covers; an absent field matches everything. */
export interface Scope {
  server?: string | undefined;
  method?: string | undefined;
  /** Upstream tool name (`tools/call`) or upstream URI (`resources/read`). */
  sub?: string | undefined;
}

/** An invalidation: when (for entries from other instances, by their as-of time) and its sequence (for this instance's calls). */
interface Mark {
  at: number;
  seq: number;
}

const ANY = '*';
const MAX_MARKS = 10_000;

function markKey(server: string, method: string, sub: string): string {
  return `${server}\u0000${method}\u0000${sub}`;
}

/**
 * The invalidations a cache has seen, by scope, so that answers which may predate one are not
 * used: a call in flight when an invalidation arrived does not store (compare {@link seq} before
 * and after), and an L2 entry as of an invalidation or earlier is ignored ({@link at}). Bounded:
 * marks beyond the limit fold into a floor that covers every call.
 */
export class InvalidationMarks {
  readonly #marks = new Map<string, Mark>();
  /** The latest of the marks pruned away, covering every server, method and sub (see {@link #prune}). */
  readonly #floor: Mark = { at: -Infinity, seq: 0 };
  readonly #keepMs: number;
  #seq = 0;

  /** @param keepMs the longest an entry can live: older marks cover nothing any more. */
  constructor(keepMs: number) {
    this.#keepMs = keepMs;
  }

  /** The sequence of the latest invalidation, whatever it covered: read before a call, compared after with {@link seq}. */
  get current(): number {
    return this.#seq;
  }

  /** Records an invalidation of `scope` at time `now`. */
  add(scope: Scope, now: number): void {
    const mark: Mark = { at: now, seq: ++this.#seq };
    const mk = markKey(scope.server ?? ANY, scope.method ?? ANY, scope.sub ?? ANY);
    // Delete first: Map.set on an existing key keeps its old place, and pruning drops the oldest places first.
    this.#marks.delete(mk);
    this.#marks.set(mk, mark);
    if (this.#marks.size > MAX_MARKS) this.#prune(mark.at);
  }

  /**
   * Time of the latest invalidation covering these calls (-Infinity when none): L2 entries as of
   * then or before are ignored (one from the same millisecond may predate it).
   */
  at(server: string, method: string, sub: string | undefined): number {
    let at = this.#floor.at;
    if (this.#marks.size === 0) return at;
    for (const m of this.#marksFor(server, method, sub)) if (m !== undefined && m.at >= at) at = m.at;
    return at;
  }

  /** Sequence of the latest invalidation covering these calls (0 when none). */
  seq(server: string, method: string, sub: string | undefined): number {
    let seq = this.#floor.seq;
    if (this.#marks.size === 0) return seq;
    for (const m of this.#marksFor(server, method, sub)) if (m !== undefined && m.seq > seq) seq = m.seq;
    return seq;
  }

  #marksFor(server: string, method: string, sub: string | undefined): (Mark | undefined)[] {
    return [
      this.#marks.get(markKey(ANY, ANY, ANY)),
      this.#marks.get(markKey(server, ANY, ANY)),
      this.#marks.get(markKey(ANY, method, ANY)),
      this.#marks.get(markKey(server, method, ANY)),
      sub === undefined ? undefined : this.#marks.get(markKey(server, method, sub)),
      sub === undefined ? undefined : this.#marks.get(markKey(ANY, method, sub)),
    ];
  }

  /**
   * Keeps the marks bounded. A dropped mark is folded into {@link #floor}, which covers every call:
   * a call in flight since before it still does not store, and L2 entries as of then or before are
   * still ignored. Marks older than the longest an entry can live cost nothing there; dropping
   * newer ones (a flood of resources/updated) costs extra misses until the floor ages out, never a
   * stale answer.
   */
  #prune(now: number): void {
    for (const [key, mark] of this.#marks) if (mark.at < now - this.#keepMs) this.#drop(key, mark);
    // Still too many: keep the newest half (add() moves a key to the end on every mark).
    if (this.#marks.size > MAX_MARKS) {
      let drop = this.#marks.size - MAX_MARKS / 2;
      for (const [key, mark] of this.#marks) {
        if (drop-- <= 0) break;
        this.#drop(key, mark);
      }
    }
  }

  #drop(key: string, mark: Mark): void {
    this.#marks.delete(key);
    if (mark.at > this.#floor.at) this.#floor.at = mark.at;
    if (mark.seq > this.#floor.seq) this.#floor.seq = mark.seq;
  }
}
