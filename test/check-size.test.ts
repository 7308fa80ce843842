// scripts/check-size.mjs as CI and the lead run it: `node scripts/check-size.mjs [ROOT ...] [--allow PATH]`,
// a real child process over real files, judged by its exit code and its lines.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SCRIPT = join(ROOT, 'scripts', 'check-size.mjs');
/** Each check is a node process loading the TypeScript compiler: about a second, several on a busy machine. */
const SLOW = 120_000;

/** A function of `n` lines in all (signature and closing brace included). */
const fn = (name: string, n: number): string => `export function ${name}(): number {\n${'  void 0;\n'.repeat(n - 3)}  return 1;\n}\n`;

function check(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [SCRIPT, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('scripts/check-size.mjs', () => {
  let dir: string;
  let rel: string;

  beforeAll(() => {
    // Inside the repository, so paths are reported (and allowed) relative to its root.
    mkdirSync(join(ROOT, 'node_modules', '.cache'), { recursive: true });
    dir = mkdtempSync(join(ROOT, 'node_modules', '.cache', 'check-size-'));
    rel = relative(ROOT, dir);
    mkdirSync(join(dir, 'ok'));
    mkdirSync(join(dir, 'bad'));
    writeFileSync(join(dir, 'ok', 'small.ts'), fn('small', 80));
    writeFileSync(join(dir, 'ok', 'types.d.ts'), `${'export type T = 1;\n'.repeat(500)}`);
    writeFileSync(join(dir, 'bad', 'long-function.ts'), fn('tooLong', 81));
    // Arrow functions and methods count too; a nested closure makes its container long as well.
    const arrow = `export const make = () => {\n  const inner = () => {\n${'    void 0;\n'.repeat(85)}  };\n  return inner;\n};\n`;
    writeFileSync(join(dir, 'bad', 'arrow.ts'), arrow);
    writeFileSync(join(dir, 'bad', 'method.ts'), `export class C {\n  m(): void {\n${'    void 0;\n'.repeat(81)}  }\n}\n`);
    writeFileSync(join(dir, 'bad', 'long-file.ts'), `${'export const x = 1;\n'.repeat(401)}`);
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('passes files within the limits (80-line functions, .d.ts files ignored) with exit 0', () => {
    const r = check(join(rel, 'ok'));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/1 files within 400 lines, functions within 80/);
  });

  it('names every long function (declaration, arrow, nested arrow, method) and long file, with exit 1', () => {
    const r = check(join(rel, 'bad'));
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`${rel}/bad/long-function.ts:1: function tooLong is 81 lines (limit 80)`);
    expect(r.stdout).toContain(`${rel}/bad/arrow.ts:1: function make is 90 lines (limit 80)`);
    expect(r.stdout).toContain(`${rel}/bad/arrow.ts:2: function inner is 87 lines (limit 80)`);
    expect(r.stdout).toContain(`${rel}/bad/method.ts:2: function m is 83 lines (limit 80)`);
    expect(r.stdout).toContain(`${rel}/bad/long-file.ts: 401 lines (limit 400)`);
    expect(r.stderr).toMatch(/5 finding\(s\) in 4 files/);
  });

  it('skips the paths given with --allow (a file or a folder), and takes other limits', () => {
    expect(check(join(rel, 'bad'), '--allow', join(rel, 'bad')).code).toBe(0);
    const r = check(join(rel, 'bad'), '--allow', join(rel, 'bad', 'arrow.ts'), '--allow', `${join(rel, 'bad', 'method.ts')}/`);
    expect(r.code).toBe(1);
    expect(r.stdout).not.toContain('arrow.ts');
    expect(r.stdout).not.toContain('method.ts');
    expect(check(join(rel, 'bad'), '--max-lines', '500', '--max-function', '100').code).toBe(0);
  }, SLOW);

  it('says what is wrong with bad arguments (exit 2)', () => {
    expect(check('--max-lines', 'ten')).toMatchObject({ code: 2, stderr: expect.stringMatching(/--max-lines must be a positive integer, got "ten"/) });
    expect(check('--allow')).toMatchObject({ code: 2, stderr: expect.stringMatching(/--allow needs a value/) });
    expect(check('--frobnicate')).toMatchObject({ code: 2, stderr: expect.stringMatching(/unknown option --frobnicate/) });
    expect(check(join(rel, 'missing'))).toMatchObject({ code: 2, stderr: expect.stringMatching(/no such file or folder/) });
  }, SLOW);

  it('checks the packages and plugins by default: every source file of this repository is within the limits', () => {
    const r = check();
    expect(r.stdout + r.stderr).toMatch(/files within 400 lines, functions within 80/);
    expect(r.code).toBe(0);
  }, SLOW);
});
