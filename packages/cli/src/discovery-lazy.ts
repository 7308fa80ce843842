// What the command line needs from @mcp-bridge/discovery before a command runs, without loading it:
// discovery brings zod, the SDK and core along, and `--version`/`--help` need none of them.
import type { SourceKind } from '@mcp-bridge/discovery';

/**
 * discovery's `SOURCE_KINDS`, in its order (one `--no-<kind>` flag each). A copy, so the flags can
 * be declared before anything is loaded; test/discovery-lazy.test.ts keeps it equal to the original.
 */
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

let loaded: ((text: string) => string) | undefined;

/**
 * discovery's `scrubSecrets` once {@link loadSecretScrubber} ran, the text unchanged before: only
 * `discover()` learns secrets, and it runs inside a command, after the scrubber is loaded.
 */
export function scrubSecrets(text: string): string {
  return loaded ? loaded(text) : text;
}

/** Loads discovery's secret scrubber (the one `discover()` feeds); `run()` calls it before any command. */
export async function loadSecretScrubber(): Promise<void> {
  loaded ??= (await import('@mcp-bridge/discovery')).scrubSecrets;
}
