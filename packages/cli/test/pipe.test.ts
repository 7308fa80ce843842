import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, tempTree, type Tree } from './helpers.js';
import { cliShellCommand } from './pty.js';

// The CLI piped into a reader that stops early, as people do: `mcp-bridge list | head -1`.
// The reader leaving must not crash the CLI with an unhandled EPIPE.

let tree: Tree;
beforeAll(() => {
  tree = tempTree();
});
afterAll(() => tree.remove());

/** Runs `CLI args | reader` in bash; resolves with the reader's output, the CLI's stderr and its exit code. */
async function piped(args: string[], reader: string): Promise<{ stdout: string; stderr: string; cliExit: number }> {
  const script = `${cliShellCommand(tree, args)} | ${reader}; echo "cli-exit=\${PIPESTATUS[0]}" >&2`;
  const result = await collect(
    spawn('bash', ['-c', script], { cwd: tree.project, env: tree.env(), stdio: ['ignore', 'pipe', 'pipe'] }),
    45_000,
  );
  const exit = /cli-exit=(\d+)/.exec(result.stderr);
  expect(exit, result.stderr).not.toBeNull();
  return { stdout: result.stdout, stderr: result.stderr.replace(/cli-exit=\d+\n/, ''), cliExit: Number(exit![1]) };
}

function expectNoCrash(stderr: string): void {
  expect(stderr).not.toMatch(/EPIPE|Unhandled|RangeError|^\s+at .+:\d+:\d+\)?$/m);
}

describe('piped into a reader that stops early', () => {
  it('list | head -1: one line, exit 0, no EPIPE', async () => {
    const { stdout, stderr, cliExit } = await piped(['list'], 'head -1');
    expect(stdout).toBe('No MCP config found: showing the bundled example servers (see `mcp-bridge doctor`).\n');
    expectNoCrash(stderr);
    expect(cliExit).toBe(0);
  }, 60_000);

  it('list | head -c 0 (the reader is gone before the first line): exit 0, no EPIPE', async () => {
    const { stdout, stderr, cliExit } = await piped(['list'], 'head -c 0');
    expect(stdout).toBe('');
    expectNoCrash(stderr);
    expect(cliExit).toBe(0);
  }, 60_000);

  it('call ... | head -c 10: the first bytes of the result, exit 0, no EPIPE', async () => {
    const { stdout, stderr, cliExit } = await piped(['call', 'clock/countdown', '--args', '{"seconds":1,"stepMs":50}'], 'head -c 10');
    expect(stdout).toBe('countdown ');
    expectNoCrash(stderr);
    expect(cliExit).toBe(0);
  }, 60_000);

  it('list --json | head -c 0: exit 0, no EPIPE', async () => {
    const { stderr, cliExit } = await piped(['list', '--json'], 'head -c 0');
    expectNoCrash(stderr);
    expect(cliExit).toBe(0);
  }, 60_000);
});
