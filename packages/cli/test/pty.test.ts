import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '@mcp-bridge/testing';
import { tempTree, type Tree } from './helpers.js';
import { cliShellCommand, descendantsOf, inPty, isAlive, screen, type PtyRun } from './pty.js';

// The CLI as a person runs it: in a terminal (util-linux `script` makes the pseudo-terminal), with
// the spinner and colours on. CI runs these tests with CI=true, and the spinner is off under CI, so
// the child gets an environment of its own without CI (and without NO_COLOR).

let tree: Tree;
beforeAll(() => {
  tree = tempTree();
});
afterAll(() => tree.remove());

/** A terminal environment: no CI, no NO_COLOR, a real TERM; `extra` adds variables back for the variants. */
function terminalEnv(extra: Record<string, string> = {}): Record<string, string> {
  const { NO_COLOR: _noColor, ...env } = tree.env();
  return { ...env, TERM: 'xterm-256color', ...extra };
}

function start(args: string[], extra: Record<string, string> = {}): PtyRun {
  // exec: the CLI is the terminal's foreground process, as when a person types it (no `sh` to catch Ctrl-C as well).
  return inPty(`exec ${cliShellCommand(tree, args)}`, { cwd: tree.project, env: terminalEnv(extra) });
}

/** What no run may print: a stack trace, the recursion of issue 11, an unhandled error. */
function expectNoCrash(raw: string): void {
  expect(raw).not.toMatch(/RangeError|Maximum call stack|EPIPE|Unhandled|^\s+at .+:\d+:\d+\)?$/m);
}

// eslint-disable-next-line no-control-regex -- matches terminal escape sequences (ESC) on purpose
const SPINNER_CODES = /\u001b\[\?25l|\u001b\[\d*G|\u001b\[\d*K|[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/u;

describe('in a terminal', () => {
  it('--help and serve --help print usage (and serve --help shows the global options it accepts)', async () => {
    const help = start(['--help']);
    expect(await help.exited()).toBe(0);
    expect(screen(help.raw())).toMatch(/Usage: mcp-bridge \[options\] \[command\]/);
    expectNoCrash(help.raw());

    const serveHelp = start(['serve', '--help']);
    expect(await serveHelp.exited()).toBe(0);
    const text = screen(serveHelp.raw());
    expectNoCrash(serveHelp.raw());
    expect(text).toMatch(/Usage: mcp-bridge serve \[options\]/);
    expect(text).toMatch(/Global Options:/);
    expect(text).toMatch(/-c, --config <file>/);
    expect(text).toMatch(/--json/);
    expect(text).toMatch(/--log-format <format>/);
  }, 60_000);

  it('list: the spinner runs while the servers start, then the table is all that stays on the screen', async () => {
    const run = start(['list']);
    expect(await run.exited()).toBe(0);
    const raw = run.raw();
    expectNoCrash(raw);
    // The spinner really ran (it hides the cursor and shows it again) and coloured output was on.
    expect(raw).toContain('\u001b[?25l');
    expect(raw).toContain('\u001b[?25h');
    // eslint-disable-next-line no-control-regex -- matches terminal escape sequences (ESC) on purpose
    expect(raw).toMatch(/\u001b\[\d+m/);
    const text = screen(raw);
    expect(text).toMatch(/Servers \(3\)/);
    // The kind column names the protocol version each server speaks (the example servers are 2025 ones).
    expect(text).toMatch(/^ {2}notes\s+ok\s+stdio 2025-11-25\s+4 tools/m);
    expect(text).toMatch(/Tools \(\d+\)/);
    expect(text).not.toMatch(/reading configs|starting/);
  }, 60_000);

  it('doctor prints its report', async () => {
    const run = start(['doctor']);
    expect(await run.exited()).toBe(0);
    expectNoCrash(run.raw());
    const text = screen(run.raw());
    expect(text).toMatch(/Config files/);
    expect(text).toMatch(/✔ notes 4 tools/);
    expect(text).toMatch(/All good: 3 servers started\./);
  }, 60_000);

  it('call shows the progress of a slow tool in the spinner, then the result', async () => {
    const run = start(['call', 'clock/countdown', '--args', '{"seconds":3,"stepMs":300}']);
    expect(await run.exited()).toBe(0);
    const raw = run.raw();
    expectNoCrash(raw);
    // Progress notifications reached the spinner's text ...
    expect(raw).toMatch(/calling clock\/countdown: 3 left 0\/3/);
    expect(raw).toMatch(/calling clock\/countdown: 1 left 2\/3/);
    // ... and the screen keeps only the result.
    const text = screen(raw).trim();
    expect(text).toBe('countdown of 3 finished');
  }, 60_000);

  it('Ctrl-C while the spinner runs: exit 130 after closing, no server process left behind', async () => {
    const run = start(['call', 'clock/countdown', '--args', '{"seconds":20,"stepMs":1000}']);
    await run.waitFor(/calling clock\/countdown: 20 left/);
    const started = descendantsOf(run.child.pid!);
    expect(started.length).toBeGreaterThan(1);
    run.type('\u0003');
    expect(await run.exited()).toBe(130);
    expectNoCrash(run.raw());
    expect(screen(run.raw())).toMatch(/interrupted/);
    expect(await eventually(() => started.every((pid) => !isAlive(pid)), 10_000)).toBe(true);
  }, 60_000);

  it('serve --demo (what `pnpm start` runs): the tour, then Ctrl-C stops it cleanly with no child process left', async () => {
    const run = start(['serve', '--demo', '--http', '0']);
    await run.waitFor(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/m);
    await run.waitFor(/demo done\. The gateway keeps serving/);
    const started = descendantsOf(run.child.pid!);
    expect(started.length).toBeGreaterThan(3);
    run.type('\u0003');
    expect(await run.exited()).toBe(0);
    const raw = run.raw();
    expectNoCrash(raw);
    const text = screen(raw);
    expect(text).toMatch(/✔ notes: 4 tools/);
    expect(text).toMatch(/call tools\/call clock\/countdown ok/);
    expect(text).toMatch(/stopping \(SIGINT\)/);
    expect(await eventually(() => started.every((pid) => !isAlive(pid)), 10_000)).toBe(true);
  }, 90_000);
});

describe('secrets in a terminal', () => {
  it('serve: a failing server whose error quotes a secret is reported with the secret hidden, while the spinner draws', async () => {
    const leaky = tempTree();
    try {
      const secret = `tok-${randomUUID()}`;
      leaky.write('project/.mcp.json', {
        mcpServers: {
          // Dies at once and echoes its argument: the connect error and its stderr carry the secret.
          leaky: {
            command: process.execPath,
            args: ['-e', 'process.stderr.write(process.argv[1] + "\\n"); process.exit(3)', '${LEAKY_TOKEN}'],
          },
        },
      });
      const { NO_COLOR: _noColor, ...env } = leaky.env({ LEAKY_TOKEN: secret, TERM: 'xterm-256color' });
      const run = inPty(`exec ${cliShellCommand(leaky, ['serve', '--http', '0', '--no-watch'])}`, { cwd: leaky.project, env });
      await run.waitFor(/catalog: 0 tools/);
      run.type('\u0003');
      expect(await run.exited(), JSON.stringify(run.raw())).toBe(0);
      const raw = run.raw();
      expectNoCrash(raw);
      expect(raw).toContain('\u001b[?25l');
      expect(screen(raw)).toMatch(/✖ leaky: down: .*\*\*\*/);
      expect(raw).not.toContain(secret);
    } finally {
      leaky.remove();
    }
  }, 60_000);
});

describe('in a terminal that takes no spinner', () => {
  for (const [name, env, colours] of [
    ['CI=true', { CI: 'true' }, true],
    ['NO_COLOR=1', { NO_COLOR: '1' }, false],
    ['TERM=dumb', { TERM: 'dumb' }, false],
  ] as const) {
    it(`${name}: list prints the table without spinner escape codes${colours ? '' : ' or colours'}`, async () => {
      const run = start(['list'], env);
      expect(await run.exited()).toBe(0);
      const raw = run.raw();
      expectNoCrash(raw);
      expect(raw).not.toMatch(SPINNER_CODES);
      expect(raw).not.toMatch(/reading configs|starting \d/);
      if (!colours) expect(raw).not.toContain('\u001b[');
      expect(screen(raw)).toMatch(/Servers \(3\)/);
    }, 60_000);
  }
});
