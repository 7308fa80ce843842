import { spawn, type ChildProcess } from 'node:child_process';
import type { Writable } from 'node:stream';
import { SUPPORTS_PROCESS_GROUPS } from './process-group.js';

/**
 * The reaper: a tiny `/bin/sh` process that outlives the host only to end its children's process
 * groups. The host tells it each group it starts (`+PGID`) and ends (`-PGID`) on a pipe; when that
 * pipe reaches EOF without the host having said goodbye, the host died (SIGKILL, OOM killer, a
 * crash that skipped every cleanup), and the reaper SIGTERMs the groups still listed, waits
 * `REAPER_GRACE_S`, then SIGKILLs them. Without it, an upstream that ignores stdin EOF (and every
 * `npx -y` or `sh -c` wrapper around one) would run on as an orphan forever.
 *
 * It runs in its own process group, so a terminal's Ctrl+C or a kill of the host's group does not
 * take it down before it has done its job. It exists only while some group is live: with nothing
 * to guard, it is told to exit, so an idle host has no extra process.
 */
const REAPER_GRACE_S = 2;

/** POSIX sh; `groups` is a space-delimited set with a space at both ends. */
const SCRIPT = `
trap '' INT HUP PIPE
groups=' '
while IFS= read -r line; do
  case "$line" in
    +*) groups="$groups\${line#+} " ;;
    -*) id="\${line#-}"
        case "$groups" in *" $id "*) groups="\${groups%% $id *} \${groups#* $id }" ;; esac ;;
    bye) exit 0 ;;
  esac
done
[ -z "\${groups# }" ] && exit 0
for g in $groups; do kill -s TERM -- "-$g" 2>/dev/null; done
sleep ${REAPER_GRACE_S}
for g in $groups; do kill -s KILL -- "-$g" 2>/dev/null; done
exit 0
`;

let reaper: { child: ChildProcess; input: Writable } | undefined;

function start(): typeof reaper {
  try {
    const child = spawn('/bin/sh', ['-c', SCRIPT, 'mcp-bridge-reaper'], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
    child.on('error', () => {
      // No /bin/sh (a distroless image): the host's own shutdown and 'exit' hook still apply.
      if (reaper?.child === child) reaper = undefined;
    });
    const input = child.stdin;
    input.on('error', () => undefined); // EPIPE if it died: nothing to do about it
    // Neither the process nor the pipe may keep the host alive.
    child.unref();
    (input as Writable & { unref?: () => void }).unref?.();
    return { child, input };
  } catch {
    return undefined;
  }
}

/** Tells the reaper about a group the host now leads (starting the reaper when it is the first). */
export function reaperWatch(pgid: number): void {
  if (!SUPPORTS_PROCESS_GROUPS) return; // no groups to end (Windows), and no /bin/sh
  reaper ??= start();
  reaper?.input.write(`+${pgid}\n`);
}

/** Tells the reaper a group ended; with `last`, it has nothing left to guard and exits. */
export function reaperForget(pgid: number, last: boolean): void {
  if (!reaper) return;
  reaper.input.write(`-${pgid}\n`);
  if (!last) return;
  reaper.input.end('bye\n');
  reaper = undefined;
}

/** Pid of the running reaper, if any (for tests and diagnostics). */
export function reaperPid(): number | undefined {
  return reaper?.child.pid;
}
