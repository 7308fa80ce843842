import { describe, expect, it } from 'vitest';
import { accuracy, baselineRanker, catalogOf, loadFixtures, loadHeldOut, loadTasks, pluginRanker } from './retrieval.js';

// A quality test, not a timing test: the ranker's accuracy on real tool lists (test/fixtures, captured
// from published MCP servers) must not fall below what it reached: issue 17's targets on the tasks of
// test/tasks.json (which the synonym table was written against), and the lower, honest figures on
// the held-out sets.
describe('retrieval quality on real tool lists', () => {
  const fixtures = loadFixtures();
  const catalog = catalogOf(fixtures);
  const tasks = loadTasks();

  it('runs on >= 150 real tool definitions and >= 100 tasks whose answers exist', () => {
    expect(catalog.length).toBeGreaterThanOrEqual(150);
    expect(tasks.length).toBeGreaterThanOrEqual(100);
    for (const f of fixtures) expect(f.package).toMatch(/^@?[\w.-]+(\/[\w.-]+)?@\d/);
    const names = new Set(catalog.map((t) => t.name));
    for (const t of tasks) for (const e of t.expect) expect(names.has(e), `${t.task} expects ${e}`).toBe(true);
  });

  it('puts the right tool in the top 3 for >= 90% of the tasks, >= 15 points above plain BM25', () => {
    const plugin = accuracy(pluginRanker(catalog), tasks);
    const baseline = accuracy(baselineRanker(catalog), tasks);
    expect(plugin.top3, JSON.stringify(plugin.misses, null, 1)).toBeGreaterThanOrEqual(0.9);
    expect(plugin.top3 - baseline.top3).toBeGreaterThanOrEqual(0.15);
    expect(plugin.top1).toBeGreaterThan(baseline.top1);
  });

  it('on 310 held-out tasks never used to tune it: >= 78% top-3, >= 15 points above plain BM25', () => {
    // Four sets written after the synonyms and settings were frozen (README, "Measured"). When these
    // thresholds were set the plugin reached 80.3% top-3 (BM25 60.6%); the tuned set's 97% is not
    // what unseen phrasing gets. Without the synonym table sets 1-3 fall to 67.2%, under the threshold.
    const heldOut = loadHeldOut();
    const plugin = accuracy(pluginRanker(catalog), heldOut);
    const baseline = accuracy(baselineRanker(catalog), heldOut);
    expect(heldOut.length).toBeGreaterThanOrEqual(300);
    const names = new Set(catalog.map((t) => t.name));
    for (const t of heldOut) for (const e of t.expect) expect(names.has(e), `${t.task} expects ${e}`).toBe(true);
    expect(plugin.top3, JSON.stringify(plugin.misses, null, 1)).toBeGreaterThanOrEqual(0.78);
    expect(plugin.top3 - baseline.top3).toBeGreaterThanOrEqual(0.15);
    expect(plugin.top1 - baseline.top1).toBeGreaterThanOrEqual(0.15);
  });

  it('on the last held-out set alone (63 tasks, never looked at before the figure was taken): >= 75% top-3, above BM25', () => {
    // The strictest set: only measured once, after every ranker change. 77.8% against BM25's 68.3%.
    const last = loadTasks('tasks-held-out-3.json');
    const plugin = accuracy(pluginRanker(catalog), last);
    const baseline = accuracy(baselineRanker(catalog), last);
    expect(plugin.top3).toBeGreaterThanOrEqual(0.75);
    expect(plugin.top3 - baseline.top3).toBeGreaterThanOrEqual(0.05);
  });

  it('on the fourth held-out set alone (121 tasks, committed before any ranker ran on it): >= 78% top-3, >= 15 points above BM25', () => {
    // Measured once, on the final ranker: 81.0% top-3 against BM25's 60.3%.
    const fourth = loadTasks('tasks-held-out-4.json');
    const plugin = accuracy(pluginRanker(catalog), fourth);
    const baseline = accuracy(baselineRanker(catalog), fourth);
    expect(fourth.length).toBeGreaterThanOrEqual(100);
    expect(new Set(fourth.flatMap((t) => t.expect.map((e) => e.split('/')[0]))).size).toBe(fixtures.length);
    expect(plugin.top3).toBeGreaterThanOrEqual(0.78);
    expect(plugin.top3 - baseline.top3).toBeGreaterThanOrEqual(0.15);
  });

  it('finds tools despite typos and cut words (fuzzy and prefix matching of words the catalog lacks)', () => {
    const rank = pluginRanker(catalog);
    const typos = [
      { task: 'creat an isue on github', expect: ['github/create_issue'] },
      { task: 'take a screnshot of the page with puppeteer', expect: ['puppeteer/puppeteer_screenshot'] },
      { task: 'serch the knowlege graph for Alice', expect: ['memory/search_nodes'] },
      { task: 'show the kubernets deploymnt logs', expect: ['kubernetes/kubectl_logs'] },
      { task: 'geocod this adress', expect: ['google-maps/maps_geocode'] },
    ];
    expect(accuracy(rank, typos).misses).toEqual([]);
  });

  it('keeps its accuracy in a catalog ten times larger (the fixtures replicated under other server names)', () => {
    // A copy (`github-3/create_issue`) is the same tool on a server of the same kind: copies count as
    // one tool (the top 3 are three different tools), and as the expected one; the other 2,000 tools
    // are noise the ranking must see through.
    const rank = pluginRanker(catalogOf(fixtures, 10));
    const sameKind: typeof rank = (task, limit) =>
      [...new Set(rank(task, limit * 10).map((name) => name.replace(/^([^/]+)-\d+\//, '$1/')))].slice(0, limit);
    expect(accuracy(sameKind, tasks).top3).toBeGreaterThanOrEqual(0.9);
  });
});
