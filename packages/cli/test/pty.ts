import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { cliCommand, type Tree } from './helpers.js';

/** Quotes one word for `sh -c`. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The shell command line that runs the CLI from source in `tree` (with `--root`, as `runCli` does). Prefix `exec ` to run it without a shell around it. */
export function cliShellCommand(tree: Tree, args: string[]): string {
  const { command, args: argv } = cliCommand(['--root', tree.root, ...args]);
  return [command, ...argv].map(shellQuote).join(' ');
}

/** A CLI run inside a pseudo-terminal made by util-linux `script`: stdout and stderr are both the terminal. */
export interface PtyRun {
  child: ChildProcess;
  /** Everything the terminal received so far, escape codes included. */
  raw(): string;
  /** Resolves once the terminal output matches `pattern` (rejects if the run ends first or after `timeoutMs`). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Types into the terminal, as a person would (`\x03` is Ctrl-C). */
  type(text: string): void;
  /** Resolves with the exit code once `script` (and so the CLI) exited; kills it after `timeoutMs`. */
  exited(timeoutMs?: number): Promise<number | null>;
}

/**
 * Starts `shellCommand` in a pseudo-terminal: `script -qec CMD /dev/null`. `env` is the whole
 * environment of the run (the tests pass one without CI, so the spinner really runs).
 */
export function inPty(shellCommand: string, options: { cwd: string; env: Record<string, string> }): PtyRun {
  // stdin stays an open pipe: `script` forwards what we type to the terminal, where Ctrl-C becomes SIGINT.
  const child = spawn('script', ['-qec', shellCommand, '/dev/null'], {
    cwd: options.cwd,
    env: options.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
  const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    child,
    raw: () => output,
    type: (text) => void child.stdin.write(text),
    async waitFor(pattern, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      let ended = false;
      void done.then(() => (ended = true));
      while (!pattern.test(screen(output))) {
        if (ended || Date.now() > deadline)
          throw new Error(`the terminal never showed ${pattern}${ended ? ' (the run ended)' : ''}:\n${screen(output)}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    async exited(timeoutMs = 45_000) {
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      try {
        return await done;
      } finally {
        clearTimeout(timer);
        child.stdin.end();
      }
    },
  };
}

/**
 * What a person reads on the screen after `raw` was written to a terminal: a small model of the
 * cursor that applies carriage returns, `ESC[nG` (column), `ESC[nA/B/C/D` (moves) and `ESC[K`
 * (erase in line), and drops every other escape sequence. Enough to see through a spinner's redraws.
 */
export function screen(raw: string): string {
  const lines: string[][] = [[]];
  let row = 0;
  let col = 0;
  // eslint-disable-next-line no-control-regex -- matches terminal escape sequences (ESC) on purpose
  const tokens = raw.match(/\u001b\[[?0-9;]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-_]|[\s\S]/gu) ?? [];
  for (const token of tokens) {
    // eslint-disable-next-line no-control-regex -- matches terminal escape sequences (ESC) on purpose
    const csi = /^\u001b\[([?0-9;]*)([@-~])$/u.exec(token);
    if (csi) {
      const n = Number(csi[1]) || 0;
      const line = (lines[row] ??= []);
      if (csi[2] === 'G') col = Math.max(0, n - 1);
      else if (csi[2] === 'A') row = Math.max(0, row - Math.max(1, n));
      else if (csi[2] === 'B') row += Math.max(1, n);
      else if (csi[2] === 'C') col += Math.max(1, n);
      else if (csi[2] === 'D') col = Math.max(0, col - Math.max(1, n));
      else if (csi[2] === 'K')
        lines[row] = n === 0 ? line.slice(0, col) : n === 1 ? [...Array<string>(col).fill(' '), ...line.slice(col)] : [];
      continue;
    }
    if (token.startsWith('\u001b')) continue;
    if (token === '\r') col = 0;
    else if (token === '\n') {
      row++;
      col = 0;
    } else {
      const line = (lines[row] ??= []);
      while (line.length < col) line.push(' ');
      line[col++] = token;
    }
  }
  return Array.from(lines, (l) => (l ?? []).join('').trimEnd()).join('\n');
}

/** Every live descendant of `pid` (children, their children ...), from /proc. */
export function descendantsOf(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Field 4 (ppid) comes after the parenthesised command name, which may itself hold spaces.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] !== 'Z') parents.set(Number(entry), Number(fields[1]));
    } catch {
      // The process ended while we looked.
    }
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    for (const [child, ppid] of parents) {
      if (ppid === parent && !found.includes(child)) {
        found.push(child);
        queue.push(child);
      }
    }
  }
  return found;
}

/** Whether process `pid` is alive (and not a zombie). */
export function isAlive(pid: number): boolean {
  try {
    return !/^\S+ \(.*\) Z/s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
