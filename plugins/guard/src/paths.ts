import { realpathSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';

/** Expands `~` and `~/...` to the gateway's home directory; `~user` is left alone (and so is relative). */
export function expandHome(p: string): string {
  if (p === '~') return homedir();
  if (p.startsWith('~/') || p.startsWith(`~${path.sep}`)) return path.join(homedir(), p.slice(2));
  return p;
}

/**
 * Resolves allowed roots once, at start: `~` expanded, made absolute, symlinks resolved (a root
 * reached through a symlink must compare equal to what its paths resolve to). Throws naming the
 * root when it does not exist.
 */
export function resolveRoots(roots: readonly string[], field: string): string[] {
  return roots.map((root, i) => {
    const expanded = expandHome(root);
    if (!path.isAbsolute(expanded)) throw new Error(`${field}[${i}]: "${root}" must be an absolute path (or start with ~)`);
    try {
      return realpathSync.native(expanded);
    } catch (error) {
      throw new Error(`${field}[${i}]: "${root}" cannot be resolved: ${(error as Error).message}`, { cause: error });
    }
  });
}

/** True when `p` (absolute, resolved) is `root` or inside it. */
export function inside(p: string, root: string): boolean {
  if (p === root) return true;
  const prefix = root.endsWith(path.sep) ? root : root + path.sep;
  return p.startsWith(prefix);
}

/**
 * The real path of `p` (absolute): `realpath` of its longest existing prefix with the rest appended
 * and normalised. The rest does not exist, so it holds no symlink; `..` in it is resolved
 * lexically, as the OS would once the missing directories were created.
 */
async function realpathOfPrefix(p: string): Promise<string> {
  let head = p;
  const tail: string[] = [];
  for (;;) {
    try {
      const real = await realpath(head);
      return tail.length === 0 ? real : path.resolve(real, ...tail.reverse());
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // Only "does not exist (yet)" walks up; EACCES, ELOOP ... mean we cannot know where it leads.
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw error;
      const parent = path.dirname(head);
      if (parent === head) throw error;
      tail.push(path.basename(head));
      head = parent;
    }
  }
}

/** The verdict on one path argument: `undefined` when allowed, else why not. */
export type PathVerdict = string | undefined;

/**
 * Checks a path argument against resolved roots. The path is made absolute (`~` expanded; a
 * relative path against `base`, or refused without one) and resolved twice, both of which must
 * land inside a root:
 * - lexically (`path.resolve`: `a/link/../b` is `a/b`), as servers that normalise before opening do;
 * - physically (the raw string to `realpath`: `a/link/..` is the parent of the link's target), as
 *   the OS does for a server that passes the string straight to `open()`.
 * Either way, symlinks in the existing part are followed (see {@link realpathOfPrefix}).
 */
export async function checkPath(value: string, roots: readonly string[], base: string | undefined): Promise<PathVerdict> {
  if (value.includes('\0')) return 'contains a NUL character';
  if (value.startsWith('file:')) return 'is a file: URL, not a path';
  let p = expandHome(value);
  if (p.startsWith('~')) return 'names another user\'s home directory ("~user"), which is not allowed';
  if (!path.isAbsolute(p)) {
    if (base === undefined) return 'is a relative path (only absolute paths are allowed: no base directory is configured)';
    p = path.join(base, p);
  }
  let lexical: string;
  let physical: string;
  try {
    lexical = await realpathOfPrefix(path.resolve(p));
    // The raw string: path.join above already normalised a relative one, so re-join without normalising.
    physical = await realpathOfPrefix(path.isAbsolute(expandHome(value)) ? expandHome(value) : `${base}${path.sep}${value}`);
  } catch (error) {
    return `cannot be resolved (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
  }
  for (const real of [lexical, physical]) {
    if (!roots.some((root) => inside(real, root))) return `resolves to "${real}", outside the allowed roots`;
  }
  return undefined;
}
