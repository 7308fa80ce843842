import { homedir } from 'node:os';
import { dirname, isAbsolute, join, parse, resolve } from 'node:path';
import type { DiscoverOptions, SourceKind } from './types.js';

/** Options with every default filled in. */
export interface ResolvedOptions {
  cwd: string;
  home: string;
  env: Record<string, string | undefined>;
  platform: NodeJS.Platform;
  configFile: string | undefined;
  root: string | undefined;
  tags: string[];
  inputs: Record<string, string>;
  sources: Partial<Record<SourceKind, boolean>>;
}

/** Fills in the defaults of {@link DiscoverOptions}; paths become absolute. */
export function resolveOptions(options: DiscoverOptions = {}): ResolvedOptions {
  const cwd = resolve(options.cwd ?? process.cwd());
  return {
    cwd,
    home: resolve(options.home ?? homedir()),
    env: options.env ?? process.env,
    platform: options.platform ?? process.platform,
    configFile: options.configFile === undefined ? undefined : resolve(cwd, options.configFile),
    root: options.root === undefined ? undefined : resolve(cwd, options.root),
    tags: options.tags ?? [],
    inputs: options.inputs ?? {},
    sources: options.sources ?? {},
  };
}

/** One place a config may be, in precedence order. */
export interface ConfigLocation {
  kind: SourceKind;
  /** Absolute path of the file. */
  file: string;
  /** Whether the source is switched on. */
  enabled: boolean;
  /**
   * The directory the entry belongs to: the project folder for project files (what
   * `${workspaceFolder}` means), the `projects` key for `claude-code-project`; `cwd` for user files.
   */
  folder: string;
}

/** Whether a source is read: with an explicit file, only it (unless switched on); otherwise all but explicit. */
export function sourceEnabled(kind: SourceKind, options: ResolvedOptions): boolean {
  const switched = options.sources[kind];
  if (options.configFile !== undefined) return kind === 'explicit' ? switched !== false : switched === true;
  return kind !== 'explicit' && switched !== false;
}

/** `~/.claude.json`, or `$CLAUDE_CONFIG_DIR/.claude.json` when Claude Code is pointed elsewhere. */
export function claudeCodeFile(options: ResolvedOptions): string {
  const dir = options.env['CLAUDE_CONFIG_DIR'];
  return join(dir ? resolve(options.home, dir) : options.home, '.claude.json');
}

/** Claude Desktop's config in its per-OS folder. */
export function claudeDesktopFile(options: ResolvedOptions): string {
  const { env, home, platform } = options;
  let base: string;
  if (platform === 'darwin') base = join(home, 'Library', 'Application Support');
  else if (platform === 'win32') base = env['APPDATA'] && isAbsolute(env['APPDATA']) ? env['APPDATA'] : join(home, 'AppData', 'Roaming');
  else base = env['XDG_CONFIG_HOME'] && isAbsolute(env['XDG_CONFIG_HOME']) ? env['XDG_CONFIG_HOME'] : join(home, '.config');
  return join(base, 'Claude', 'claude_desktop_config.json');
}

/** `cwd` and its parents, nearest first, up to `root` (inclusive) or the filesystem root. */
export function projectDirs(options: ResolvedOptions): string[] {
  const dirs: string[] = [];
  let dir = options.cwd;
  for (;;) {
    dirs.push(dir);
    if (dir === options.root || dir === parse(dir).root) break;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return dirs;
}

/**
 * Every place a config may be, highest precedence first: the explicit file; then, for `cwd` and
 * each parent, Claude Code's entry for that folder in `~/.claude.json` (its "local" scope, which
 * Claude Code itself puts above `.mcp.json`), `.mcp.json`, `.cursor/mcp.json`, `.vscode/mcp.json`;
 * then the user files: `~/.claude.json` `mcpServers`, `~/.cursor/mcp.json`, Claude Desktop.
 *
 * @example
 * for (const l of configLocations({ cwd: '/work/app' })) console.log(l.kind, l.file);
 */
export function configLocations(options: DiscoverOptions = {}): ConfigLocation[] {
  return locationsOf(resolveOptions(options));
}

/** {@link configLocations} for options already resolved. */
export function locationsOf(o: ResolvedOptions): ConfigLocation[] {
  const at = (kind: SourceKind, file: string, folder: string): ConfigLocation => ({ kind, file, folder, enabled: sourceEnabled(kind, o) });
  const out: ConfigLocation[] = [];
  if (o.configFile !== undefined) out.push(at('explicit', o.configFile, dirname(o.configFile)));
  const claudeJson = claudeCodeFile(o);
  const cursorUser = join(o.home, '.cursor', 'mcp.json');
  for (const dir of projectDirs(o)) {
    out.push(at('claude-code-project', claudeJson, dir));
    out.push(at('project', join(dir, '.mcp.json'), dir));
    // In the home folder, .cursor/mcp.json is Cursor's global file: it is read once, as the user file.
    if (join(dir, '.cursor', 'mcp.json') !== cursorUser) out.push(at('cursor-project', join(dir, '.cursor', 'mcp.json'), dir));
    out.push(at('vscode', join(dir, '.vscode', 'mcp.json'), dir));
  }
  out.push(at('claude-code-user', claudeJson, o.cwd));
  out.push(at('cursor-user', cursorUser, o.cwd));
  out.push(at('claude-desktop', claudeDesktopFile(o), o.cwd));
  return out;
}
