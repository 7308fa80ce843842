// BM25 over a few weighted fields, scored the way MiniSearch 7 scores them (BM25+ per field, k 1.2,
// b 0.7, d 0.5; a document's score times the number of query words it matched), but laid out for a
// cheap query: each term's per-document impact (every field's boost and BM25 summed) is computed at
// build time into typed arrays, and a search adds postings into one reused score array. MiniSearch
// builds a Map entry and match objects per matching document and term on every search: at ~1,000
// tools that garbage, not the arithmetic, set the p99.

/** A document's fields, already split into words (what MiniSearch's `tokenize` returns). */
export type FieldWords = readonly (readonly string[])[];

/** How a field word becomes indexed terms: none (a stop word), one, or several. */
export type TermsOf = (word: string) => readonly string[] | null;

/** A query term's expansion: an indexed term and the weight of matching it. */
interface Derived {
  readonly term: number;
  readonly weight: number;
}

const K = 1.2;
const B = 0.7;
const D = 0.5;
/** Prefix and fuzzy matching of words the catalog lacks: weights as MiniSearch's, bounds as the ranker's. */
const PREFIX = { minLength: 4, weight: 0.4 };
const FUZZY = { minLength: 5, fraction: 0.25, maxDistance: 2, weight: 0.3 };
/** Expansions kept for query words the catalog lacks (typos repeat; the cache is dropped on rebuild). */
const DERIVED_CACHE = 10_000;

/** The scored documents of one search, best first: document numbers and scores. */
export interface Ranked {
  readonly docs: readonly number[];
  readonly scores: readonly number[];
}

/** A BM25 index over documents numbered 0..n-1 in the order given. */
export class Bm25 {
  readonly #termIds = new Map<string, number>();
  readonly #terms: string[] = [];
  /** Postings per term: documents, and the term's impact in each (field boosts included). */
  readonly #postings: { docs: Int32Array; impacts: Float64Array }[] = [];
  readonly #derived = new Map<string, readonly Derived[]>();
  readonly #termsOf: TermsOf;
  // Per-search work space, reused: scores, how many query words matched, which word last matched.
  readonly #score: Float64Array;
  readonly #quality: Int32Array;
  readonly #mark: Int32Array;
  readonly #touched: Int32Array;
  #stamp = 0;

  /** `fields[d][f]` are document d's words in field f; `boosts[f]` is field f's weight. */
  constructor(fields: readonly FieldWords[], boosts: readonly number[], termsOf: TermsOf) {
    this.#termsOf = termsOf;
    const n = fields.length;
    const tf = boosts.map(() => new Map<number, Map<number, number>>());
    const lengths = boosts.map(() => new Float64Array(n));
    for (let d = 0; d < n; d++) {
      boosts.forEach((_, f) => {
        const words = fields[d]![f] ?? [];
        // MiniSearch's field length: distinct words before stop words and synonyms.
        lengths[f]![d] = new Set(words).size;
        for (const word of words) {
          for (const term of termsOf(word) ?? []) {
            const id = this.#id(term);
            const perDoc = tf[f]!.get(id) ?? tf[f]!.set(id, new Map()).get(id)!;
            perDoc.set(d, (perDoc.get(d) ?? 0) + 1);
          }
        }
      });
    }
    const avg = lengths.map((l) => (n === 0 ? 0 : l.reduce((a, b) => a + b, 0) / n));
    for (let id = 0; id < this.#terms.length; id++) {
      const impact = new Map<number, number>();
      boosts.forEach((boost, f) => {
        const perDoc = tf[f]!.get(id);
        if (perDoc === undefined) return;
        const idf = Math.log(1 + (n - perDoc.size + 0.5) / (perDoc.size + 0.5));
        for (const [d, freq] of perDoc) {
          const norm = avg[f]! === 0 ? 1 : lengths[f]![d]! / avg[f]!;
          const score = idf * (D + (freq * (K + 1)) / (freq + K * (1 - B + B * norm)));
          impact.set(d, (impact.get(d) ?? 0) + boost * score);
        }
      });
      this.#postings.push({ docs: Int32Array.from(impact.keys()), impacts: Float64Array.from(impact.values()) });
    }
    this.#score = new Float64Array(n);
    this.#quality = new Int32Array(n);
    this.#mark = new Int32Array(n).fill(-1);
    this.#touched = new Int32Array(n);
  }

  /** Whether the catalog has this (folded) term. */
  has(term: string): boolean {
    return this.#termIds.has(term);
  }

  /**
   * The documents matching any query word, scored and sorted (ties keep first-matched order). A
   * document's score is multiplied by `boost(d)`; documents `keep(d)` rejects are left out.
   */
  search(words: readonly string[], boost: (d: number) => number, keep: ((d: number) => boolean) | undefined, limit: number): Ranked {
    // A query word counts once per occurrence (as in MiniSearch); its matches count once for quality.
    const counts = new Map<string, number>();
    for (const word of words) for (const term of this.#termsOf(word) ?? []) counts.set(term, (counts.get(term) ?? 0) + 1);
    let touched = 0;
    for (const [term, count] of counts) {
      const stamp = this.#stamp++;
      for (const { term: id, weight } of this.#expand(term)) {
        const { docs, impacts } = this.#postings[id]!;
        for (let i = 0; i < docs.length; i++) {
          const d = docs[i]!;
          if (this.#mark[d] === -1) this.#touched[touched++] = d;
          if (this.#mark[d] !== stamp) {
            this.#mark[d] = stamp;
            this.#quality[d]!++;
          }
          this.#score[d]! += count * weight * impacts[i]!;
        }
      }
    }
    const docs: number[] = [];
    const scores: number[] = [];
    for (let i = 0; i < touched; i++) {
      const d = this.#touched[i]!;
      const score = this.#score[d]! * this.#quality[d]! * boost(d);
      this.#score[d] = 0;
      this.#quality[d] = 0;
      this.#mark[d] = -1;
      if (keep !== undefined && !keep(d)) continue;
      // Insertion into the few best: a strict comparison keeps the first-matched of equal scores first.
      let at = docs.length;
      while (at > 0 && scores[at - 1]! < score) at--;
      if (at >= limit) continue;
      docs.splice(at, 0, d);
      scores.splice(at, 0, score);
      if (docs.length > limit) {
        docs.pop();
        scores.pop();
      }
    }
    if (this.#stamp > 1 << 30) this.#stamp = 0;
    return { docs, scores };
  }

  #id(term: string): number {
    let id = this.#termIds.get(term);
    if (id === undefined) {
      id = this.#terms.length;
      this.#termIds.set(term, id);
      this.#terms.push(term);
    }
    return id;
  }

  /** A known term matches itself; an unknown one matches the terms it prefixes or nearly spells. */
  #expand(term: string): readonly Derived[] {
    const known = this.#termIds.get(term);
    if (known !== undefined) return [{ term: known, weight: 1 }];
    let out = this.#derived.get(term);
    if (out !== undefined) return out;
    out = this.#near(term);
    if (this.#derived.size >= DERIVED_CACHE) this.#derived.clear();
    this.#derived.set(term, out);
    return out;
  }

  #near(term: string): Derived[] {
    const out: Derived[] = [];
    const prefix = term.length >= PREFIX.minLength;
    const maxDistance = term.length >= FUZZY.minLength ? Math.min(FUZZY.maxDistance, Math.round(term.length * FUZZY.fraction)) : 0;
    this.#terms.forEach((candidate, id) => {
      // As MiniSearch: a prefix match scores as one, whatever its edit distance.
      if (prefix && candidate.length > term.length && candidate.startsWith(term)) {
        const distance = candidate.length - term.length;
        out.push({ term: id, weight: (PREFIX.weight * candidate.length) / (candidate.length + 0.3 * distance) });
        return;
      }
      if (maxDistance === 0) return;
      const distance = editDistance(term, candidate, maxDistance);
      if (distance > 0 && distance <= maxDistance) {
        out.push({ term: id, weight: (FUZZY.weight * candidate.length) / (candidate.length + distance) });
      }
    });
    return out;
  }
}

/** Levenshtein distance of a and b, or `max + 1` once it is known to exceed `max`. */
export function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const value = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      current.push(value);
      if (value < best) best = value;
    }
    if (best > max) return max + 1;
    previous = current;
  }
  return previous[b.length]!;
}
