import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventually, processesWith } from '@mcp-bridge/testing';
import { cliCommand, tempTree, type Tree } from './helpers.js';

const server = fileURLToPath(new URL('./fixtures/lifecycle-server.mjs', import.meta.url));
let tree: Tree;
let marker: string;
const gateways: ChildProcess[] = [];

/** A config of two upstreams carrying the test's marker: one still starting, one that only SIGKILL ends (behind sh -c). */
function writeConfig(delayMs: number, stubbornGraceMs?: number): string {
  marker = `life-${randomUUID().slice(0, 8)}`;
  return tree.write(`project/${marker}.json`, {
    mcpServers: {
      slow: { command: process.execPath, args: [server, `${marker}-slow`, `--delay=${delayMs}`] },
      stubborn: {
        command: 'sh',
        args: ['-c', `"${process.execPath}" "${server}" ${marker}-stubborn --ignore-eof --ignore-term; exit 0`],
        ...(stubbornGraceMs ? { shutdownGraceMs: stubbornGraceMs } : {}),
      },
    },
  });
}

function startGateway(config: string): { child: ChildProcess; stderr: () => string } {
  const { command, args } = cliCommand(['--root', tree.root, '--config', config, 'serve', '--stdio']);
  const child = spawn(command, args, { cwd: tree.project, env: tree.env(), stdio: ['pipe', 'pipe', 'pipe'] });
  gateways.push(child);
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdout.resume();
  return { child, stderr: () => stderr };
}

/** Both upstreams spawned (the stubborn one past its wrapper). */
const spawned = (): boolean => processesWith(`${marker}-slow`).length === 1 && processesWith(`${marker}-stubborn`).length === 2;

beforeAll(() => {
  tree = tempTree();
});
afterEach(() => {
  for (const child of gateways.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const pid of processesWith(marker)) process.kill(pid, 'SIGKILL');
});
afterAll(() => tree.remove());

describe('serve --stdio ends with every child, whenever it is stopped', () => {
  it.each([
    ['stdin EOF', (child: ChildProcess) => child.stdin!.end()],
    ['SIGTERM', (child: ChildProcess) => child.kill('SIGTERM')],
  ])(
    '%s while upstreams are still starting: gateway and children gone within 5 s',
    async (_how, end) => {
      const { child, stderr } = startGateway(writeConfig(30_000));
      expect(await eventually(spawned, 15_000), stderr()).toBe(true);
      const stoppedAt = Date.now();
      end(child);
      const [code] = (await once(child, 'exit')) as [number | null];
      expect(code, stderr()).toBe(0);
      expect(await eventually(() => processesWith(marker).length === 0, 5_000 - (Date.now() - stoppedAt))).toBe(true);
      expect(Date.now() - stoppedAt).toBeLessThan(5_000);
      // The gateway serves while its upstreams start (background start): it stops from there.
      expect(stderr()).toMatch(/stopping \((stdin closed|SIGTERM)\)/);
    },
    30_000,
  );

  it('stdin EOF once serving: the stubborn upstream is SIGKILLed at the shutdown deadline, all within 5 s', async () => {
    // Its own ladder (EOF, 5 s, SIGTERM, 5 s, SIGKILL) would take 10 s: the gateway's deadline cuts it short.
    const { child, stderr } = startGateway(writeConfig(0, 5_000));
    expect(await eventually(() => stderr().includes('serving over stdio'), 15_000), stderr()).toBe(true);
    const stoppedAt = Date.now();
    child.stdin!.end();
    await once(child, 'exit');
    expect(await eventually(() => processesWith(marker).length === 0, 5_000 - (Date.now() - stoppedAt))).toBe(true);
    expect(Date.now() - stoppedAt).toBeLessThan(5_000);
    expect(stderr()).toMatch(/shutdown took over 3500 ms: killed 1 upstream process group/);
  }, 30_000);

  it('SIGKILL of the gateway: no upstream survives it, not even one that ignores stdin EOF and SIGTERM', async () => {
    const { child, stderr } = startGateway(writeConfig(0));
    expect(await eventually(() => stderr().includes('serving over stdio'), 15_000), stderr()).toBe(true);
    // Upstreams are spawned in the background, once the gateway serves.
    expect(await eventually(spawned, 15_000), stderr()).toBe(true);
    child.kill('SIGKILL');
    await once(child, 'exit');
    // The slow one exits on stdin EOF at once; the reaper SIGKILLs the stubborn one after its 2 s grace.
    expect(await eventually(() => processesWith(`${marker}-slow`).length === 0, 2_000)).toBe(true);
    expect(await eventually(() => processesWith(marker).length === 0, 6_000), `left: ${processesWith(marker).join(', ')}`).toBe(true);
  }, 30_000);

  it('a client that probes and kills its gateway after about 1 s, three times, leaves no upstream behind', async () => {
    const config = writeConfig(3_000);
    for (let probe = 0; probe < 3; probe++) {
      const { child } = startGateway(config);
      child.stdin!.write(
        `${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'probe', version: '1' } } })}\n`,
      );
      // About 1 s with a built CLI; from source (tsx) start-up is slower: wait until the upstreams are being spawned.
      await eventually(() => processesWith(`${marker}-`).length > 0, 10_000);
      await new Promise((resolve) => setTimeout(resolve, 300));
      // What SDK clients do on close: end stdin, then signal.
      child.stdin!.end();
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
    expect(await eventually(() => processesWith(marker).length === 0, 5_000), `left: ${processesWith(marker).join(', ')}`).toBe(true);
  }, 60_000);
});
