// The echo test server of one protocol era over Streamable HTTP, in a child process of its own, so
// the process that calls it pays (and measures) only the calling side, and the server's own CPU
// time per call can be read apart (bench/src/lib/gateway-child.ts serves it).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** An echo upstream running in its own process. */
export interface EchoUpstream {
  /** The Streamable HTTP endpoint. */
  url: string;
  /** The server's process, for its CPU time. */
  pid: number;
  close(): void;
}

const CHILD = fileURLToPath(new URL('./gateway-child.ts', import.meta.url));

/**
 * Starts the echo test server as a 2025-11-25 upstream (`legacy`: SDK 1.x, `startHttpTestServer`) or a
 * 2026-07-28 modern-only one (`modern`: SDK v2, `startModernHttpTestServer`) in a child process;
 * resolves with its URL (the child's first stdout line). The child dies with this process.
 */
export function spawnEchoUpstream(era: 'legacy' | 'modern'): Promise<EchoUpstream> {
  // Not the parent's profiling flags: a child with `--cpu-prof` would write over the parent's profile.
  const execArgv = process.execArgv.filter((a) => !a.startsWith('--cpu-prof'));
  const child = spawn(process.execPath, [...execArgv, CHILD, `upstream-${era}`, 'http'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const kill = (): void => void child.kill('SIGKILL');
  process.once('exit', kill);
  return new Promise<EchoUpstream>((resolve, reject) => {
    let buffered = '';
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString('utf8');
      const nl = buffered.indexOf('\n');
      if (nl >= 0)
        resolve({
          url: buffered.slice(0, nl),
          pid: child.pid!,
          close: () => {
            process.off('exit', kill);
            child.kill('SIGTERM');
          },
        });
    });
    child.once('exit', (code) => reject(new Error(`the ${era} echo upstream exited with ${code} before printing its URL`)));
  });
}
