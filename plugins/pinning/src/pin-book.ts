import { changedFields, fingerprint, pinnedDefinition, type PinKind } from './fingerprint.js';
import type { DriftPolicy } from './options.js';
import { itemKey, type PinRecord, type PinStore, type ServerPins } from './store.js';

/** A definition that differs from its pin, or that is new to a pinned server, awaiting approval. */
export interface Drift {
  readonly server: string;
  readonly identity: string;
  readonly kind: PinKind;
  /** The upstream's own name. */
  readonly name: string;
  /** `changed`: differs from its pin; `new`: not pinned, on a server that is. */
  readonly change: 'changed' | 'new';
  /** Top-level fields that changed (`description`, `inputSchema` ...); every field for a new item. */
  readonly fields: readonly string[];
  /** What is done about it until it is approved. */
  readonly policy: DriftPolicy;
  /** The pinned definition (undefined for a new item) and the one the server sends now. */
  readonly pinned: PinRecord | undefined;
  readonly current: PinRecord;
}

/** What one list taught the book. */
export interface ListOutcome {
  /** Drifts found in this list (including ones already known). */
  readonly drifts: readonly Drift[];
  /** Drifts not seen before in this process (to warn about once). */
  readonly fresh: readonly Drift[];
  /** Pinned names that the (complete) list no longer has. */
  readonly removed: readonly string[];
  /** True when the server was seen for the first time and everything was pinned. */
  readonly firstUse: boolean;
}

/** Policies for changed and new definitions. */
export interface PinPolicies {
  readonly onChange: DriftPolicy;
  readonly onNew: DriftPolicy | 'accept';
}

/**
 * The pins and the drifts of every server: decides, per listed definition, whether it matches its pin,
 * is pinned now (first use, or `onNew: accept`), or drifted. Pins change only by first use, `accept`
 * and {@link PinBook.approve}: a drift stays a drift (and keeps warning, hiding or blocking) until approved.
 */
export class PinBook {
  readonly #store: PinStore;
  readonly #policies: PinPolicies;
  /** identity → itemKey → drift. */
  readonly #drifts = new Map<string, Map<string, Drift>>();
  /** Store writes of one identity are serialised: two lists landing at once must not lose pins. */
  readonly #locks = new Map<string, Promise<unknown>>();
  /** Whether new items may be pinned on first use (false for an inspecting CLI that must not write). */
  readonly #record: boolean;

  constructor(store: PinStore, policies: PinPolicies, record = true) {
    this.#store = store;
    this.#policies = policies;
    this.#record = record;
  }

  /** Where pins are kept. */
  get store(): PinStore {
    return this.#store;
  }

  /** Every drift known now, in server then name order. */
  drifts(): Drift[] {
    return [...this.#drifts.values()].flatMap((m) => [...m.values()]);
  }

  /**
   * Checks one list of a server against its pins. `complete`: the list is the server's whole list of
   * that kind (not one page of several), so missing pins can be reported as removed.
   */
  list(
    server: string,
    identity: string,
    kind: PinKind,
    items: readonly Record<string, unknown>[],
    complete: boolean,
  ): Promise<ListOutcome> {
    return this.#locked(identity, async () => {
      const stored = await this.#store.get(identity);
      const pins: ServerPins = stored ?? { server, identity, items: {} };
      // First use is per kind: the tools list and the prompts list of a new server arrive separately,
      // and a kind listed once (even empty) is known from then on, so a later first prompt is `new`.
      const firstUse = !(pins.kinds ?? inferredKinds(pins)).includes(kind);
      const now = new Date().toISOString();
      const known = this.#drifts.get(identity) ?? new Map<string, Drift>();
      const next = new Map([...known].filter(([, d]) => d.kind !== kind));
      const drifts: Drift[] = [];
      const fresh: Drift[] = [];
      const seen = new Set<string>();
      let dirty = false;
      for (const item of items) {
        // A template is known to the catalog by its URI template, tools and prompts by their names.
        const name = kind === 'template' ? item.uriTemplate : item.name;
        if (typeof name !== 'string') continue;
        const key = itemKey(kind, name);
        seen.add(key);
        const definition = pinnedDefinition(kind, item);
        const current: PinRecord = { kind, name, fingerprint: fingerprint(definition), definition, pinnedAt: now };
        const pinned = pins.items[key];
        if (pinned?.fingerprint === current.fingerprint) continue;
        if (!pinned && (firstUse || this.#policies.onNew === 'accept')) {
          if (this.#record) {
            pins.items[key] = current;
            dirty = true;
          }
          continue;
        }
        const drift: Drift = pinned
          ? {
              server,
              identity,
              kind,
              name,
              change: 'changed',
              fields: changedFields(pinned.definition, definition),
              policy: this.#policies.onChange,
              pinned,
              current,
            }
          : {
              server,
              identity,
              kind,
              name,
              change: 'new',
              fields: Object.keys(definition).sort(),
              policy: this.#policies.onNew as DriftPolicy,
              pinned,
              current,
            };
        drifts.push(drift);
        if (known.get(key)?.current.fingerprint !== current.fingerprint) fresh.push(drift);
        next.set(key, drift);
      }
      if (firstUse && this.#record) {
        pins.kinds = [...(pins.kinds ?? inferredKinds(pins)), kind];
        dirty = true;
      }
      if (next.size > 0) this.#drifts.set(identity, next);
      else this.#drifts.delete(identity);
      if (dirty) await this.#store.set(pins);
      const removed = complete
        ? Object.entries(pins.items)
            .filter(([key, p]) => p.kind === kind && !seen.has(key))
            .map(([, p]) => p.name)
        : [];
      return { drifts, fresh, removed, firstUse: firstUse && dirty };
    });
  }

  /**
   * Accepts the current definitions of a server's drifted items (all of them, or the one named): they
   * become the pins, and the drifts end. Returns the drifts approved.
   */
  approve(server: string, name?: string, kind?: PinKind): Promise<Drift[]> {
    const identities = [...this.#drifts.values()]
      .flatMap((m) => [...m.values()])
      .filter((d) => d.server === server)
      .map((d) => d.identity);
    const unique = [...new Set(identities)];
    return Promise.all(
      unique.map((identity) =>
        this.#locked(identity, async () => {
          const known = this.#drifts.get(identity);
          if (!known) return [];
          const chosen = [...known.entries()].filter(
            ([, d]) => (name === undefined || d.name === name) && (kind === undefined || d.kind === kind),
          );
          if (chosen.length === 0) return [];
          const pins: ServerPins = (await this.#store.get(identity)) ?? { server, identity, items: {} };
          const now = new Date().toISOString();
          for (const [key, d] of chosen) pins.items[key] = { ...d.current, pinnedAt: now };
          await this.#store.set(pins);
          for (const [key] of chosen) known.delete(key);
          if (known.size === 0) this.#drifts.delete(identity);
          return chosen.map(([, d]) => d);
        }),
      ),
    ).then((lists) => lists.flat());
  }

  #locked<T>(identity: string, fn: () => Promise<T>): Promise<T> {
    const run = (this.#locks.get(identity) ?? Promise.resolve()).then(fn);
    const tail = run.catch(() => undefined);
    this.#locks.set(identity, tail);
    void tail.then(() => {
      if (this.#locks.get(identity) === tail) this.#locks.delete(identity);
    });
    return run;
  }
}

/** Kinds of a pin record written before `kinds` was kept: those it has pins of. */
function inferredKinds(pins: ServerPins): PinKind[] {
  return [...new Set(Object.values(pins.items).map((p) => p.kind))];
}
