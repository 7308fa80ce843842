import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { sandboxSupport } from '@mcp-bridge/transports/stdio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_DIR, walk, type WalkOutcome } from '../src/walk.js';

const require = createRequire(import.meta.url);
const support = sandboxSupport();
const CI = process.env['CI'] === 'true';
if (!support.ok && !CI) {
  console.warn(
    `\n*** SKIPPING the curated-gateway example test: ${support.reason} ***\n*** (its files server runs under bubblewrap; under CI=true this test fails instead) ***\n`,
  );
}
/** Needs bwrap: runs where it works, fails under CI=true where it does not, skips (loudly, above) elsewhere. */
const withBwrap = support.ok || CI ? describe : describe.skip;

/** Every process under `root` (by parent pid, from /proc), so the test can check none outlives the gateway. */
function descendants(root: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The command name (field 2) may contain spaces: the ppid is the second field after its closing parenthesis.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    for (const [child, parent] of parents) {
      if (parent !== pid) continue;
      out.push(child);
      queue.push(child);
    }
  }
  return out;
}

const alive = (pid: number): boolean => existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');

// The example's .mcp.json served the way `pnpm start` serves it (`serve --http`, port 0 here), then the walk of `pnpm try`.
withBwrap('examples/curated-gateway', () => {
  let gateway: ChildProcess;
  let stderr = '';
  let result: WalkOutcome;
  let servers: number[] = [];
  // The gateway's own state (its catalog snapshot cache) goes to a throwaway home, not into the example.
  const home = mkdtempSync(join(tmpdir(), 'curated-gateway-home-'));

  beforeAll(async () => {
    if (CI) expect(support, 'CI=true needs bubblewrap for the curated-gateway example').toMatchObject({ ok: true });
    const bin = join(dirname(require.resolve('mcp-bridge/package.json')), 'src', 'bin.ts');
    const tsx = pathToFileURL(require.resolve('tsx')).href;
    gateway = spawn(
      process.execPath,
      ['--conditions=@mcp-bridge/source', '--import', tsx, bin, 'serve', '--config', '.mcp.json', '--http', '0'],
      { cwd: EXAMPLE_DIR, env: { PATH: process.env.PATH ?? '', HOME: home, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    gateway.stdout!.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    gateway.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    // Wait for the whole catalog (servers start in the background), so the search sees every tool.
    await new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (/catalog: \d+ tools from 5 servers/.test(stderr) && stdout.includes('\n')) resolve();
      };
      gateway.stdout!.on('data', check);
      gateway.stderr!.on('data', check);
      gateway.on('exit', (code) => reject(new Error(`the gateway exited (${code}) before serving:\n${stderr}`)));
    });
    servers = descendants(gateway.pid!);
    result = await walk(new URL(stdout.trim().split('\n')[0]!));
  }, 60_000);

  afterAll(async () => {
    if (gateway?.exitCode === null) {
      const closed = new Promise((resolve) => gateway.on('close', resolve));
      gateway.kill('SIGTERM');
      await closed;
    }
    rmSync(home, { recursive: true, force: true });
  });

  it('lists the meta-tools and the always-listed tools, and search finds a tool by a task in plain words', () => {
    expect([...result.listed].sort()).toEqual(['call_tool', 'describe_tool', 'find_notes', 'read_text_file', 'search_tools']);
    expect(result.search).toContain('write_file');
    expect(result.describe).toContain('"server": "files"');
    expect(result.written).toMatchObject({ isError: false, text: expect.stringContaining('Successfully wrote') });
  });

  it('redacts the secret in read_text_file results', () => {
    expect(result.readBack.isError).toBe(false);
    expect(result.readBack.text).toContain('AWS_ACCESS_KEY_ID=[REDACTED:');
    expect(result.readBack.text).not.toMatch(/AKIA[A-Z0-9]{16}/);
  });

  it('applies the overrides: renamed, hidden, fixed argument injected and not settable', () => {
    expect(result.renamed).toMatchObject({ isError: false, text: expect.stringContaining('keyboard') });
    expect(result.hidden).toMatchObject({ isError: true, text: expect.stringContaining('no tool named "delete_entities"') });
    expect(result.fixedNow.isError).toBe(false);
    expect(result.fixedNow.text).toMatch(/\bCES?T\b/); // Europe/Paris, though the model sent no time zone
    expect(result.fixedRefused).toMatchObject({ isError: true, text: expect.stringContaining('"timeZone"') });
  });

  it('refuses a path escaping data/ with a message the model can act on, without sending it', () => {
    expect(result.guardRefusal.isError).toBe(true);
    expect(result.guardRefusal.text).toContain('refused by the guard (rule: paths)');
    expect(result.guardRefusal.text).toContain('The call was not sent to the server');
  });

  it('the sandbox hides what the server itself would allow', () => {
    expect(result.allowedDirs.text).toContain(EXAMPLE_DIR);
    expect(existsSync(join(EXAMPLE_DIR, 'README.md'))).toBe(true);
    expect(result.sandboxRefusal).toMatchObject({ isError: true, text: expect.stringContaining('ENOENT') });
  });

  it('pins every server on first use', () => {
    expect(Object.keys(result.pins).sort()).toEqual(['clock', 'files', 'flaky', 'memory', 'notes']);
    expect(result.pins['files']).toBeGreaterThanOrEqual(14);
    expect(stderr).not.toContain('drift');
  });

  it('stops every server with the gateway', async () => {
    expect(servers.length).toBeGreaterThanOrEqual(5);
    const closed = new Promise((resolve) => gateway.on('close', resolve));
    gateway.kill('SIGTERM');
    await closed;
    const deadline = Date.now() + 5_000;
    while (servers.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(servers.filter(alive)).toEqual([]);
  }, 15_000);
});
