// The echo test server of one protocol era over Streamable HTTP, in a child process of its own, so
// the process that calls it pays (and measures) only the calling side, and the server's own CPU
// time per call can be read apart (bench/src/lib/gateway-child.ts serves it). Or, `equal`, the
// hand-written echo that serves both eras at the same cost per call (bench/src/lib/equal-cost-echo.ts).
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
const EQUAL_COST = fileURLToPath(new URL('./equal-cost-echo.ts', import.meta.url));

/** Which echo upstream: an SDK test server of one era, or the equal-cost one that speaks both. */
export type EchoUpstreamKind = 'legacy' | 'modern' | 'equal';

/**
 * Starts the echo test server as a 2025-11-25 upstream (`legacy`: SDK 1.x, `startHttpTestServer`), a
 * 2026-07-28 modern-only one (`modern`: SDK v2, `startModernHttpTestServer`) or the equal-cost echo of
 * both eras (`equal`, no SDK) in a child process; resolves with its URL (the child's first stdout
 * line). The child dies with this process.
 */
export function spawnEchoUpstream(era: EchoUpstreamKind): Promise<EchoUpstream> {
  // Not the parent's profiling flags: a child with `--cpu-prof` would write over the parent's profile.
  const execArgv = process.execArgv.filter((a) => !a.startsWith('--cpu-prof'));
  const script = era === 'equal' ? [EQUAL_COST, 'http'] : [CHILD, `upstream-${era}`, 'http'];
  const child = spawn(process.execPath, [...execArgv, ...script], { stdio: ['pipe', 'pipe', 'inherit'] });
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

/** What the equal-cost echo at `url` served, per era and method (its `GET /stats`): which era each connection spoke. */
export async function equalCostServed(url: string): Promise<Record<'legacy' | 'modern', Record<string, number>>> {
  const res = await fetch(new URL('/stats', url));
  if (!res.ok) throw new Error(`the equal-cost echo at ${url} answered /stats with HTTP ${res.status}`);
  return (await res.json()) as Record<'legacy' | 'modern', Record<string, number>>;
}
