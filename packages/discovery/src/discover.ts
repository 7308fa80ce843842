import { formatConfigPath } from '@mcp-bridge/transports';
import { formatField, processEntry } from './entry.js';
import type { FieldPath } from './interpolate.js';
import { locationsOf, resolveOptions, type ConfigLocation, type ResolvedOptions } from './locations.js';
import { lineOf, readConfigFile, type ParsedFile, type ReadResult } from './read-file.js';
import { rememberSecrets } from './redact.js';
import type {
  ConfigFileReport,
  DiscoveredServer,
  DiscoverOptions,
  DiscoveryIssue,
  DiscoveryResult,
  Provenance,
  SkippedServer,
} from './types.js';

/**
 * What a watcher remembers between discoveries, so a broken edit keeps the last good config: the
 * last version of each file that parsed, and the last good config of each server.
 */
export interface DiscoveryMemory {
  files: Map<string, ParsedFile>;
  servers: Map<string, DiscoveredServer>;
  /** Other files the last discovery depended on (VS Code `envFile`s), for the watcher. */
  extraFiles: Set<string>;
}

/** One server entry found in a file, before merging. */
interface FoundEntry {
  name: string;
  raw: unknown;
  location: ConfigLocation;
  parsed: ParsedFile;
  path: FieldPath;
  source: Provenance;
}

/**
 * Finds the MCP server configs already on this machine and merges them into one set of servers:
 * an explicit file, then per folder from `cwd` upwards Claude Code's per-project entries,
 * `.mcp.json`, `.cursor/mcp.json` and `.vscode/mcp.json`, then `~/.claude.json`, `~/.cursor/mcp.json`
 * and Claude Desktop's file. The first entry of a name wins; the ones it hides are listed in
 * `shadowed`. Never throws for bad input and never writes a file: every problem is an issue naming
 * the file, line, server and field, and good servers still load.
 *
 * @example
 * import { createBridge } from '@mcp-bridge/core';
 * import { bridgeServers, discover } from '@mcp-bridge/discovery';
 *
 * const result = await discover({ cwd: process.cwd() });
 * for (const issue of result.issues) console.warn(`${issue.file}:${issue.line ?? ''} ${issue.message}`);
 * const bridge = createBridge({ servers: bridgeServers(result) });
 * await bridge.start();
 */
export async function discover(options: DiscoverOptions = {}): Promise<DiscoveryResult> {
  return discoverResolved(resolveOptions(options));
}

/**
 * {@link discover} with resolved options and, for watchers, a memory: a file that stops parsing is
 * read from its last good version, and a server whose entry turns invalid keeps its last good config
 * (both with an issue saying so).
 */
export async function discoverResolved(o: ResolvedOptions, memory?: DiscoveryMemory): Promise<DiscoveryResult> {
  const locations = locationsOf(o);
  const reads = new Map<string, Promise<ReadResult>>();
  for (const location of locations) {
    if (location.enabled && !reads.has(location.file)) reads.set(location.file, readConfigFile(location.file));
  }
  const results = new Map<string, ReadResult>();
  await Promise.all([...reads].map(async ([file, read]) => results.set(file, await read)));

  const issues: DiscoveryIssue[] = [];
  const { found, reports } = collectEntries(locations, results, o, issues, memory);
  const { servers, skipped, extraFiles } = mergeEntries(found, o, issues, memory);
  if (memory) remember(memory, results, servers, extraFiles);
  return { servers, skipped, files: [...reports.values()], issues };
}

/** Every server entry of every location, in precedence order, and a report per file. */
function collectEntries(
  locations: ConfigLocation[],
  results: Map<string, ReadResult>,
  o: ResolvedOptions,
  issues: DiscoveryIssue[],
  memory: DiscoveryMemory | undefined,
): { found: FoundEntry[]; reports: Map<string, ConfigFileReport> } {
  const reports = new Map<string, ConfigFileReport>();
  const reportedFiles = new Set<string>();
  const found: FoundEntry[] = [];

  for (const location of locations) {
    const reportKey = `${location.kind}\u0000${location.file}`;
    if (!location.enabled) {
      // One line per switched-off source is enough: the nearest candidate stands for the walk.
      if (![...reports.values()].some((r) => r.kind === location.kind)) {
        reports.set(reportKey, { file: location.file, kind: location.kind, status: 'disabled', servers: [] });
      }
      continue;
    }
    const read = results.get(location.file)!;
    let report = reports.get(reportKey);
    if (!report) {
      report = { file: location.file, kind: location.kind, status: 'missing', servers: [] };
      reports.set(reportKey, report);
    }
    let parsed: ParsedFile | undefined;
    if (read.status === 'missing') {
      if (location.kind === 'explicit') issues.push({ file: location.file, message: 'config file not found' });
      continue;
    } else if (read.status === 'invalid') {
      report.status = 'invalid';
      report.error = read.error;
      parsed = memory?.files.get(location.file);
      if (!reportedFiles.has(location.file)) {
        reportedFiles.add(location.file);
        issues.push({
          file: location.file,
          ...(read.line !== undefined ? { line: read.line } : {}),
          ...(read.column !== undefined ? { column: read.column } : {}),
          message: parsed ? `${read.error} (keeping the last good version of this file)` : read.error,
        });
      }
      if (!parsed) continue;
    } else {
      parsed = read.parsed;
      if (report.status === 'missing') report.status = 'loaded';
    }
    for (const entry of entriesOf(location, parsed, o, issues, reportedFiles)) {
      found.push(entry);
      if (!report.servers.includes(entry.name)) report.servers.push(entry.name);
    }
  }
  return { found, reports };
}

/** The servers to use: the first entry of each name, processed; the others are skipped or shadowed. */
function mergeEntries(
  found: FoundEntry[],
  o: ResolvedOptions,
  issues: DiscoveryIssue[],
  memory: DiscoveryMemory | undefined,
): { servers: DiscoveredServer[]; skipped: SkippedServer[]; extraFiles: Set<string> } {
  // Merge: the first entry of a name wins, the rest are what it shadows.
  const winners = new Map<string, { entry: FoundEntry; shadowed: Provenance[] }>();
  for (const entry of found) {
    const current = winners.get(entry.name);
    if (current) current.shadowed.push(entry.source);
    else winners.set(entry.name, { entry, shadowed: [] });
  }

  const servers: DiscoveredServer[] = [];
  const skipped: SkippedServer[] = [];
  const extraFiles = new Set<string>();
  for (const [name, { entry, shadowed }] of winners) {
    const outcome = processEntry(
      name,
      entry.raw,
      { env: o.env, inputs: o.inputs, workspaceFolder: entry.location.folder, home: o.home },
      { onFileUsed: (path) => extraFiles.add(path) },
    );
    if (outcome.status === 'disabled') {
      skipped.push({ name, reason: 'disabled', source: entry.source });
      continue;
    }
    if (outcome.status === 'invalid') {
      const lastGood = memory?.servers.get(name);
      for (const problem of outcome.problems) {
        const line = lineNear(entry.parsed, [...entry.path, ...problem.path]);
        issues.push({
          file: entry.source.file,
          ...(line !== undefined ? { line } : {}),
          server: name,
          field: formatField(problem.path),
          message: lastGood ? `${problem.message} (keeping the last good config)` : problem.message,
        });
      }
      if (lastGood && passesTags(lastGood.tags, o.tags)) servers.push(lastGood);
      else skipped.push({ name, reason: 'invalid', source: entry.source });
      continue;
    }
    if (!passesTags(outcome.tags, o.tags)) {
      skipped.push({ name, reason: 'tag-filter', source: entry.source });
      continue;
    }
    rememberSecrets(outcome.config, outcome.secrets, outcome.secretPaths);
    servers.push({ name, config: outcome.config, source: entry.source, shadowed, tags: outcome.tags });
  }
  return { servers, skipped, extraFiles };
}

/** What a watcher keeps for the next discovery (see {@link DiscoveryMemory}). */
function remember(memory: DiscoveryMemory, results: Map<string, ReadResult>, servers: DiscoveredServer[], extraFiles: Set<string>): void {
  for (const [file, read] of results) {
    if (read.status === 'loaded') memory.files.set(file, read.parsed);
    // A deleted file has no "last good version" to fall back to if it comes back broken.
    else if (read.status === 'missing') memory.files.delete(file);
  }
  memory.servers = new Map(servers.map((s) => [s.name, s]));
  memory.extraFiles = extraFiles;
}

/** The server entries of one location, or issues when the servers object has the wrong shape. */
function entriesOf(
  location: ConfigLocation,
  parsed: ParsedFile,
  o: ResolvedOptions,
  issues: DiscoveryIssue[],
  reportedFiles: Set<string>,
): FoundEntry[] {
  const containers = containersOf(location, parsed.value, o);
  const out: FoundEntry[] = [];
  for (const path of containers) {
    const record = valueAt(parsed.value, path);
    if (record === undefined) continue;
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      const where = `${location.file}\u0000${formatConfigPath(path)}`;
      if (!reportedFiles.has(where)) {
        reportedFiles.add(where);
        const line = lineOf(parsed, path);
        issues.push({
          file: location.file,
          ...(line !== undefined ? { line } : {}),
          field: formatConfigPath(path),
          message: `expected an object of server entries, got ${record === null ? 'null' : Array.isArray(record) ? 'array' : typeof record}`,
        });
      }
      continue;
    }
    for (const [name, raw] of Object.entries(record)) {
      const entryPath = [...path, name];
      const line = lineOf(parsed, entryPath);
      out.push({
        name,
        raw,
        location,
        parsed,
        path: entryPath,
        source: { file: location.file, kind: location.kind, key: formatConfigPath(entryPath), ...(line !== undefined ? { line } : {}) },
      });
    }
  }
  return out;
}

/** Where the server entries sit in each kind of file. */
function containersOf(location: ConfigLocation, value: Record<string, unknown>, o: ResolvedOptions): FieldPath[] {
  switch (location.kind) {
    case 'vscode':
      return [['servers']];
    case 'explicit':
      // Either shape: the common `mcpServers`, or VS Code's `servers`.
      return value['mcpServers'] === undefined && value['servers'] !== undefined ? [['servers']] : [['mcpServers']];
    case 'claude-code-project': {
      const projects = value['projects'];
      if (typeof projects !== 'object' || projects === null || Array.isArray(projects)) return [];
      const want = normalizeFolder(location.folder, o.platform);
      return Object.keys(projects)
        .filter((key) => normalizeFolder(key, o.platform) === want)
        .map((key) => ['projects', key, 'mcpServers']);
    }
    default:
      return [['mcpServers']];
  }
}

/** Claude Code keys projects by absolute path; on Windows case and slashes vary. */
function normalizeFolder(path: string, platform: NodeJS.Platform): string {
  if (platform === 'win32') return path.replace(/\\/g, '/').replace(/\/+$/, '').toLowerCase();
  return path.length > 1 ? path.replace(/\/+$/, '') : path;
}

function valueAt(value: unknown, path: FieldPath): unknown {
  let current = value;
  for (const segment of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

/** Line of the deepest node of `path` that exists (a field set in a replica's base is found on the entry). */
function lineNear(parsed: ParsedFile, path: FieldPath): number | undefined {
  for (let end = path.length; end > 0; end--) {
    const line = lineOf(parsed, path.slice(0, end));
    if (line !== undefined) return line;
  }
  return undefined;
}

function passesTags(tags: readonly string[], wanted: readonly string[]): boolean {
  return wanted.length === 0 || tags.some((tag) => wanted.includes(tag));
}

/**
 * The servers of a discovery in the shape `createBridge({ servers })` and `bridge.addServer` take.
 *
 * @example
 * const bridge = createBridge({ servers: bridgeServers(await discover()) });
 */
export function bridgeServers(result: DiscoveryResult): Record<string, Record<string, unknown>> {
  // Null prototype: a server called "__proto__" must stay an entry.
  const out = Object.create(null) as Record<string, Record<string, unknown>>;
  for (const server of result.servers) out[server.name] = server.config;
  return out;
}
