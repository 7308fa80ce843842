import { mkdtempSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import madge from 'madge';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');

/** Every workspace member with a `src` folder: packages, plugins, examples. */
const SOURCES = ['packages', 'plugins', 'examples'].flatMap((group) =>
  readdirSync(join(ROOT, group))
    .map((name) => `${group}/${name}/src`)
    .filter((src) => existsSync(join(ROOT, src))),
);

/**
 * The import graph of one folder. Type-only imports count: DESIGN 3.5 asks for no import cycle inside a
 * package, and a loop of types is what welded core's files together (types.ts -> bridge.ts -> everything).
 */
async function graphOf(dir: string): Promise<Record<string, string[]>> {
  const result = await madge(dir, {
    fileExtensions: ['ts'],
    detectiveOptions: { ts: { skipTypeImports: false }, tsx: { skipTypeImports: false } },
  });
  return result.obj();
}

/** Strongly connected components with more than one file (or a file importing itself): the whole loops, not one path each. */
function loops(graph: Record<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph[v] ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || (graph[v] ?? []).includes(v)) out.push(component.sort());
  };
  for (const v of Object.keys(graph)) if (!index.has(v)) visit(v);
  return out;
}

const scratch: string[] = [];
afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

describe('no import cycle inside a package (madge, type-only imports included)', () => {
  it('sees a loop made of type-only imports (the check itself works)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcp-bridge-cycles-'));
    scratch.push(dir);
    writeFileSync(join(dir, 'a.ts'), "import type { B } from './b.js';\nexport interface A { b: B }\n");
    writeFileSync(join(dir, 'b.ts'), "import type { A } from './a.js';\nexport interface B { a?: A }\n");
    writeFileSync(join(dir, 'c.ts'), "import { x } from './d.js';\nexport const c = x;\n");
    writeFileSync(join(dir, 'd.ts'), 'export const x = 1;\n');
    expect(loops(await graphOf(dir))).toEqual([['a.ts', 'b.ts']]);
  });

  it('reads the real graph (core has its known edges)', async () => {
    const graph = await graphOf(join(ROOT, 'packages/core/src'));
    expect(graph['bridge.ts']).toEqual(expect.arrayContaining(['boot.ts', 'types.ts', 'plugin-api.ts']));
    expect(graph['boot.ts']).toEqual(expect.arrayContaining(['plugin-api.ts']));
  });

  it.each(SOURCES)('%s has no import cycle', async (src) => {
    const found = loops(await graphOf(join(ROOT, src)));
    expect(found, `${src}: files importing each other in a loop: ${found.map((l) => l.join(' <-> ')).join('; ')}`).toEqual([]);
  });
});
