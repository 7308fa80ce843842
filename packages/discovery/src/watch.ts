import { statSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { diffDiscovery } from './diff.js';
import { discoverResolved, type DiscoveryMemory } from './discover.js';
import { locationsOf, resolveOptions, type ResolvedOptions } from './locations.js';
import type { DiscoverOptions, DiscoveryChange, DiscoveryResult } from './types.js';

/** Options of {@link watchConfigs}. */
export interface WatchConfigsOptions {
  /**
   * Quiet time after the last file event before re-reading, in ms (default 150): editors write in
   * bursts. A burst that never pauses is read at most `max(10 × debounceMs, 1000)` ms after it began.
   */
  debounceMs?: number;
  /**
   * The discovery the caller already acts on (e.g. the one its bridge was built from). The watcher
   * diffs against it, so a file edited between that discovery and the watch start is not missed.
   * Default: the watcher's own first discovery.
   */
  initial?: DiscoveryResult;
  /** Errors of `onChange` or of a re-read (default `console.error`). */
  onError?: (error: unknown) => void;
  /** Keep the process alive while watching (default `true`, as `fs.watch`). */
  persistent?: boolean;
}

/** A running watch: the latest discovery, and `close()`. */
export interface ConfigWatcher {
  /** The latest discovery (the first one until something changes). */
  readonly result: DiscoveryResult;
  /** Re-reads now instead of waiting for a file event; resolves after `onChange` (if any) returned. */
  refresh(): Promise<void>;
  /** Stops watching; waits for a re-read or `onChange` in progress. Idempotent. */
  close(): Promise<void>;
}

interface DirWatch {
  watcher: FSWatcher;
  ino: number;
  names: Set<string>;
}

/**
 * Watches every config file discovery reads, and the places one could appear (a `.mcp.json`
 * created later, a `.vscode` folder made later), with `fs.watch` on directories — robust to
 * editors that save by writing a temporary file and renaming it. After a quiet `debounceMs` it
 * re-discovers and calls `onChange` when servers were added, removed or changed (canonically), or
 * when the issues changed. A broken edit keeps the last good config: a file that stops parsing is
 * read from its last good version, a server whose entry turns invalid keeps its last good config,
 * and the issue is reported. `onChange` calls never overlap; a returned promise is awaited.
 *
 * @example
 * const result = await discover(options);
 * const bridge = createBridge({ servers: bridgeServers(result) });
 * await bridge.start();
 * const watcher = await watchConfigs(options, (change) => applyChange(bridge, change), { initial: result });
 * // ... later
 * await watcher.close();
 */
export async function watchConfigs(
  options: DiscoverOptions,
  onChange: (change: DiscoveryChange) => void | Promise<void>,
  watchOptions: WatchConfigsOptions = {},
): Promise<ConfigWatcher> {
  const w = new DiscoveryWatch(resolveOptions(options), onChange, watchOptions);
  await w.start();
  return {
    get result() {
      return w.current;
    },
    refresh: () => w.refresh(),
    close: () => w.close(),
  };
}

/** The state of one {@link watchConfigs}: folder watchers, the debounce, and the re-read loop. */
class DiscoveryWatch {
  readonly #o: ResolvedOptions;
  readonly #onChange: (change: DiscoveryChange) => void | Promise<void>;
  readonly #initial: DiscoveryResult | undefined;
  readonly #debounceMs: number;
  readonly #onError: (error: unknown) => void;
  readonly #persistent: boolean;
  readonly #memory: DiscoveryMemory = { files: new Map(), servers: new Map(), extraFiles: new Set() };
  readonly #dirs = new Map<string, DirWatch>();
  // A burst of events is read at most this long after it began.
  readonly #maxWaitMs: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #pendingSince: number | undefined;
  #closed = false;
  #running: Promise<void> | undefined;
  #again = false;
  #started = false;
  #changedWhileStarting = false;
  /** The latest discovery. */
  current: DiscoveryResult = { servers: [], skipped: [], files: [], issues: [] };
  #baseline = this.current;

  constructor(o: ResolvedOptions, onChange: (change: DiscoveryChange) => void | Promise<void>, watchOptions: WatchConfigsOptions) {
    this.#o = o;
    this.#onChange = onChange;
    this.#initial = watchOptions.initial;
    this.#debounceMs = watchOptions.debounceMs ?? 150;
    this.#onError = watchOptions.onError ?? ((error: unknown) => console.error(error));
    this.#persistent = watchOptions.persistent ?? true;
    this.#maxWaitMs = Math.max(this.#debounceMs * 10, 1_000);
  }

  /** The first discovery, with the folders watched from before it. */
  async start(): Promise<void> {
    // Watch before the first read, so a file written during it still triggers a re-read.
    this.#syncWatchers();
    try {
      this.current = await discoverResolved(this.#o, this.#memory);
    } catch (error) {
      for (const entry of this.#dirs.values()) entry.watcher.close();
      throw error;
    }
    this.#baseline = this.#initial ?? this.current;
    this.#started = true;
    // Now the env files the configs name are known too.
    this.#syncWatchers();

    // The caller's baseline may be out of date, or a file changed while we first read.
    if (this.#initial !== undefined || this.#changedWhileStarting) await this.#run();
  }

  refresh(): Promise<void> {
    clearTimeout(this.#timer);
    this.#pendingSince = undefined;
    return this.#run();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    for (const entry of this.#dirs.values()) entry.watcher.close();
    this.#dirs.clear();
    await this.#running;
  }

  #schedule(): void {
    if (this.#closed) return;
    if (!this.#started) {
      this.#changedWhileStarting = true;
      return;
    }
    // Debounce, but a file rewritten without pause (~/.claude.json is Claude Code's state file) must
    // not postpone the re-read forever: at most maxWait after the first event of a burst.
    const now = Date.now();
    this.#pendingSince ??= now;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(
      () => {
        this.#pendingSince = undefined;
        void this.#run();
      },
      Math.max(0, Math.min(this.#debounceMs, this.#pendingSince + this.#maxWaitMs - now)),
    );
  }

  #syncWatchers(): void {
    const dirs = this.#dirs;
    const wanted = watchTargets(this.#o, this.#memory.extraFiles);
    for (const [dir, entry] of dirs) {
      const ino = inodeOf(dir);
      // A folder deleted (or replaced by another) is watched afresh, or no more.
      if (!wanted.has(dir) || ino !== entry.ino) {
        entry.watcher.close();
        dirs.delete(dir);
      }
    }
    for (const [dir, names] of wanted) {
      const existing = dirs.get(dir);
      if (existing) {
        existing.names = names;
        continue;
      }
      const ino = inodeOf(dir);
      if (ino === undefined) continue;
      const entry: DirWatch = { ino, names, watcher: undefined as unknown as FSWatcher };
      try {
        entry.watcher = watch(dir, { persistent: this.#persistent }, (_event, filename) => {
          // No name (some platforms): re-read to be safe.
          if (filename === null || entry.names.has(filename.toString())) this.#schedule();
        });
      } catch {
        // Unreadable folder: nothing to watch there, and nothing discovery could read either.
        continue;
      }
      entry.watcher.on('error', () => {
        entry.watcher.close();
        if (dirs.get(dir) === entry) dirs.delete(dir);
        this.#schedule();
      });
      dirs.set(dir, entry);
    }
  }

  /** Re-reads (once more if asked again meanwhile) and reports a change; never two at once. */
  #run(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      try {
        do {
          this.#again = false;
          if (this.#closed) return;
          const next = await discoverResolved(this.#o, this.#memory);
          if (this.#closed) return;
          this.#syncWatchers();
          await this.#report(next);
        } while (this.#again && !this.#closed);
      } catch (error) {
        this.#onError(error);
      } finally {
        this.#running = undefined;
      }
    })();
    return this.#running;
  }

  async #report(next: DiscoveryResult): Promise<void> {
    const baseline = this.#baseline;
    const change = diffDiscovery(baseline, next);
    const report =
      change.added.length > 0 || change.removed.length > 0 || change.changed.length > 0 || statusKey(baseline) !== statusKey(next);
    this.current = next;
    this.#baseline = next;
    if (report) {
      try {
        await this.#onChange(change);
      } catch (error) {
        this.#onError(error);
      }
    }
  }
}

/** Issues and file states: a change there is reported even when no server changed. */
function statusKey(result: DiscoveryResult): string {
  return JSON.stringify([result.issues, result.files.map((f) => [f.file, f.kind, f.status, f.error])]);
}

/**
 * Folder → names in it whose change matters. For each candidate file: its folder (for the file
 * name) and that folder's parent (for the folder's name, so a deleted and recreated `.vscode` is
 * noticed). A folder that does not exist yet is replaced by its nearest existing ancestor. Files a
 * config refers to (`envFile`) are watched the same way.
 */
function watchTargets(o: ResolvedOptions, extraFiles: ReadonlySet<string>): Map<string, Set<string>> {
  const wanted = new Map<string, Set<string>>();
  const add = (dir: string, name: string): void => {
    let names = wanted.get(dir);
    if (!names) wanted.set(dir, (names = new Set()));
    names.add(name);
  };
  const files = [
    ...locationsOf(o)
      .filter((l) => l.enabled)
      .map((l) => l.file),
    ...extraFiles,
  ];
  for (const file of files) {
    let dir = dirname(file);
    let name = basename(file);
    while (inodeOf(dir) === undefined) {
      const parent = dirname(dir);
      if (parent === dir) break;
      name = basename(dir);
      dir = parent;
    }
    add(dir, name);
    const parent = dirname(dir);
    if (parent !== dir) add(parent, basename(dir));
  }
  return wanted;
}

/** Inode of a directory, or `undefined` when it is missing or not a directory. */
function inodeOf(dir: string): number | undefined {
  try {
    const stats = statSync(dir);
    return stats.isDirectory() ? stats.ino : undefined;
  } catch {
    return undefined;
  }
}
