import { ToolIndex, splitWords } from '../src/index.js';
import { wordVectors } from '../src/word-vectors.js';
import { accuracy, catalogOf, loadFixtures, loadTasks, type Ranker } from '../test/retrieval.js';
import { stemmer } from 'stemmer';

const STOP = new Set('a an the to for of in on at by with from into onto about over under as is are was were be been being i me my mine we us our you your it its this that these those there their them they he she his her and or but if then so than too very just also please can could would should will shall may might must do does did done have has had having want wants need needs like some any each every which what who whom whose how when where why here up out via using use tool tools mcp server'.split(' '));
const v = wordVectors()!;
const D = v.dimensions;
const fixtures = loadFixtures();
const catalog = catalogOf(fixtures);
const sets = { tuned: loadTasks(), dev: loadTasks('tasks-dev.json') };
const A = Number(process.env.SIF ?? 1e-3);
const sif = (row: number) => A / (A + 1 / ((row + 1) * 12.7));
function addText(acc: Float64Array, text: string, weight: number, seen?: Set<string>) {
  for (const w of splitWords(text)) {
    if (STOP.has(w)) continue;
    if (seen) { if (seen.has(w)) continue; seen.add(w); }
    const r = v.rows.get(w);
    if (r === undefined) continue;
    const s = weight * sif(r);
    for (let d = 0; d < D; d++) acc[d] += s * v.data[r * D + d]!;
  }
}
function norm(acc: Float64Array): Float32Array {
  let n = 0; for (const x of acc) n += x * x; n = Math.sqrt(n) || 1;
  return Float32Array.from(acc, (x) => x / n);
}
const W = { name: Number(process.env.WN ?? 3), title: 2, desc: Number(process.env.WD ?? 1), args: Number(process.env.WA ?? 0.3), server: Number(process.env.WS ?? 1) };
const DESC_WORDS = Number(process.env.DW ?? 30);
const toolVecs = catalog.map((t) => {
  const acc = new Float64Array(D);
  addText(acc, t.tool.name, W.name);
  addText(acc, t.tool.title ?? '', W.title);
  addText(acc, splitWords(t.tool.description ?? '').slice(0, DESC_WORDS).join(' '), W.desc, new Set());
  addText(acc, Object.keys((t.tool.inputSchema as any).properties ?? {}).join(' '), W.args);
  addText(acc, t.server, W.server);
  return norm(acc);
});
function cosines(q: string): Float32Array {
  const acc = new Float64Array(D);
  addText(acc, q, 1);
  const qv = norm(acc);
  return Float32Array.from(toolVecs, (tv) => { let s = 0; for (let d = 0; d < D; d++) s += tv[d]! * qv[d]!; return s; });
}

type TW = { rows: Int32Array; ws: Float32Array };
const DESC2 = Number(process.env.DW2 ?? 12);
const toolWords: TW[] = catalog.map((t) => {
  const m = new Map<number, number>();
  const add = (text: string, w: number) => { for (const x of splitWords(text)) { if (STOP.has(x)) continue; const r = v.rows.get(x); if (r === undefined) continue; m.set(r, Math.max(m.get(r) ?? 0, w)); } };
  add(t.tool.name, 1); add(t.tool.title ?? '', 1); add(splitWords(t.tool.description ?? '').slice(0, DESC2).join(' '), Number(process.env.DWW ?? 0.8)); add(t.server, Number(process.env.SWW ?? 0.8));
  return { rows: Int32Array.from(m.keys()), ws: Float32Array.from(m.values()) };
});
function dot(a: number, b: number) { let s = 0; for (let d = 0; d < D; d++) s += v.data[a * D + d]! * v.data[b * D + d]!; return s; }
function maxsim(q: string): Float32Array {
  const qr: number[] = []; for (const x of splitWords(q)) { if (STOP.has(x)) continue; const r = v.rows.get(x); if (r !== undefined && !qr.includes(r)) qr.push(r); }
  const total = qr.reduce((s, r) => s + sif(r), 0) || 1;
  return Float32Array.from(toolWords, (tw) => { let s = 0; for (const r of qr) { let m = 0; for (let i = 0; i < tw.rows.length; i++) { const c = (tw.rows[i] === r ? 1 : dot(r, tw.rows[i]!)) * tw.ws[i]!; if (c > m) m = c; } s += sif(r) * m; } return s / total; });
}
const index = new ToolIndex();
index.rebuild(catalog);
const LAMBDA = Number(process.env.L ?? 1);
const MODE = process.env.MODE ?? 'sum';
const K = 60;
const pos = new Map(catalog.map((t, i) => [t.name, i]));
const ranker: Ranker = (task, limit) => {
  const hits = index.search(task, { limit: 1000 });
  const cos = process.env.SIM === 'max' ? maxsim(task) : cosines(task);
  const score = new Float64Array(catalog.length);
  if (MODE === 'emb') return [...catalog.keys()].sort((a, b) => cos[b]! - cos[a]!).slice(0, limit).map((i) => catalog[i]!.name);
  if (MODE === 'rrf') {
    hits.forEach((h, r) => (score[pos.get(h.name)!] += 1 / (K + r)));
    const order = [...catalog.keys()].sort((a, b) => cos[b]! - cos[a]!);
    order.forEach((i, r) => (score[i] += LAMBDA / (K + r)));
  } else {
    const max = hits[0]?.score ?? 1;
    for (const h of hits) score[pos.get(h.name)!] += h.score / max;
    for (let i = 0; i < catalog.length; i++) score[i] += LAMBDA * cos[i]!;
  }
  return [...catalog.keys()].sort((a, b) => score[b]! - score[a]!).slice(0, limit).map((i) => catalog[i]!.name);
};

const catVocab = new Set<string>();
for (const t of catalog) for (const w of splitWords(`${t.tool.name} ${t.tool.title ?? ''} ${t.tool.description ?? ''} ${t.server}`)) catVocab.add(w);
const catRows = [...catVocab].filter((w) => v.rows.has(w) && !STOP.has(w));
const TH = Number(process.env.TH ?? 0.65), KN = Number(process.env.KN ?? 2);
function expand(q: string): string {
  const extra: string[] = [];
  for (const x of splitWords(q)) {
    if (STOP.has(x) || catVocab.has(x)) continue;
    const r = v.rows.get(x); if (r === undefined) continue;
    const best = catRows.map((w) => [w, dot(r, v.rows.get(w)!)] as const).filter(([, s]) => s >= TH).sort((a, b) => b[1] - a[1]).slice(0, KN);
    for (const [w] of best) extra.push(w);
  }
  return extra.length ? `${q} ${extra.join(' ')}` : q;
}
const exp: Ranker = (task, limit) => index.search(expand(task), { limit }).map((h) => h.name);
const bm: Ranker = (task, limit) => index.search(task, { limit }).map((h) => h.name);
const out: string[] = [];
for (const [name, tasks] of Object.entries(sets)) {
  const base = accuracy(bm, tasks), mine = accuracy(process.env.MODE === 'exp' ? exp : ranker, tasks);
  out.push(`${name}: current ${(base.top1 * 100).toFixed(1)}/${(base.top3 * 100).toFixed(1)} fused ${(mine.top1 * 100).toFixed(1)}/${(mine.top3 * 100).toFixed(1)}`);
  if (process.env.MISSES) for (const m of mine.misses) console.log(name, m.task, '=>', m.got.join(' '), '| want', m.expect.join(' '));
}
console.log(`MODE=${MODE} L=${LAMBDA} SIF=${A} W=${JSON.stringify(W)} DW=${DESC_WORDS} :: ${out.join(' ; ')}`);
