import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = fileURLToPath(new URL('../src/', import.meta.url));
const IMPORT =
  /(?:\bimport\s*(?:type\s+)?(?:[\w*{}\s,]+from\s*)?|\bexport\s+(?:type\s+)?[\w*{}\s,]+from\s*|\bimport\s*\(\s*|\brequire\s*\(\s*)['"]([^'"]+)['"]/g;

/** Every module specifier a source file names, with whether the import is type-only. */
function specifiers(file: string): Array<{ spec: string; typeOnly: boolean }> {
  // Comments hold @example imports; only code counts.
  const text = readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
  return [...text.matchAll(IMPORT)].map((match) => ({
    spec: match[1]!,
    typeOnly: /^(?:import|export)\s+type\b/.test(match[0]),
  }));
}

/** The root entry and every relative module it reaches, with what each imports at runtime. */
function walk(entry: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (graph.has(file)) continue;
    const runtime = specifiers(file)
      .filter((s) => !s.typeOnly)
      .map((s) => s.spec);
    graph.set(file, runtime);
    for (const spec of specifiers(file).map((s) => s.spec)) {
      if (spec.startsWith('.')) queue.push(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
    }
  }
  return graph;
}

const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

describe('root entry', () => {
  const graph = walk(resolve(src, 'index.ts'));

  it('reaches the expected modules and none of the stdio subpath', () => {
    const files = [...graph.keys()].map((file) => file.slice(src.length)).sort();
    expect(files).toContain('connect.ts');
    expect(files).toContain('config.ts');
    expect(files.some((file) => file.startsWith('stdio/'))).toBe(false);
  });

  it('imports no node builtins (node:*, child_process, fs ...), not even for types', () => {
    for (const file of graph.keys()) {
      for (const { spec } of specifiers(file)) {
        expect(builtins.has(spec), `${file} imports ${spec}`).toBe(false);
        expect(spec.startsWith('node:'), `${file} imports ${spec}`).toBe(false);
      }
    }
  });

  it('loads stdio only through the package subpath, lazily', () => {
    const external = [...graph.values()].flat().filter((spec) => spec.startsWith('@mcp-bridge/'));
    expect(external).toEqual(['@mcp-bridge/transports/stdio']);
    const connectSource = readFileSync(resolve(src, 'connect.ts'), 'utf8');
    expect(connectSource).toMatch(/await import\('@mcp-bridge\/transports\/stdio'\)/);
    expect(connectSource).not.toMatch(/^import[^;]*'@mcp-bridge\/transports\/stdio'/m);
  });

  it('pulls in only the SDK parts that run outside node', () => {
    const sdk = [...graph.values()].flat().filter((spec) => spec.startsWith('@modelcontextprotocol/sdk'));
    for (const spec of sdk) expect(spec, spec).not.toMatch(/stdio|server\//);
  });
});
