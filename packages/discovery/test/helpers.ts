import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach } from 'vitest';
import type { DiscoverOptions } from '../src/index.js';

/** A temporary machine: `root/home` is the home, `root/work/app/sub` a project tree. Removed after each test. */
export interface Tree {
  root: string;
  home: string;
  /** `root/work`: the parent project folder. */
  work: string;
  /** `root/work/app`: the project. */
  app: string;
  /** `root/work/app/sub`: where discovery starts. */
  cwd: string;
  /** Writes a file (text as is, anything else as JSON), creating folders. Returns its absolute path. */
  write(path: string, content: unknown): string;
  /** Options that never look outside the tree. */
  options(extra?: DiscoverOptions): DiscoverOptions;
}

/** Creates a fresh tree per test (call at the top of a describe or file). */
export function useTree(): () => Tree {
  const made: string[] = [];
  afterEach(() => {
    for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    // realpath: on some systems tmpdir is a symlink, and provenance paths are compared literally.
    const root = realpathSync(mkdtempSync(join(tmpdir(), 'mcp-discovery-')));
    made.push(root);
    const home = join(root, 'home');
    const work = join(root, 'work');
    const app = join(work, 'app');
    const cwd = join(app, 'sub');
    for (const dir of [home, cwd]) mkdirSync(dir, { recursive: true });
    return {
      root,
      home,
      work,
      app,
      cwd,
      write(path, content) {
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
        return path;
      },
      options(extra = {}) {
        return { cwd, home, env: {}, platform: 'linux', root, ...extra };
      },
    };
  };
}

/** A stdio entry that is only ever validated, never started. */
export function cmd(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { command: 'node', args: [`${name}.js`], ...extra };
}
