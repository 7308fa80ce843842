import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createBridge, type Bridge } from '@mcp-bridge/core';
import { stdioTestServer } from '@mcp-bridge/testing';
import { applyChange, bridgeServers, discover, watchConfigs, type ConfigWatcher, type DiscoveryChange } from '../src/index.js';
import { cmd, useTree } from './helpers.js';

const tree = useTree();
const watchers: ConfigWatcher[] = [];
const bridges: Bridge[] = [];
afterEach(async () => {
  await Promise.all(watchers.splice(0).map((w) => w.close()));
  await Promise.all(bridges.splice(0).map((b) => b.close()));
});

/** Changes as they arrive; `next()` waits for the following one (wide margin: the host is shared). */
function changeQueue() {
  const seen: DiscoveryChange[] = [];
  const waiting: ((change: DiscoveryChange) => void)[] = [];
  let read = 0;
  return {
    seen,
    push(change: DiscoveryChange) {
      seen.push(change);
      waiting.shift()?.(seen[read++]!);
    },
    next(timeoutMs = 10_000): Promise<DiscoveryChange> {
      if (read < seen.length) return Promise.resolve(seen[read++]!);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no change within ${timeoutMs} ms (seen ${seen.length})`)), timeoutMs);
        waiting.push((change) => {
          clearTimeout(timer);
          resolve(change);
        });
      });
    },
  };
}

/** Saves the way many editors do: write a temporary file, then rename it over the original. */
function saveByRename(file: string, content: unknown): void {
  const temp = `${file}.tmp-${process.pid}`;
  writeFileSync(temp, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  renameSync(temp, file);
}

const names = (change: DiscoveryChange) => ({ added: change.added, removed: change.removed, changed: change.changed });

describe('watchConfigs', () => {
  it('sees files created later, rename-saves, deletions and new folders; formatting alone is no change', async () => {
    const t = tree();
    const queue = changeQueue();
    const watcher = await watchConfigs(t.options(), (c) => queue.push(c), { debounceMs: 100 });
    watchers.push(watcher);
    expect(watcher.result.servers).toEqual([]);

    // A .mcp.json that did not exist when the watch started.
    const project = join(t.app, '.mcp.json');
    writeFileSync(project, JSON.stringify({ mcpServers: { a: cmd('a'), b: cmd('b') } }));
    expect(names(await queue.next())).toEqual({ added: ['a', 'b'], removed: [], changed: [] });

    // Saved through a rename: only "a" changed.
    saveByRename(project, { mcpServers: { a: cmd('a', { env: { MODE: '2' } }), b: cmd('b') } });
    expect(names(await queue.next())).toEqual({ added: [], removed: [], changed: ['a'] });

    // Same config, other key order and formatting: nothing to report.
    saveByRename(
      project,
      `{"mcpServers":{"b":{"args":["b.js"],"command":"node"},\n\n "a": {"env":{"MODE":"2"},"command":"node","args":["a.js"]}}}`,
    );
    await watcher.refresh();
    expect(queue.seen).toHaveLength(2);

    // A folder that did not exist (.vscode), then the file in it.
    mkdirSync(join(t.cwd, '.vscode'));
    writeFileSync(join(t.cwd, '.vscode', 'mcp.json'), JSON.stringify({ servers: { vs: cmd('vs') } }));
    const vs = await queue.next();
    expect(names(vs)).toEqual({ added: ['vs'], removed: [], changed: [] });
    expect(vs.result.servers.find((s) => s.name === 'vs')?.source.kind).toBe('vscode');

    // User-level file in a folder created later (~/.cursor).
    mkdirSync(join(t.home, '.cursor'));
    writeFileSync(join(t.home, '.cursor', 'mcp.json'), JSON.stringify({ mcpServers: { a: cmd('shadowed'), cu: cmd('cu') } }));
    expect(names(await queue.next())).toEqual({ added: ['cu'], removed: [], changed: [] });

    // Deleting the project file removes its servers; "a" falls back to the user file and so changes.
    rmSync(project);
    expect(names(await queue.next())).toEqual({ added: [], removed: ['b'], changed: ['a'] });
  });

  it('debounces a burst of writes into one change', async () => {
    const t = tree();
    const file = t.write(join(t.app, '.mcp.json'), { mcpServers: {} });
    const queue = changeQueue();
    watchers.push(await watchConfigs(t.options(), (c) => queue.push(c), { debounceMs: 300 }));
    for (let i = 1; i <= 5; i++)
      writeFileSync(file, JSON.stringify({ mcpServers: Object.fromEntries(Array.from({ length: i }, (_, j) => [`s${j}`, cmd(`s${j}`)])) }));
    expect(names(await queue.next())).toEqual({ added: ['s0', 's1', 's2', 's3', 's4'], removed: [], changed: [] });
    await watchers[0]!.refresh();
    expect(queue.seen).toHaveLength(1);
  });

  it('reads a file that is rewritten without pause at most max(10 x debounce, 1 s) after the burst began', async () => {
    const t = tree();
    const file = t.write(join(t.home, '.claude.json'), { mcpServers: {} });
    const queue = changeQueue();
    watchers.push(await watchConfigs(t.options(), (c) => queue.push(c), { debounceMs: 300 }));
    // Every 50 ms, for up to 8 s: a plain debounce of 300 ms would never fire while this lasts.
    const started = Date.now();
    let i = 0;
    while (queue.seen.length === 0 && Date.now() - started < 8_000) {
      // Atomic saves: a read in the middle of a plain write would see half a file.
      saveByRename(file, { mcpServers: { [`s${i++}`]: cmd('s') } });
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(queue.seen.length).toBeGreaterThan(0);
    expect(queue.seen[0]!.added).toHaveLength(1);
  });

  it('keeps the last good config on a broken edit and reports the issue', async () => {
    const t = tree();
    const file = t.write(join(t.app, '.mcp.json'), { mcpServers: { a: cmd('a'), b: cmd('b') } });
    const queue = changeQueue();
    const watcher = await watchConfigs(t.options(), (c) => queue.push(c), { debounceMs: 50 });
    watchers.push(watcher);

    saveByRename(file, '{ "mcpServers": { "a": { "command": "node", "args": ["a.js"] },, } }');
    const broken = await queue.next();
    expect(names(broken)).toEqual({ added: [], removed: [], changed: [] });
    expect(broken.result.servers.map((s) => s.name)).toEqual(['a', 'b']);
    // Column 64 is the second comma.
    expect(broken.result.issues).toEqual([
      {
        file,
        line: 1,
        column: 64,
        message: 'invalid JSON at line 1, column 64: property name expected (keeping the last good version of this file)',
      },
    ]);

    // A valid file with one bad entry: that server keeps its last good config too.
    saveByRename(file, { mcpServers: { a: { command: 'node', args: ['a.js', 5] }, b: cmd('b', { env: { X: '1' } }) } });
    const partly = await queue.next();
    expect(names(partly)).toEqual({ added: [], removed: [], changed: ['b'] });
    expect(partly.result.servers.find((s) => s.name === 'a')?.config).toEqual(cmd('a'));
    expect(partly.result.issues).toEqual([
      { file, line: 7, server: 'a', field: 'args[1]', message: 'expected string, got number (keeping the last good config)' },
    ]);

    // Fixed: the issue goes away, and that alone is reported.
    saveByRename(file, { mcpServers: { a: cmd('a'), b: cmd('b', { env: { X: '1' } }) } });
    const fixed = await queue.next();
    expect(names(fixed)).toEqual({ added: [], removed: [], changed: [] });
    expect(fixed.result.issues).toEqual([]);
  });

  it('watches a VS Code envFile: editing it changes only the server that reads it', async () => {
    const t = tree();
    const envFile = t.write(join(t.app, '.env'), 'TOKEN=one\n');
    t.write(join(t.app, '.vscode', 'mcp.json'), { servers: { reads: { command: 'node', envFile: '.env' }, other: cmd('other') } });
    const queue = changeQueue();
    watchers.push(await watchConfigs(t.options(), (c) => queue.push(c), { debounceMs: 50 }));
    saveByRename(envFile, 'TOKEN=two\n');
    const change = await queue.next();
    expect(names(change)).toEqual({ added: [], removed: [], changed: ['reads'] });
    expect(change.result.servers.find((s) => s.name === 'reads')?.config['env']).toEqual({ TOKEN: 'two' });
  });

  it('watches the explicit file, and not the sources it switched off', async () => {
    const t = tree();
    const explicit = t.write(join(t.root, 'conf', 'servers.json'), { mcpServers: { a: cmd('a') } });
    const queue = changeQueue();
    const watcher = await watchConfigs(t.options({ configFile: explicit }), (c) => queue.push(c), { debounceMs: 50 });
    watchers.push(watcher);
    // A project file appears, but project files are off with an explicit file: nothing to report.
    saveByRename(t.write(join(t.app, '.mcp.json'), '{}'), { mcpServers: { p: cmd('p') } });
    await watcher.refresh();
    expect(queue.seen).toHaveLength(0);
    saveByRename(explicit, { mcpServers: { a: cmd('a'), b: cmd('b') } });
    expect(names(await queue.next())).toEqual({ added: ['b'], removed: [], changed: [] });
  });

  it('diffs against the initial result it is given, so an edit before the watch started is not missed', async () => {
    const t = tree();
    const file = t.write(join(t.app, '.mcp.json'), { mcpServers: { a: cmd('a') } });
    const initial = await discover(t.options());
    writeFileSync(file, JSON.stringify({ mcpServers: { a: cmd('a'), late: cmd('late') } }));
    const queue = changeQueue();
    watchers.push(await watchConfigs(t.options(), (c) => queue.push(c), { initial, debounceMs: 50 }));
    expect(names(await queue.next())).toEqual({ added: ['late'], removed: [], changed: [] });
  });
});

describe('hot reload of a real bridge', () => {
  it('reconnects only the changed server; adds and removes servers; a broken edit changes nothing', async () => {
    const t = tree();
    const file = join(t.app, '.mcp.json');
    const config = (servers: Record<string, unknown>) => ({ mcpServers: servers });
    const alpha = stdioTestServer({ name: 'alpha', resources: false, prompts: false });
    const beta = stdioTestServer({ name: 'beta', resources: false, prompts: false });
    t.write(file, config({ alpha, beta }));

    const result = await discover(t.options());
    const bridge = createBridge({ servers: bridgeServers(result), onError: () => undefined });
    bridges.push(bridge);
    await bridge.start();
    const events: string[] = [];
    bridge.on('upstream:add', ({ server }) => events.push(`add ${server}`));
    bridge.on('upstream:remove', ({ server }) => events.push(`remove ${server}`));

    const whoami = async (server: string) =>
      JSON.parse(((await bridge.callTool('whoami', {}, { server })).content[0] as { text: string }).text) as {
        server: string;
        pid: number;
      };
    const connectionOf = (server: string) => bridge.connection(bridge.upstreams(server)[0]!);
    const alphaPid = (await whoami('alpha')).pid;
    const betaPid = (await whoami('beta')).pid;
    const betaConnection = connectionOf('beta');
    expect(betaConnection?.pid).toBe(betaPid);

    const queue = changeQueue();
    const applied: unknown[] = [];
    const watcher = await watchConfigs(
      t.options(),
      async (change) => {
        await applyChange(bridge, change).catch((error: unknown) => applied.push(error));
        queue.push(change);
      },
      { initial: result, debounceMs: 50 },
    );
    watchers.push(watcher);

    // Edit alpha only.
    saveByRename(file, config({ alpha: { ...alpha, env: { ALPHA_MODE: 'v2' } }, beta }));
    expect(names(await queue.next())).toEqual({ added: [], removed: [], changed: ['alpha'] });
    expect(events).toEqual(['remove alpha', 'add alpha']);
    const newAlpha = await whoami('alpha');
    expect(newAlpha.server).toBe('alpha');
    expect(newAlpha.pid).not.toBe(alphaPid);
    await waitUntil(() => !alive(alphaPid), 'the old alpha process to end');
    // beta was not touched: same connection object, same process.
    expect(connectionOf('beta')).toBe(betaConnection);
    expect((await whoami('beta')).pid).toBe(betaPid);

    // Add gamma, remove beta, in one save.
    events.length = 0;
    const gamma = stdioTestServer({ name: 'gamma', resources: false, prompts: false });
    saveByRename(file, config({ alpha: { ...alpha, env: { ALPHA_MODE: 'v2' } }, gamma }));
    expect(names(await queue.next())).toEqual({ added: ['gamma'], removed: ['beta'], changed: [] });
    expect(events.sort()).toEqual(['add gamma', 'remove beta']);
    expect(bridge.servers().sort()).toEqual(['alpha', 'gamma']);
    expect((await whoami('gamma')).server).toBe('gamma');
    await waitUntil(() => !alive(betaPid), 'the beta process to end');
    expect((await whoami('alpha')).pid).toBe(newAlpha.pid);

    // A broken save: reported, nothing reconnected, the last good config keeps running.
    events.length = 0;
    saveByRename(file, '{ "mcpServers": { "alpha": ');
    const broken = await queue.next();
    expect(names(broken)).toEqual({ added: [], removed: [], changed: [] });
    expect(broken.result.issues).toEqual([
      expect.objectContaining({ file, line: 1, message: expect.stringContaining('keeping the last good version') }),
    ]);
    expect(events).toEqual([]);
    expect(bridge.servers().sort()).toEqual(['alpha', 'gamma']);
    expect((await whoami('alpha')).pid).toBe(newAlpha.pid);
    expect(applied).toEqual([]);
  });

  it('applyChange collects failures and reports each one instead of stopping at the first', async () => {
    const bridge = createBridge({ servers: {}, onError: () => undefined });
    bridges.push(bridge);
    await bridge.start();
    const t = tree();
    t.write(join(t.app, '.mcp.json'), { mcpServers: { one: { url: 'http://127.0.0.1:9/mcp' } } });
    const result = await discover(t.options());
    // "ghost" is not in the result: its add fails; "one" is added (its connect failing does not make addServer fail).
    const error = await applyChange(bridge, { result, added: ['one', 'ghost'], removed: ['nothing'], changed: [] }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AggregateError);
    expect((error as Error).message).toBe(
      '[mcp-bridge] [@mcp-bridge/discovery] 1 of 3 server changes failed: server "ghost" (add): server "ghost" is not in the change\'s result',
    );
    expect(bridge.servers()).toEqual(['one']);
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntil(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
