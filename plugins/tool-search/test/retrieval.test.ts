import { describe, expect, it } from 'vitest';
import { accuracy, baselineRanker, catalogOf, loadFixtures, loadTasks, pluginRanker } from './retrieval.js';

// A quality test, not a timing test: the ranker's accuracy on real tool lists (test/fixtures, captured
// from published MCP servers) and the tasks of test/tasks.json must stay at the targets of issue 17.
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

  it('beats plain BM25 by >= 15 points top-3 on held-out tasks never used to tune it', () => {
    // tasks-held-out.json was written after the synonyms and settings were frozen. Its top-3 is lower
    // than the main set's (about 76% against 97% when written): the honest figure for unseen phrasing.
    const heldOut = loadTasks('tasks-held-out.json');
    const plugin = accuracy(pluginRanker(catalog), heldOut);
    const baseline = accuracy(baselineRanker(catalog), heldOut);
    expect(heldOut.length).toBeGreaterThanOrEqual(40);
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
