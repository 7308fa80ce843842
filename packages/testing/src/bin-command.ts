import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** How to spawn one of the package's stdio servers: `process.execPath` and its arguments. */
export type BinCommand = { command: string; args: string[] };

/**
 * The command that runs the package's bin `name` (`src/bin/<name>.ts`, built to `dist/bin/<name>.js`)
 * with `serverArgs`. From the built package it runs the JS with plain node; from source (tests,
 * no build) through tsx's loader, resolved to an absolute URL so any cwd works. This module sits
 * next to `bin/` in both layouts (src/ and the dist/ bundle), hence the relative URLs.
 *
 * @throws Error when neither entry exists, or tsx is missing for the source one.
 */
export function binCommand(name: string, serverArgs: string[], what: string): BinCommand {
  const built = new URL(`./bin/${name}.js`, import.meta.url);
  if (existsSync(built)) return { command: process.execPath, args: [fileURLToPath(built), ...serverArgs] };
  const source = new URL(`./bin/${name}.ts`, import.meta.url);
  if (existsSync(source))
    return { command: process.execPath, args: ['--import', tsxLoaderUrl(what), fileURLToPath(source), ...serverArgs] };
  throw new Error(`[mcp-bridge] [@mcp-bridge/testing] ${what} entry not found next to ${fileURLToPath(import.meta.url)}`);
}

function tsxLoaderUrl(what: string): string {
  try {
    return pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  } catch (cause) {
    throw new Error(`[mcp-bridge] [@mcp-bridge/testing] running the ${what} from source needs tsx installed`, { cause });
  }
}
