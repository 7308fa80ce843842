import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One conformance check as the suite writes it to checks.json. */
export interface Check {
  id: string;
  status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO' | 'SKIPPED';
  errorMessage?: string;
}

/** Per scenario: passed and failed check counts, and the failed checks' messages. */
export type SuiteResult = Map<string, { passed: number; failed: number; errors: string[] }>;

const require = createRequire(import.meta.url);

/**
 * Runs the official conformance suite's active server scenarios against `url` in a child process
 * (`conformance server --url`), and reads back every scenario's checks.json.
 */
export async function runConformance(url: string, timeoutMs = 100_000): Promise<{ results: SuiteResult; output: string }> {
  const bin = join(require.resolve('@modelcontextprotocol/conformance/package.json'), '..', 'dist', 'index.js');
  const out = await mkdtemp(join(tmpdir(), 'mcp-bridge-conformance-'));
  try {
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, [bin, 'server', '--url', url, '-o', out], { stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      child.stdout.on('data', (d: Buffer) => (text += d.toString()));
      child.stderr.on('data', (d: Buffer) => (text += d.toString()));
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`conformance suite against ${url} did not finish within ${timeoutMs} ms:\n${text.slice(-4000)}`));
      }, timeoutMs);
      child.on('error', reject);
      // Exit code 1 only means some check failed: the checks files say which.
      child.on('exit', () => {
        clearTimeout(timer);
        resolve(text);
      });
    });
    const results: SuiteResult = new Map();
    for (const dir of (await readdir(out)).sort()) {
      const scenario = dir.replace(/^server-/, '').replace(/-\d{4}-\d\d-\d\dT[\d-]+Z$/, '');
      const checks = JSON.parse(await readFile(join(out, dir, 'checks.json'), 'utf8')) as Check[];
      results.set(scenario, {
        passed: checks.filter((c) => c.status === 'SUCCESS').length,
        failed: checks.filter((c) => c.status === 'FAILURE').length,
        errors: checks.filter((c) => c.status === 'FAILURE').map((c) => `${c.id}: ${c.errorMessage ?? ''}`),
      });
    }
    return { results, output };
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

/** A per-scenario table of both runs, for the test's stdout; `labels` name the two columns. */
export function formatTable(
  direct: SuiteResult,
  gateway: SuiteResult,
  labels: [string, string] = ['fixture direct', 'gateway (fixture over stdio)'],
): string {
  const scenarios = [...new Set([...direct.keys(), ...gateway.keys()])];
  const cell = (r: { passed: number; failed: number } | undefined): string =>
    r ? `${r.failed === 0 ? 'PASS' : 'FAIL'} ${r.passed}/${r.passed + r.failed}` : 'not run';
  const width = Math.max(...scenarios.map((s) => s.length), 8);
  const first = Math.max(labels[0].length, 14);
  const lines = [
    `${'scenario'.padEnd(width)}  ${labels[0].padEnd(first)}  ${labels[1]}`,
    `${'-'.repeat(width)}  ${'-'.repeat(first)}  ${'-'.repeat(labels[1].length)}`,
  ];
  for (const s of scenarios) lines.push(`${s.padEnd(width)}  ${cell(direct.get(s)).padEnd(first)}  ${cell(gateway.get(s))}`);
  lines.push(`scenarios passed: ${labels[0]} ${passedCount(direct)}/${direct.size}, ${labels[1]} ${passedCount(gateway)}/${gateway.size}`);
  return lines.join('\n');
}

/** How many scenarios passed every check. */
export function passedCount(results: SuiteResult): number {
  return [...results.values()].filter((v) => v.failed === 0).length;
}
