import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Names of the example servers bundled with the CLI. */
export const EXAMPLE_SERVER_NAMES = ['notes', 'clock', 'flaky'] as const;
/** One of {@link EXAMPLE_SERVER_NAMES}. */
export type ExampleServerName = (typeof EXAMPLE_SERVER_NAMES)[number];

/** A stdio server entry (`mcpServers` shape) plus the per-server fields the plugins read. */
export type ExampleServerConfig = {
  command: string;
  args: string[];
  env?: Record<string, string>;
  trusted?: boolean;
  tags?: string[];
  settings?: { timeout?: number; retries?: number };
};

/**
 * The command line that runs one bundled example server as a child process over stdio: the
 * current node (`process.execPath`) with the built script next to this module (installed package),
 * or with the TypeScript source through tsx's loader (a checkout without a build).
 *
 * @example
 * const { command, args } = exampleServerCommand('notes');
 */
export function exampleServerCommand(name: ExampleServerName): { command: string; args: string[] } {
  const built = new URL(`./examples/${name}.js`, import.meta.url);
  if (existsSync(built)) return { command: process.execPath, args: [fileURLToPath(built)] };
  const source = new URL(`./examples/${name}.ts`, import.meta.url);
  if (existsSync(source)) return { command: process.execPath, args: ['--import', tsxLoader(), fileURLToPath(source)] };
  throw new Error(`[mcp-bridge] bundled example server "${name}" not found next to ${fileURLToPath(import.meta.url)}`);
}

/**
 * The bundled example servers as `mcpServers` entries: `notes` (tools, resources, a prompt),
 * `clock` (a slow tool that reports progress) and `flaky` (a lookup that sometimes hangs; marked
 * `trusted`, so its read-only lookup may be retried and cached; see {@link EXAMPLE_PLUGIN_OPTIONS}). `serve`, `list`,
 * `call` and `doctor` use them when no config file is found anywhere.
 *
 * @example
 * const bridge = createBridge({ servers: exampleServers() });
 */
export function exampleServers(options: { flakySlowCalls?: string } = {}): Record<ExampleServerName, ExampleServerConfig> {
  return {
    notes: { ...exampleServerCommand('notes'), tags: ['example'] },
    clock: { ...exampleServerCommand('clock'), tags: ['example'] },
    flaky: {
      ...exampleServerCommand('flaky'),
      env: {
        FLAKY_SLOW_RATE: '0.25',
        FLAKY_SLOW_MS: '3000',
        ...(options.flakySlowCalls ? { FLAKY_SLOW_CALLS: options.flakySlowCalls } : {}),
      },
      tags: ['example'],
      trusted: true,
    },
  };
}

function tsxLoader(): string {
  try {
    return pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  } catch (cause) {
    throw new Error('[mcp-bridge] running the bundled example servers from source needs tsx installed (pnpm install)', { cause });
  }
}

/**
 * Plugin options the bundled examples are served with when no config says otherwise: retries with
 * a 1 s per-attempt timeout for `flaky` (its slow answers are cut short and retried), and its
 * `capital` lookups cached for a minute.
 */
export const EXAMPLE_PLUGIN_OPTIONS: Readonly<Record<string, Record<string, unknown>>> = {
  retry: { servers: { flaky: { attemptTimeoutMs: 1000, attempts: 4 } } },
  cache: { tools: { 'flaky/capital': { ttl: 60_000, scope: 'shared' } } },
};
