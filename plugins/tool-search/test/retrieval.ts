// The retrieval evaluation shared by the quality test (retrieval.test.ts) and `pnpm bench tool-search`:
// the real tool lists in fixtures/, the tasks in tasks.json, the plugin's ranker and a plain BM25
// baseline (MiniSearch with default settings over the same fields).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import MiniSearch from 'minisearch';
import { ToolIndex, type IndexableTool } from '../src/index.js';

const here = fileURLToPath(new URL('.', import.meta.url));

/** One captured tools/list: the server name it is given in the catalog, where it came from, its tools. */
export interface ToolFixture {
  server: string;
  package: string;
  source: string;
  tools: Tool[];
}

/** One task: what a user says, and every acceptable `server/tool`. */
export interface RetrievalTask {
  task: string;
  expect: string[];
}

/** Every fixture in test/fixtures, by file name order. */
export function loadFixtures(): ToolFixture[] {
  const dir = join(here, 'fixtures');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as ToolFixture);
}

/** The tasks of test/tasks.json, or of another task file of test/ (`tasks-dev.json`, `tasks-held-out.json` ...). */
export function loadTasks(file = 'tasks.json'): RetrievalTask[] {
  return (JSON.parse(readFileSync(join(here, file), 'utf8')) as { tasks: RetrievalTask[] }).tasks;
}

/**
 * The held-out task sets, in the order they were written; none was used to tune the ranker (see the
 * README, "Measured", for how each was made and which were looked at while trying changes).
 */
export const HELD_OUT_FILES = ['tasks-held-out.json', 'tasks-held-out-2.json', 'tasks-held-out-3.json', 'tasks-held-out-4.json'] as const;

/** Every held-out task, all sets together. */
export function loadHeldOut(): RetrievalTask[] {
  return HELD_OUT_FILES.flatMap((f) => loadTasks(f));
}

/**
 * The fixtures as catalog entries. Exposed names are `server/tool` here so each is unique (a bridge
 * would prefix colliding names); the tool keeps its own name, which is what both rankers index.
 * `copies` > 1 replicates the catalog under distinct server names (`github-2` ...) for timing.
 */
export function catalogOf(fixtures: readonly ToolFixture[], copies = 1): IndexableTool[] {
  const out: IndexableTool[] = [];
  for (let i = 1; i <= copies; i++) {
    for (const f of fixtures) {
      const server = i === 1 ? f.server : `${f.server}-${i}`;
      for (const tool of f.tools) out.push({ name: `${server}/${tool.name}`, server, tool });
    }
  }
  return out;
}

/** Something that ranks the catalog for a task: exposed names, best first. */
export type Ranker = (task: string, limit: number) => string[];

/** The plugin's ranker over `catalog`. */
export function pluginRanker(catalog: readonly IndexableTool[]): Ranker {
  const index = new ToolIndex();
  index.rebuild(catalog);
  return (task, limit) => index.search(task, { limit }).map((h) => h.name);
}

/** Plain BM25: MiniSearch with its default settings over the same fields (name, title, description, argument names, server). */
export function baselineRanker(catalog: readonly IndexableTool[]): Ranker {
  const search = new MiniSearch<{ id: string; name: string; title: string; description: string; args: string; server: string }>({
    fields: ['name', 'title', 'description', 'args', 'server'],
  });
  search.addAll(
    catalog.map((t) => ({
      id: t.name,
      name: t.tool.name,
      title: t.tool.title ?? t.tool.annotations?.title ?? '',
      description: t.tool.description ?? '',
      args: Object.keys((t.tool.inputSchema as { properties?: Record<string, unknown> }).properties ?? {}).join(' '),
      server: t.server,
    })),
  );
  return (task, limit) =>
    search
      .search(task)
      .slice(0, limit)
      .map((r) => r.id as string);
}

/** Accuracy of a ranker on the tasks: share of tasks with an acceptable tool first, and within the first 3. */
export interface Accuracy {
  top1: number;
  top3: number;
  /** Tasks missed in the top 3, with what came first. */
  misses: { task: string; expect: string[]; got: string[] }[];
}

/** Runs every task through `rank`. */
export function accuracy(rank: Ranker, tasks: readonly RetrievalTask[]): Accuracy {
  let top1 = 0;
  let top3 = 0;
  const misses: Accuracy['misses'] = [];
  for (const t of tasks) {
    const got = rank(t.task, 3);
    if (got[0] !== undefined && t.expect.includes(got[0])) top1++;
    if (got.some((g) => t.expect.includes(g))) top3++;
    else misses.push({ task: t.task, expect: t.expect, got });
  }
  return { top1: top1 / tasks.length, top3: top3 / tasks.length, misses };
}
