// `serve --stdio` as a desktop client runs it: an SDK client spawns the gateway over a config with a
// slow server and a fast one, and a server that is down at start and comes up later.
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { eventually, processesWith, stdioFaultServer, stdioTestServer } from '@mcp-bridge/testing';
import { cliCommand, collect, stdioGatewayClient, tempTree, type StdioGatewayClient, type Tree } from './helpers.js';

const marker = `desktop-${randomUUID().slice(0, 8)}`;
/** How long the slow server takes to answer `initialize`. */
const SLOW_MS = 20_000;
let tree: Tree;
const clients: Client[] = [];

beforeAll(() => {
  tree = tempTree();
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
  expect(await eventually(() => processesWith(marker).length === 0, 10_000), `leftover: ${processesWith(marker).join(', ')}`).toBe(true);
});

afterAll(() => tree.remove());

/** Spawns `serve --stdio` in `dir` the way a desktop app does; as a desktop app does, lists again on list_changed. */
function desktopClient(dir: string, extra: string[] = [], relist = true): StdioGatewayClient & { names: () => string[] } {
  let names: string[] = [];
  const spawned = stdioGatewayClient(tree, dir, extra, (client) => {
    if (relist) void client.listTools().then((r) => (names = r.tools.map((t) => t.name).sort()));
  });
  clients.push(spawned.client);
  return { ...spawned, names: () => names };
}

/** Wall time of `mcp-bridge --version` from source: the floor under any command's start. */
async function cliLoadMs(cwd: string): Promise<number> {
  const { command, args } = cliCommand(['--version']);
  const started = performance.now();
  const result = await collect(spawn(command, args, { cwd, env: tree.env(), stdio: ['ignore', 'pipe', 'pipe'] }), 30_000);
  expect(result.code).toBe(0);
  return performance.now() - started;
}

/** A promise that never rejects unhandled (the test may end before it settles); call the result to get its outcome. */
async function settle<T>(promise: Promise<T>): Promise<() => Promise<T>> {
  return promise.then(
    (value) => () => Promise.resolve(value),
    (error: unknown) => () => Promise.reject(error),
  );
}

function text(result: unknown): string {
  const content = (result as CallToolResult).content[0];
  return content?.type === 'text' ? content.text : '';
}

describe('a desktop client spawning serve --stdio', () => {
  it(
    'gets initialize at once; the fast server is callable at once and the slow one arrives by list_changed',
    { timeout: 90_000 },
    async () => {
      const dir = join(tree.root, 'slow-fast');
      tree.write('slow-fast/.mcp.json', {
        mcpServers: {
          fast: stdioTestServer({ name: `fast-${marker}`, tools: ['echo'], resources: false, prompts: false }),
          slow: stdioFaultServer({ name: `slow-${marker}`, startDelayMs: SLOW_MS, tools: { lookup: { readOnlyHint: true } } }),
        },
      });
      // What loading the CLI from source costs on this machine right now (tsx compiles on the fly; the
      // built package loads far faster): the gateway's own share is what initialize takes beyond it.
      const loadMs = await cliLoadMs(dir);
      const { client, transport, stderr, names } = desktopClient(dir);
      const spawned = performance.now();
      await client.connect(transport);
      const initializeMs = performance.now() - spawned;
      console.log(
        `serve --stdio: initialize answered ${Math.round(initializeMs)} ms after spawn; \`--version\` takes ${Math.round(loadMs)} ms; ` +
          `gateway share ${Math.round(initializeMs - loadMs)} ms (slow server: ${SLOW_MS} ms to start)`,
      );
      // It never waits for the slow server, and adds little to loading the CLI (generous bounds for a loaded CI machine).
      expect(initializeMs).toBeLessThan(SLOW_MS / 2);
      expect(initializeMs - loadMs).toBeLessThan(1_500);

      // Calls to the slow server's tools, made before it is up, wait for it (within their deadline).
      const byQualifiedName = settle(client.callTool({ name: 'slow/lookup', arguments: { key: 'a' } }, undefined, { timeout: 60_000 }));
      const byExposedName = settle(client.callTool({ name: 'lookup', arguments: { key: 'b' } }, undefined, { timeout: 60_000 }));

      const listed = performance.now();
      const first = await client.listTools();
      expect(first.tools.map((t) => t.name)).toEqual(['echo']);
      const called = performance.now();
      expect(text(await client.callTool({ name: 'echo', arguments: { text: 'now' } }))).toBe('now');
      console.log(`first tools/list ${Math.round(called - listed)} ms, fast echo ${Math.round(performance.now() - called)} ms`);
      expect(stderr()).toMatch(/starting: .*slow/);

      // The slow server joins with list_changed, and the waiting calls go through.
      expect(
        await eventually(() => names().includes('lookup'), SLOW_MS + 20_000),
        `no list_changed with the slow server's tools; log:\n${stderr()}`,
      ).toBe(true);
      expect(names()).toEqual(['echo', 'fault_ledger', 'lookup']);
      expect(JSON.parse(text(await (await byQualifiedName)()))).toMatchObject({ tool: 'lookup', key: 'a' });
      expect(JSON.parse(text(await (await byExposedName)()))).toMatchObject({ tool: 'lookup', key: 'b' });
      expect(stderr()).toMatch(/✔ slow: 2 tools in \d+ ms/);
      expect(stderr()).toContain('catalog: 3 tools from 2 servers');
    },
  );

  it(
    'finds a server that was down at start once it comes up, without any client listing, and logs its stderr',
    { timeout: 60_000 },
    async () => {
      const dir = join(tree.root, 'late');
      const flag = join(tree.root, `late-up-${marker}`);
      const late = stdioTestServer({ name: `late-${marker}`, tools: ['add'], resources: false, prompts: false });
      const script = `if [ -f ${flag} ]; then exec "$0" "$@"; else echo "late: database not reachable (${marker})" >&2; sleep 0.3; exit 1; fi`;
      tree.write('late/.mcp.json', {
        mcpServers: {
          fast: stdioTestServer({ name: `fast-${marker}`, tools: ['echo'], resources: false, prompts: false }),
          late: { command: 'sh', args: ['-c', script, late.command, ...late.args] },
        },
      });
      // This client never lists: it only counts list_changed notifications.
      const { client, transport, stderr, changed } = desktopClient(dir, ['--no-plugins'], false);
      await client.connect(transport);
      expect(await eventually(() => /✖ late: down/.test(stderr()), 15_000), stderr()).toBe(true);
      // The serve log quotes the failed server's stderr, as doctor does.
      expect(stderr()).toContain('late: database not reachable');
      expect(await eventually(() => /✔ fast/.test(stderr()), 15_000), stderr()).toBe(true);
      const before = changed();

      writeFileSync(flag, '');
      // No tools/list at all: the gateway reconnects in the background and announces the change.
      expect(await eventually(() => /✔ late: 1 tool/.test(stderr()), 30_000), `late never joined; log:\n${stderr()}`).toBe(true);
      expect(await eventually(() => changed() > before, 5_000), 'no list_changed for the late server').toBe(true);
      const result = await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } });
      expect(text(result)).toBe('5');
      expect(existsSync(flag)).toBe(true);
    },
  );
});
