import { fileURLToPath } from 'node:url';

/** The tiny plain-node stdio server, with a marker in its command line so /proc can find it. */
export function tinyServer(marker: string, ...extra: string[]) {
  return {
    command: process.execPath,
    args: [fileURLToPath(new URL('./fixtures/tiny-server.mjs', import.meta.url)), `--marker=${marker}`, ...extra],
  };
}

/** The same server behind an npx-style wrapper process (the server is a grandchild of the host). */
export function wrappedServer(marker: string, ...extra: string[]) {
  return {
    command: process.execPath,
    args: [fileURLToPath(new URL('./fixtures/wrapper.mjs', import.meta.url)), `--marker=${marker}`, ...extra],
  };
}

/** A marker unique to this test run. */
export const uniqueMarker = (name: string): string =>
  `pool-test-${name}-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;

/** SIGKILLs leftovers of a failed test so they do not leak into the next one. */
export function killAll(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

/** The text of a tool result's first content block. */
export const text = (result: unknown): string => (result as { content: { text: string }[] }).content[0]!.text;
