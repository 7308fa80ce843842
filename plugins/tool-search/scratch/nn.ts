import { splitWords } from '../src/index.js';
import { wordVectors } from '../src/word-vectors.js';
import { catalogOf, loadFixtures } from '../test/retrieval.js';
const v = wordVectors()!; const D = 100;
const vocab = new Set<string>();
for (const t of catalogOf(loadFixtures())) for (const w of splitWords(`${t.tool.name} ${t.tool.title ?? ''} ${t.tool.description ?? ''}`)) if (v.rows.has(w)) vocab.add(w);
console.log('catalog vocab with vectors', vocab.size);
const dot = (a: number, b: number) => { let s = 0; for (let d = 0; d < D; d++) s += v.data[a * D + d]! * v.data[b * D + d]!; return s; };
for (const q of process.argv.slice(2)) {
  const r = v.rows.get(q); if (r === undefined) { console.log(q, 'unknown'); continue; }
  const best = [...vocab].filter((w) => w !== q).map((w) => [w, dot(r, v.rows.get(w)!)] as const).sort((a, b) => b[1] - a[1]).slice(0, 8);
  console.log(q, best.map(([w, s]) => `${w}:${s.toFixed(2)}`).join(' '));
}
