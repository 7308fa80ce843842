#!/usr/bin/env node
// `pnpm bench [name] [--calls N ...]`: runs bench/src/<name>.ts (every bench when no name is given)
// with tsx against the TypeScript sources (export condition `@mcp-bridge/source`); extra arguments
// are passed to each bench. Benches run one after another, never in parallel (they measure time).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const benchDir = join(root, 'bench');
const srcDir = join(benchDir, 'src');

const available = existsSync(srcDir)
  ? readdirSync(srcDir, { withFileTypes: true })
      .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
      .map((e) => e.name.slice(0, -3))
      .sort()
  : [];

const argv = process.argv.slice(2);
// The first argument is a bench name unless it is an option.
const names = argv.length > 0 && !argv[0].startsWith('-') ? [argv.shift()] : available;
if (names.length === 0) {
  console.error('[bench] no benches found in bench/src');
  process.exit(1);
}
for (const name of names) {
  if (!available.includes(name)) {
    console.error(`[bench] unknown bench "${name}"; available: ${available.join(', ') || 'none'}`);
    process.exit(1);
  }
}

let tsx;
try {
  tsx = pathToFileURL(createRequire(join(benchDir, 'package.json')).resolve('tsx')).href;
} catch {
  console.error('[bench] tsx is not installed: run `pnpm install` at the repository root');
  process.exit(1);
}

let failed = 0;
for (const name of names) {
  if (names.length > 1) console.log(`\n[bench] ${name}`);
  const result = spawnSync(process.execPath, ['--conditions=@mcp-bridge/source', '--import', tsx, join(srcDir, `${name}.ts`), ...argv], {
    cwd: benchDir,
    stdio: 'inherit',
  });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    failed++;
    console.error(`[bench] ${name} failed (${result.signal ?? `exit code ${result.status}`})`);
  }
}
process.exit(failed > 0 ? 1 : 0);
