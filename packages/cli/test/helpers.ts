import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';

const here = dirname(fileURLToPath(import.meta.url));
/** The CLI's source entry: run with tsx and the `@mcp-bridge/source` condition, no build needed. */
export const BIN = join(here, '..', 'src', 'bin.ts');
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** The command line that runs the CLI from source (what `stdioTestServer` does for the test server). */
export function cliCommand(args: string[]): { command: string; args: string[] } {
  return { command: process.execPath, args: ['--conditions=@mcp-bridge/source', '--import', TSX, BIN, ...args] };
}

/** A temporary home and project tree; the child's HOME and cwd point here, so the real home is never read. */
export interface Tree {
  root: string;
  home: string;
  project: string;
  /** Writes a file relative to the tree root (JSON values are stringified). */
  write(path: string, content: unknown): string;
  /** Environment for the child: PATH, the temporary HOME, no colours. */
  env(extra?: Record<string, string>): Record<string, string>;
  remove(): void;
}

export function tempTree(): Tree {
  const root = mkdtempSync(join(tmpdir(), 'mcp-bridge-cli-'));
  const home = join(root, 'home');
  const project = join(root, 'project');
  mkdirSync(home);
  mkdirSync(project);
  return {
    root,
    home,
    project,
    write(path, content) {
      const file = join(root, path);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
      return file;
    },
    env: (extra = {}) => ({ PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, NO_COLOR: '1', ...extra }),
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** Result of one CLI run. */
export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI to completion in `tree.project` (with `--root` so the upward search stays in the tree). */
export function runCli(tree: Tree, args: string[], options: { timeoutMs?: number; env?: Record<string, string> } = {}): Promise<CliResult> {
  const { command, args: argv } = cliCommand(['--root', tree.root, ...args]);
  const child = spawn(command, argv, { cwd: tree.project, env: tree.env(options.env), stdio: ['ignore', 'pipe', 'pipe'] });
  return collect(child, options.timeoutMs ?? 45_000);
}

/** Collects a child's output until it exits; kills it (and fails) after `timeoutMs`. */
export function collect(child: ChildProcess, timeoutMs: number): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the CLI did not exit within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** A stdio server entry that prints to stderr and exits before initialize: a server that cannot start. */
export function brokenServer(message: string): { command: string; args: string[] } {
  return { command: process.execPath, args: ['-e', `process.stderr.write(${JSON.stringify(`${message}\n`)}); process.exit(3)`] };
}

/**
 * Resolves with the first stdout line of a `serve --http` child (the URL it prints); rejects with its
 * stderr when it exits first.
 */
export function firstLine(child: ChildProcess, stderr: () => string = () => ''): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const onData = (d: Buffer | string): void => {
      buffered += d.toString();
      const nl = buffered.indexOf('\n');
      if (nl >= 0) {
        child.stdout!.off('data', onData);
        resolve(buffered.slice(0, nl));
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`serve exited (${code}) before printing its URL\n${stderr()}`)));
  });
}

/** A client of `serve --stdio` spawned in `dir` the way a desktop app does, and what it saw. */
export interface StdioGatewayClient {
  client: Client;
  transport: StdioClientTransport;
  /** The gateway's stderr so far (the only log a desktop user has). */
  stderr: () => string;
  /** `notifications/tools/list_changed` received so far. */
  changed: () => number;
}

/**
 * Spawns `serve --stdio` (plus `extra` flags) in `dir` with the tree's environment and an SDK client
 * that counts `list_changed` and calls `onListChanged` for each. Connecting is the caller's.
 */
export function stdioGatewayClient(
  tree: Tree,
  dir: string,
  extra: string[] = [],
  onListChanged?: (client: Client) => void,
): StdioGatewayClient {
  const { command, args } = cliCommand(['--root', tree.root, 'serve', '--stdio', ...extra]);
  const transport = new StdioClientTransport({ command, args, cwd: dir, env: tree.env(), stderr: 'pipe' });
  let stderr = '';
  transport.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  const client = new Client({ name: 'desktop-test', version: '1.0.0' });
  let changed = 0;
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
    changed++;
    onListChanged?.(client);
  });
  return { client, transport, stderr: () => stderr, changed: () => changed };
}
