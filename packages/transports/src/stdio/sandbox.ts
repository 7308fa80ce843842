import { spawnSync, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import type { Readable } from 'node:stream';
import type { SandboxConfig } from '../types.js';
import { bwrapArgs, resolveOnPath, SandboxUnavailableError, type MountInput } from './sandbox-mounts.js';

export { SandboxUnavailableError } from './sandbox-mounts.js';

/** Environment variable naming the bubblewrap binary to use (default: `bwrap` on the gateway's PATH). */
export const BWRAP_VARIABLE = 'MCP_BRIDGE_BWRAP';

/** Whether a sandbox can be had here, and if not, why. */
export type SandboxSupport = { ok: true; bwrap: string; prlimit: string | undefined } | { ok: false; reason: string };

let cached: { key: string; support: SandboxSupport } | undefined;

/**
 * Runs bwrap once with every namespace the sandbox uses: a kernel or container that refuses user
 * namespaces (`kernel.unprivileged_userns_clone=0`, AppArmor's restriction on Ubuntu 24.04, a
 * seccomp profile) shows here, with bwrap's own words, instead of at each server's start.
 */
function probe(bwrap: string): SandboxSupport {
  const result = spawnSync(
    bwrap,
    ['--unshare-all', '--die-with-parent', '--new-session', '--ro-bind', '/', '/', '--proc', '/proc', 'true'],
    {
      encoding: 'utf8',
      timeout: 10_000,
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  if (result.error) return { ok: false, reason: `bubblewrap at ${bwrap} could not be run: ${result.error.message}` };
  if (result.status !== 0) {
    const said = result.stderr.trim().split('\n').slice(-2).join(' ') || `exit ${result.status ?? result.signal}`;
    return { ok: false, reason: `bubblewrap cannot create its namespaces here (${said}); user namespaces may be disabled` };
  }
  return { ok: true, bwrap, prlimit: resolveOnPath('prlimit', process.env['PATH']) };
}

/**
 * Whether stdio servers can be sandboxed on this machine (Linux with a working `bwrap`); the answer
 * is computed once per process (and per `MCP_BRIDGE_BWRAP`).
 *
 * @example
 * const support = sandboxSupport();
 * if (!support.ok) console.warn(`no sandbox: ${support.reason}`);
 */
export function sandboxSupport(): SandboxSupport {
  if (process.platform !== 'linux') {
    return { ok: false, reason: `sandboxing needs Linux with bubblewrap; this is ${process.platform}` };
  }
  const configured = process.env[BWRAP_VARIABLE];
  const key = configured ?? `PATH=${process.env['PATH'] ?? ''}`;
  if (cached?.key === key) return cached.support;
  const bwrap = resolveOnPath(configured ?? 'bwrap', configured === undefined ? process.env['PATH'] : undefined);
  const support: SandboxSupport =
    bwrap === undefined
      ? {
          ok: false,
          reason:
            configured === undefined
              ? 'bubblewrap (bwrap) not found on PATH; install it (Debian/Ubuntu: apt-get install bubblewrap)'
              : `bubblewrap not found at ${configured} (${BWRAP_VARIABLE})`,
        }
      : probe(bwrap);
  cached = { key, support };
  return support;
}

/** `prlimit` options for the limits asked for (empty when none is). */
function limitArgs(sandbox: SandboxConfig): string[] {
  const out: string[] = [];
  // RLIMIT_DATA, not RLIMIT_AS: node reserves gigabytes of address space it never uses, and dies at start under RLIMIT_AS.
  if (sandbox.memoryMb !== undefined) out.push(`--data=${sandbox.memoryMb * 1024 * 1024}`);
  if (sandbox.cpuSeconds !== undefined) out.push(`--cpu=${sandbox.cpuSeconds}`);
  if (sandbox.pids !== undefined) {
    // The kernel exempts uid 0 from RLIMIT_NPROC (also inside a user namespace, whose root maps to it): no limit at all.
    if (process.getuid?.() === 0) {
      throw new SandboxUnavailableError(
        'sandbox.pids cannot be enforced when the gateway runs as root (the kernel exempts uid 0 from RLIMIT_NPROC)',
      );
    }
    out.push(`--nproc=${sandbox.pids}`);
  }
  return out;
}

/**
 * The command line that runs `input` inside the sandbox: `bwrap <namespaces> <mounts> -- [prlimit
 * <limits> --] command args`. Throws `SandboxUnavailableError` when the sandbox (or one of its
 * limits) cannot be had: the caller must then not start the server at all.
 */
export function sandboxedCommand(input: MountInput): { command: string; args: string[] } {
  const support = sandboxSupport();
  if (!support.ok) throw new SandboxUnavailableError(support.reason);
  const limits = limitArgs(input.sandbox);
  if (limits.length > 0 && support.prlimit === undefined) {
    throw new SandboxUnavailableError('prlimit (util-linux) not found on PATH; it sets memoryMb, cpuSeconds and pids');
  }
  const inner = limits.length > 0 ? [support.prlimit!, ...limits, '--', input.command, ...input.args] : [input.command, ...input.args];
  // fd 3 is the 4th stdio pipe of spawnStdioChild: bwrap writes {"child-pid": N} there once the sandbox runs.
  return { command: support.bwrap, args: [...bwrapArgs(input), '--info-fd', '3', '--', ...inner] };
}

/**
 * The pid (as seen from here) of the sandbox's init, read from bwrap's `--info-fd` pipe. The
 * sandboxed processes run in their own session and PID namespace, so the process group of the
 * bwrap child does not contain them: they end when bwrap does (`--die-with-parent` SIGKILLs the
 * init, whose death ends the namespace), and waiting for this one pid is waiting for all of them.
 */
export function sandboxInitPid(child: ChildProcess): () => number | undefined {
  const info = child.stdio[3] as Readable | null | undefined;
  if (!info) return () => undefined;
  let text = '';
  let pid: number | undefined;
  info.setEncoding('utf8');
  info.on('data', (chunk: string) => {
    text += chunk;
    const match = /"child-pid"\s*:\s*(\d+)/.exec(text);
    if (match) pid = Number(match[1]);
  });
  info.on('error', () => undefined); // closed when bwrap exits: nothing more to read
  return () => pid;
}

/**
 * bwrap exits with 128 + N when the sandboxed process died of signal N: the signal's name, if so
 * (`SIGSEGV` for a memory hog whose allocation failed, `SIGKILL` after `cpuSeconds`).
 */
export function signalInsideSandbox(code: number | null): NodeJS.Signals | undefined {
  if (code === null || code <= 128) return undefined;
  const number = code - 128;
  return (Object.keys(constants.signals) as NodeJS.Signals[]).find((name) => constants.signals[name] === number);
}

/** One line on how a sandboxed server ended by itself, with the limits it ran under. */
export function describeSandboxExit(
  pid: number,
  sandbox: SandboxConfig,
  exit: { code: number | null; signal: NodeJS.Signals | null; sandboxSignal?: NodeJS.Signals },
): string {
  const limits = (['memoryMb', 'cpuSeconds', 'pids'] as const)
    .filter((key) => sandbox[key] !== undefined)
    .map((key) => `${key} ${sandbox[key]}`);
  const how = exit.sandboxSignal
    ? `died of ${exit.sandboxSignal} inside the sandbox`
    : exit.signal
      ? `was killed by ${exit.signal}`
      : `exited with code ${exit.code}`;
  return `process ${pid} (sandboxed${limits.length > 0 ? `; limits: ${limits.join(', ')}` : ''}) ${how}`;
}
