import MiniSearch from 'minisearch';
import { describe, expect, it } from 'vitest';
import { Bm25, editDistance } from '../src/bm25.js';
import { splitWords, Vocabulary } from '../src/text.js';
import { catalogOf, loadFixtures, loadTasks } from './retrieval.js';

// The typed-array index must score exactly as MiniSearch (BM25+ per field, times the number of query
// words matched) with the options the ranker used before it: the accuracy figures rest on that.
describe('Bm25 scores as MiniSearch does', () => {
  const vocabulary = new Vocabulary();
  const fields = ['name', 'description', 'args'] as const;
  const boosts = [3, 1, 0.6];
  const docs = catalogOf(loadFixtures(), 3).map((t, i) => ({
    id: i,
    name: t.tool.name,
    description: t.tool.description ?? '',
    args: Object.keys((t.tool.inputSchema as { properties?: object }).properties ?? {}).join(' '),
  }));
  const fast = new Bm25(
    docs.map((d) => fields.map((f) => splitWords(d[f]))),
    boosts,
    (w) => vocabulary.terms(w),
  );
  const mini = new MiniSearch<(typeof docs)[number]>({
    fields: [...fields],
    tokenize: splitWords,
    processTerm: (t) => vocabulary.terms(t),
  });
  mini.addAll(docs);
  const unknown = (term: string) => !fast.has(term);
  const queries = [
    ...loadTasks().map((t) => t.task),
    'creat an isue',
    'screnshot the paeg',
    'kubernets deploymnt logs',
    'file file delete',
    '',
  ];

  it('gives the same documents, order and scores on every tuned task and typos (server boost and filter included)', () => {
    const boost = (d: number) => (d % 7 === 0 ? 3 : 1);
    const keep = (d: number) => d % 5 !== 0;
    for (const q of queries) {
      const ours = fast.search(splitWords(q), boost, keep, 10);
      const theirs = mini
        .search(q, {
          boost: { name: 3, description: 1, args: 0.6 },
          prefix: (t) => t.length >= 4 && unknown(t),
          fuzzy: (t) => (t.length >= 5 && unknown(t) ? 0.25 : false),
          maxFuzzy: 2,
          weights: { prefix: 0.4, fuzzy: 0.3 },
          boostDocument: (id) => boost(id as number),
          filter: (r) => keep(r.id as number),
        })
        .slice(0, 10);
      expect(ours.docs, q).toEqual(theirs.map((r) => r.id));
      ours.scores.forEach((s, i) => expect(s).toBeCloseTo(theirs[i]!.score, 9));
    }
  });

  it('leaves no state behind: the same search twice gives the same answer', () => {
    const first = fast.search(splitWords('create an issue on github'), () => 1, undefined, 5);
    fast.search(splitWords('delete the redis key'), () => 2, undefined, 5);
    expect(fast.search(splitWords('create an issue on github'), () => 1, undefined, 5)).toEqual(first);
  });
});

describe('editDistance', () => {
  it('counts insertions, deletions and substitutions, and stops past the bound', () => {
    expect(editDistance('issue', 'isue', 2)).toBe(1);
    expect(editDistance('kitten', 'sitting', 3)).toBe(3);
    expect(editDistance('kitten', 'sitting', 2)).toBe(3);
    expect(editDistance('abc', 'abcdef', 2)).toBe(3);
    expect(editDistance('same', 'same', 2)).toBe(0);
  });
});
