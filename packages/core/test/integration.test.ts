import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpTestServer, inMemoryTestServer, processesWith, startHttpTestServer, stdioTestServer } from '@mcp-bridge/testing';
import { createBridge, TimeoutError, UpstreamUnavailableError, type Bridge } from '../src/index.js';

const text = (r: { content: unknown[] }) => (r.content[0] as { text: string }).text;

describe('one bridge over three real upstreams (stdio child, Streamable HTTP, in-memory)', () => {
  const marker = `local-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const memory = inMemoryTestServer({ name: 'mem' });
  let http: HttpTestServer;
  let bridge: Bridge;
  const seenPids = new Set<number>();

  beforeAll(async () => {
    http = await startHttpTestServer({ name: 'remote' });
    bridge = createBridge({
      servers: {
        local: stdioTestServer({ name: marker }),
        remote: { url: http.url },
        mem: memory,
      },
      reconnectMinMs: 50,
    });
    await bridge.start();
  });

  afterAll(async () => {
    await bridge?.close();
    await http?.close();
  });

  it('lists one merged catalog with every server ok', async () => {
    const { tools, _meta } = await bridge.listTools();
    const names = tools.map((t) => t.name);
    for (const server of ['local', 'remote', 'mem']) expect(names).toContain(`${server}__echo`);
    expect(Object.values(_meta['mcp-bridge/servers']).map((s) => s.status)).toEqual(['ok', 'ok', 'ok']);
    expect(bridge.status().map((s) => [s.name, s.state])).toEqual([
      ['local', 'ok'],
      ['remote', 'ok'],
      ['mem', 'ok'],
    ]);
    const local = bridge.status()[0]!.upstreams[0]!;
    expect(local.pid).toBeGreaterThan(0);
    seenPids.add(local.pid!);
    expect(processesWith(marker)).toEqual([local.pid]);
  });

  it('calls a tool on each upstream', async () => {
    expect(text(await bridge.callTool('local__echo', { text: 'a' }))).toBe('a');
    expect(text(await bridge.callTool('remote__echo', { text: 'b' }))).toBe('b');
    expect(text(await bridge.callTool('mem__echo', { text: 'c' }))).toBe('c');
    const who = JSON.parse(text(await bridge.callTool('local__whoami'))) as { pid: number };
    expect(seenPids.has(who.pid)).toBe(true);
  });

  it('forwards progress from the upstream to the caller', async () => {
    for (const server of ['local', 'remote', 'mem']) {
      const progress: number[] = [];
      await bridge.callTool(`${server}__progress`, { steps: 3 }, { onprogress: (p) => progress.push(p.progress) });
      expect(progress).toEqual([1, 2, 3]);
    }
  });

  it('cancels: the abort reaches the upstream as notifications/cancelled', async () => {
    const controller = new AbortController();
    const call = bridge.callTool('remote__slow', { ms: 20_000 }, { signal: controller.signal });
    await http.ledger.waitFor((l) => l.tally('slow').inFlight === 1);
    const started = Date.now();
    controller.abort(new Error('user pressed stop'));
    await expect(call).rejects.toThrow(/user pressed stop/);
    expect(Date.now() - started).toBeLessThan(5_000);
    await http.ledger.waitFor((l) => l.cancelled('slow') === 1);
  });

  it('times out: the upstream request is cancelled and a TimeoutError names the tool', async () => {
    const error = await bridge.callTool('mem__slow', { ms: 20_000 }, { timeout: 100 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as Error).message).toMatch(/tool "slow" of server "mem" timed out after \d+ ms/);
    await memory.ledger.waitFor((l) => l.cancelled('slow') === 1);
  });

  it('keeps working when an upstream dies mid-run, reports it, and reconnects on next use', async () => {
    const pid = bridge.status()[0]!.upstreams[0]!.pid!;
    const inFlight = bridge.callTool('local__slow', { ms: 20_000 }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 100));
    const killedAt = Date.now();
    process.kill(pid, 'SIGKILL');
    const error = await inFlight;
    // The call on the dead process fails at once, not after its timeout.
    expect(Date.now() - killedAt).toBeLessThan(5_000);
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(bridge.status()[0]).toMatchObject({ name: 'local', state: 'down', upstreams: [{ status: 'failed', health: 'unhealthy' }] });
    // The others are untouched.
    expect(text(await bridge.callTool('remote__echo', { text: 'still here' }))).toBe('still here');
    expect(text(await bridge.callTool('mem__echo', { text: 'me too' }))).toBe('me too');
    // The dead one is restarted on next use.
    await new Promise((r) => setTimeout(r, 60));
    expect(text(await bridge.callTool('local__echo', { text: 'back' }))).toBe('back');
    const newPid = bridge.status()[0]!.upstreams[0]!.pid!;
    expect(newPid).not.toBe(pid);
    seenPids.add(newPid);
    expect(bridge.status()[0]!.state).toBe('ok');
  });

  it('leaves no child process after close()', async () => {
    expect(processesWith(marker).length).toBe(1);
    await bridge.close();
    expect(processesWith(marker)).toEqual([]);
    for (const pid of seenPids) expect(() => readFileSync(`/proc/${pid}/stat`)).toThrow();
  });
});
