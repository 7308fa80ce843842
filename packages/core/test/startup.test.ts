// Servers that are slow to start, or down at start: honest `starting` status, calls that wait for
// them within their deadline, and (startMode 'background') a catalog that fills in as they come up.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually, stdioFaultServer, stdioTestServer } from '@mcp-bridge/testing';
import { createBridge, NotFoundError, type BridgeEvents } from '../src/index.js';
import { text, useBridges } from './fixtures.js';

const { track } = useBridges();
const marker = `startup-${randomUUID().slice(0, 8)}`;
const dir = mkdtempSync(join(tmpdir(), 'mcp-bridge-startup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fast = () => stdioTestServer({ name: `fast-${marker}`, tools: ['echo'], resources: false, prompts: false });
const slow = (ms: number) => stdioFaultServer({ name: `slow-${marker}`, startDelayMs: ms, tools: { lookup: { readOnlyHint: true } } });

describe('startMode: background', () => {
  it(
    'is ready at once; a slow server is `starting` (never ok) until it is listed, then joins with catalog:changed',
    { timeout: 30_000 },
    async () => {
      const bridge = track(createBridge({ servers: { fast: fast(), slow: slow(3_000) }, startMode: 'background', startGraceMs: 0 }));
      const started: BridgeEvents['server:started'][] = [];
      const changed: string[] = [];
      bridge.on('server:started', (e) => started.push(e));
      bridge.on('catalog:changed', (e) => changed.push(e.server));
      const t = performance.now();
      await bridge.start();
      expect(performance.now() - t).toBeLessThan(1_000);
      expect(bridge.status().map((s) => [s.name, s.state])).toEqual([
        ['fast', 'starting'],
        ['slow', 'starting'],
      ]);
      // A tool of a server not listed yet: the call waits for its list, within the call's deadline.
      expect(text(await bridge.callTool('echo', { text: 'hi' }, { timeout: 20_000 }))).toBe('hi');
      expect(bridge.status().find((s) => s.name === 'slow')?.state).toBe('starting');
      const early = await bridge.callTool('lookup', { key: 'k' }, { timeout: 200 }).catch((e: unknown) => e);
      expect(NotFoundError.isInstance(early)).toBe(true);
      expect((early as Error).message).toContain('slow (still starting)');

      expect(JSON.parse(text(await bridge.callTool('lookup', { key: 'k' }, { timeout: 20_000 })))).toMatchObject({
        tool: 'lookup',
        key: 'k',
      });
      expect(bridge.status().map((s) => s.state)).toEqual(['ok', 'ok']);
      expect(started.map((e) => [e.server, e.ok])).toEqual([
        ['fast', true],
        ['slow', true],
      ]);
      expect(changed).toEqual(expect.arrayContaining(['fast', 'slow']));
    },
  );

  it(
    're-lists a server that was down at start in the background, so its tools are found without listing',
    { timeout: 30_000 },
    async () => {
      const flag = join(dir, `up-${randomUUID()}`);
      const real = stdioTestServer({ name: `late-${marker}`, tools: ['add'], resources: false, prompts: false });
      const late = {
        command: 'sh',
        args: [
          '-c',
          `if [ -f ${flag} ]; then exec "$0" "$@"; else echo "late: not yet" >&2; sleep 0.3; exit 1; fi`,
          real.command,
          ...real.args,
        ],
      };
      const bridge = track(
        createBridge({ servers: { late }, startMode: 'background', reconnectMinMs: 100, reconnectMaxMs: 400, onError: () => undefined }),
      );
      const started: BridgeEvents['server:started'][] = [];
      bridge.on('server:started', (e) => started.push(e));
      await bridge.start();
      expect(await eventually(() => started.length === 1, 10_000)).toBe(true);
      expect(started[0]).toMatchObject({ server: 'late', ok: false });
      expect(started[0]!.error).toContain('late: not yet');
      expect(bridge.status()[0]!.state).toBe('down');

      const changed = new Promise<void>((resolve) => bridge.on('catalog:changed', () => resolve()));
      writeFileSync(flag, '');
      await changed;
      expect(bridge.tools().map((t) => t.name)).toEqual(['add']);
      expect(text(await bridge.callTool('add', { a: 1, b: 2 }))).toBe('3');
      expect(bridge.status()[0]!.state).toBe('ok');
    },
  );
});

describe('startMode: wait (the default)', () => {
  it('reports a server slower than startTimeout as `starting`, not ok', { timeout: 30_000 }, async () => {
    const bridge = track(createBridge({ servers: { fast: fast(), slow: slow(15_000) }, startTimeout: 5_000 }));
    await bridge.start();
    expect(bridge.status().map((s) => [s.name, s.state])).toEqual([
      ['fast', 'ok'],
      ['slow', 'starting'],
    ]);
  });
});
