// The catalog snapshot (startMode 'background' + catalogSnapshot): a slow server's lists of an
// earlier run are served, marked stale, while it starts; its real lists replace them, announced only
// when they differ; a store that fails is reported and costs nothing else.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { stdioFaultServer } from '@mcp-bridge/testing';
import { createBridge, type CatalogSnapshotStore, type ServerSnapshot } from '../src/index.js';
import { text, useBridges } from './fixtures.js';

const { track } = useBridges();
const marker = `snapshot-${randomUUID().slice(0, 8)}`;
const slow = (tools: Record<string, object>) => stdioFaultServer({ name: `slow-${marker}`, startDelayMs: 1_500, tools });

/** A store in memory that records what was asked and saved. */
function memoryStore(initial?: ServerSnapshot): CatalogSnapshotStore & { saved: ServerSnapshot[]; loads: string[] } {
  const saved: ServerSnapshot[] = [];
  const loads: string[] = [];
  return {
    saved,
    loads,
    load(server) {
      loads.push(server);
      return Promise.resolve(saved.at(-1) ?? initial);
    },
    async save(_server, _configs, snapshot) {
      // As slow as a disk: a close that did not wait for the write would miss it.
      await new Promise((resolve) => setTimeout(resolve, 50));
      saved.push(snapshot);
    },
  };
}

const lookupTool = { name: 'lookup', description: 'from the snapshot', inputSchema: { type: 'object' } };

describe('catalog snapshot', () => {
  it(
    'serves the snapshot at once while the server starts, then its real list, announced because it differs',
    { timeout: 30_000 },
    async () => {
      const store = memoryStore({
        savedAt: Date.now() - 60_000,
        lists: { tools: [lookupTool], prompts: [], resources: [], templates: [] },
      });
      const bridge = track(
        createBridge({ servers: { slow: slow({ lookup: {}, added: {} }) }, startMode: 'background', catalogSnapshot: store }),
      );
      const changed: string[] = [];
      bridge.on('catalog:changed', (e) => changed.push(`${e.server}:${e.kinds.join()}`));
      await bridge.start();
      const t = performance.now();
      const first = await bridge.listTools();
      // No wait for the grace (5 s by default): the snapshot stands in.
      expect(performance.now() - t).toBeLessThan(1_000);
      expect(first.tools.map((x) => [x.name, x.description])).toEqual([['lookup', 'from the snapshot']]);
      expect(first._meta['mcp-bridge/servers'].slow).toMatchObject({ status: 'stale', code: 'SNAPSHOT' });
      expect(bridge.status()[0]?.state).toBe('starting');
      // A call waits for the server.
      expect(JSON.parse(text(await bridge.callTool('lookup', { key: 'k' }, { timeout: 20_000 })))).toMatchObject({ tool: 'lookup' });
      await expect.poll(() => bridge.status()[0]?.state, { timeout: 10_000 }).toBe('ok');
      const real = await bridge.listTools();
      expect(real.tools.map((x) => x.name).sort()).toEqual(['added', 'fault_ledger', 'lookup']);
      expect(changed).toContain('slow:tools');
      // The real lists are saved for the next start.
      await expect.poll(() => store.saved.length, { timeout: 5_000 }).toBe(1);
      expect((store.saved[0]!.lists.tools as { name: string }[]).map((x) => x.name).sort()).toEqual(['added', 'fault_ledger', 'lookup']);
    },
  );

  it('an unchanged list is not announced', { timeout: 30_000 }, async () => {
    const store = memoryStore();
    const first = track(createBridge({ servers: { slow: slow({ lookup: {} }) }, startMode: 'background', catalogSnapshot: store }));
    const listed = new Promise<void>((resolve) => first.on('server:started', () => resolve()));
    await first.start();
    await listed;
    // Closed the moment its server listed (a desktop client that quits at once): the snapshot is still written.
    await first.close();
    expect(store.saved.length).toBe(1);

    const second = track(createBridge({ servers: { slow: slow({ lookup: {} }) }, startMode: 'background', catalogSnapshot: store }));
    const changed: string[] = [];
    second.on('catalog:changed', (e) => changed.push(e.server));
    await second.start();
    expect((await second.listTools()).tools.map((x) => x.name).sort()).toEqual(['fault_ledger', 'lookup']);
    await expect.poll(() => second.status()[0]?.state, { timeout: 15_000 }).toBe('ok');
    expect((await second.listTools())._meta['mcp-bridge/servers'].slow?.status).toBe('ok');
    expect(changed).toEqual([]);
  });

  it('a store that fails is reported through onError and the bridge starts as without one', { timeout: 30_000 }, async () => {
    const errors: string[] = [];
    const broken: CatalogSnapshotStore = {
      load: () => Promise.reject(new Error('disk on fire')),
      save: () => Promise.reject(new Error('disk still on fire')),
    };
    const bridge = track(
      createBridge({
        servers: { slow: slow({ lookup: {} }) },
        startMode: 'background',
        startGraceMs: 0,
        catalogSnapshot: broken,
        onError: (e) => errors.push((e as Error).message),
      }),
    );
    await bridge.start();
    expect((await bridge.listTools()).tools).toEqual([]);
    await expect.poll(() => bridge.status()[0]?.state, { timeout: 15_000 }).toBe('ok');
    await expect.poll(() => errors.length, { timeout: 5_000 }).toBe(2);
    expect(errors[0]).toBe('catalog snapshot of slow could not be read: disk on fire');
    expect(errors[1]).toBe('catalog snapshot of slow could not be saved: disk still on fire');
  });

  it('rejects a store without load() and save(), naming the option', () => {
    expect(() => createBridge({ servers: {}, catalogSnapshot: {} as CatalogSnapshotStore })).toThrow(/catalogSnapshot/);
  });
});
