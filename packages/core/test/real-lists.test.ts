import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createBridge, type BridgeEvents } from '../src/index.js';
import { useBridges } from './fixtures.js';

const dir = fileURLToPath(new URL('./fixtures/real-lists/', import.meta.url));
const rawServer = fileURLToPath(new URL('./fixtures/raw-list-server.mjs', import.meta.url));
const stdio = (file: string) => ({ command: process.execPath, args: [rawServer, `${dir}${file}`] });

interface Saved {
  tools?: { name?: unknown }[];
  prompts?: { name?: unknown }[];
  resources?: unknown[];
  resourceTemplates?: unknown[];
}
const saved = (file: string): Saved => JSON.parse(readFileSync(`${dir}${file}`, 'utf8')) as Saved;
const GOOD = readdirSync(dir).filter((f) => f.endsWith('.json') && f !== 'server-broken.json');

describe("real servers' tools/list answers, served raw over stdio", () => {
  const bridges = useBridges();

  it.each(GOOD)('lists every tool, prompt and resource of %s', async (file) => {
    const warnings: BridgeEvents['catalog:warning'][] = [];
    const bridge = bridges.track(createBridge({ servers: { s: stdio(file) } }));
    bridge.on('catalog:warning', (w) => warnings.push(w));
    await bridge.start();
    const want = saved(file);
    const { tools } = await bridge.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(want.tools!.map((t) => String(t.name)).sort());
    for (const tool of tools) expect(tool.inputSchema.type).toBe('object');
    expect((await bridge.listPrompts()).prompts).toHaveLength(want.prompts?.length ?? 0);
    expect((await bridge.listResources()).resources).toHaveLength(want.resources?.length ?? 0);
    expect((await bridge.listResourceTemplates()).resourceTemplates).toHaveLength(want.resourceTemplates?.length ?? 0);
    expect(warnings.filter((w) => w.action === 'dropped')).toEqual([]);
    // A repaired tool is callable like any other.
    const first = tools[0]!;
    expect(await bridge.callTool(first.name, {})).toMatchObject({ content: [{ type: 'text', text: `ran ${first.name}` }] });
  });

  it('repairs the GitLab-like schemas without type "object" and says so, once per change', async () => {
    const warnings: BridgeEvents['catalog:warning'][] = [];
    const bridge = bridges.track(createBridge({ servers: { gitlab: stdio('server-gitlab-like.json') } }));
    bridge.on('catalog:warning', (w) => warnings.push(w));
    await bridge.start();
    expect(warnings).toHaveLength(9);
    expect(warnings[0]).toEqual({
      server: 'gitlab',
      kind: 'tools',
      name: 'create_or_update_file',
      problem: 'inputSchema.type: missing, set to "object"',
      action: 'repaired',
    });
    const { tools } = await bridge.listTools({ refresh: true });
    expect(tools).toHaveLength(9);
    // Properties and required survive the repair.
    expect(tools.find((t) => t.name === 'create_issue')!.inputSchema).toMatchObject({ type: 'object', required: ['project_id', 'title'] });
    expect(warnings).toHaveLength(9);
  });

  it('drops only the entries no repair can save, naming server, entry and problem', async () => {
    const warnings: BridgeEvents['catalog:warning'][] = [];
    const bridge = bridges.track(createBridge({ servers: { broken: stdio('server-broken.json') } }));
    bridge.on('catalog:warning', (w) => warnings.push(w));
    await bridge.start();
    expect((await bridge.listTools()).tools.map((t) => t.name).sort()).toEqual(['no_schema_at_all', 'ok_tool']);
    expect((await bridge.listPrompts()).prompts.map((p) => p.name)).toEqual(['good_prompt']);
    expect(warnings).toHaveLength(4);
    expect(warnings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          server: 'broken',
          kind: 'tools',
          name: 'string_schema',
          action: 'dropped',
          problem: expect.stringMatching(/^inputSchema\.type: /),
        }),
        expect.objectContaining({
          server: 'broken',
          kind: 'tools',
          name: '#2',
          action: 'dropped',
          problem: expect.stringMatching(/^name: /),
        }),
        expect.objectContaining({ server: 'broken', kind: 'tools', name: 'no_schema_at_all', action: 'repaired' }),
        expect.objectContaining({ server: 'broken', kind: 'prompts', name: '#1', action: 'dropped' }),
      ]),
    );
    expect(bridge.status()[0]!.lists.tools.status).toBe('ok');
  });
});
