/**
 * Where a server entry can come from. In precedence order (first wins):
 * `explicit` > per directory from cwd upwards (`claude-code-project`, `project`, `cursor-project`,
 * `vscode`) > `claude-code-user` > `cursor-user` > `claude-desktop`.
 */
export type SourceKind =
  'explicit' | 'project' | 'claude-code-project' | 'claude-code-user' | 'claude-desktop' | 'cursor-project' | 'cursor-user' | 'vscode';

/** Every {@link SourceKind}, in a stable order (for CLIs, docs and exhaustive tests). */
export const SOURCE_KINDS: readonly SourceKind[] = Object.freeze([
  'explicit',
  'claude-code-project',
  'project',
  'cursor-project',
  'vscode',
  'claude-code-user',
  'cursor-user',
  'claude-desktop',
]);

/** Options of `discover()` and `watchConfigs()`. Every input is injectable, so tests never touch the real home. */
export interface DiscoverOptions {
  /** Directory the project walk starts from (default `process.cwd()`). */
  cwd?: string;
  /** The user's home (default `os.homedir()`). */
  home?: string;
  /** Environment for `${VAR}` interpolation and per-OS locations (default `process.env`). */
  env?: Record<string, string | undefined>;
  /** Which OS's Claude Desktop location to use (default `process.platform`). */
  platform?: NodeJS.Platform;
  /**
   * An explicit config file (`--config`). When given it wins, and only it is read unless `sources`
   * switches other sources on. Relative paths are resolved against `cwd`.
   */
  configFile?: string;
  /** Switch any source off (or, with `configFile`, back on). */
  sources?: Partial<Record<SourceKind, boolean>>;
  /** Keep only servers having at least one of these tags (no filter when absent or empty). */
  tags?: string[];
  /** Values for VS Code `${input:id}` placeholders, by input id. */
  inputs?: Record<string, string>;
  /**
   * Directory where the upward walk for project files stops (inclusive); default the filesystem
   * root. Set it to keep discovery inside a repository (or a test's temporary tree).
   */
  root?: string;
}

/** Where one server entry came from. */
export interface Provenance {
  /** Absolute path of the file. */
  file: string;
  kind: SourceKind;
  /** Path of the entry inside the file, e.g. `mcpServers.github` or `projects["/x"].mcpServers.db`. */
  key: string;
  /** 1-based line of the entry's key. */
  line?: number;
}

/** A server that will be started: its final config, where it came from and what it overrode. */
export interface DiscoveredServer {
  name: string;
  /** Interpolated entry, ready for `createBridge({ servers })`; unknown fields kept. */
  config: Record<string, unknown>;
  source: Provenance;
  /** Entries of the same name in lower-precedence files, highest first. */
  shadowed: Provenance[];
  /** The entry's `tags` (empty when none). */
  tags: string[];
}

/** One problem found while discovering; never contains an interpolated value. */
export interface DiscoveryIssue {
  file: string;
  /** 1-based line of the offending field (or entry, or syntax error). */
  line?: number;
  /** 1-based column, for syntax errors. */
  column?: number;
  /** Server entry concerned, when there is one. */
  server?: string;
  /** Field path inside the entry, like `env.API_KEY` or `args[1]`. */
  field?: string;
  message: string;
}

/** What happened to one candidate file. */
export interface ConfigFileReport {
  file: string;
  kind: SourceKind;
  /** `disabled`: the source was switched off; `invalid`: unreadable or not valid JSON(C). */
  status: 'loaded' | 'missing' | 'invalid' | 'disabled';
  /** Names of the entries found in this file (for this kind), in file order. */
  servers: string[];
  /** Why the file is invalid. */
  error?: string;
}

/** A server entry that was found but will not be started. */
export interface SkippedServer {
  name: string;
  /** `recursive`: left out by the mcp-bridge CLI because the entry would start the gateway itself again. */
  reason: 'disabled' | 'tag-filter' | 'invalid' | 'recursive';
  source: Provenance;
}

/** Everything `discover()` found. */
export interface DiscoveryResult {
  /** Servers to start, in precedence order of their source. */
  servers: DiscoveredServer[];
  skipped: SkippedServer[];
  /** Every candidate file, found or not. */
  files: ConfigFileReport[];
  issues: DiscoveryIssue[];
}

/** What changed between two discoveries (see `watchConfigs`). */
export interface DiscoveryChange {
  /** The new discovery. */
  result: DiscoveryResult;
  /** Servers that are new. */
  added: string[];
  /** Servers that are gone (removed, disabled, filtered out). */
  removed: string[];
  /** Servers whose config changed (canonical comparison: key order and formatting do not count). */
  changed: string[];
}
