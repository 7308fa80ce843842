import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { validateFaultServerOptions, type FaultServerOptions } from './fault-options.js';

/** A stdio server config (`command` + `args`), the shape `@mcp-bridge/transports` and the SDK's stdio client accept. */
export type StdioFaultServerConfig = {
  command: string;
  args: string[];
};

/** Options of {@link stdioFaultServer}: JSON only (no `random`, no `ledger`), since they travel on the child's command line. */
export type StdioFaultServerOptions = Omit<FaultServerOptions, 'random' | 'ledger'>;

/**
 * How to spawn the fault server as a real child process speaking stdio. Here `drop-*` and
 * `crash` make the process exit (there is no other way to drop a pipe), and `stdoutGarbage` /
 * `stderrFlood` apply. Read its ledger with `readFaultLedgerFile(ledgerFile)` (survives a crash)
 * or the `fault_ledger` tool.
 *
 * @throws TypeError for invalid options, or `random` / `ledger` (they cannot cross processes).
 * @example
 * const file = join(tmpdir(), 'ledger.json');
 * const bridge = createBridge({ servers: { flaky: stdioFaultServer({ ledgerFile: file, faults: { script: ['crash'] } }) } });
 */
export function stdioFaultServer(options: StdioFaultServerOptions = {}): StdioFaultServerConfig {
  for (const field of ['random', 'ledger'] as const) {
    if ((options as FaultServerOptions)[field] !== undefined) {
      throw new TypeError(
        `[mcp-bridge] [@mcp-bridge/testing] stdioFaultServer: option "${field}" cannot cross to a child process (use seed / ledgerFile)`,
      );
    }
  }
  validateFaultServerOptions(options);
  const serverArgs = ['--options', JSON.stringify(options)];
  const built = new URL('./bin/fault-server.js', import.meta.url);
  if (existsSync(built)) return { command: process.execPath, args: [fileURLToPath(built), ...serverArgs] };
  const source = new URL('../bin/fault-server.ts', import.meta.url);
  if (existsSync(source)) return { command: process.execPath, args: ['--import', tsxLoaderUrl(), fileURLToPath(source), ...serverArgs] };
  throw new Error(`[mcp-bridge] [@mcp-bridge/testing] fault server entry not found next to ${fileURLToPath(import.meta.url)}`);
}

function tsxLoaderUrl(): string {
  try {
    return pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  } catch (cause) {
    throw new Error('[mcp-bridge] [@mcp-bridge/testing] running the stdio fault server from source needs tsx installed', { cause });
  }
}
