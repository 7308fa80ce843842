/**
 * Issue 13 item 2: core's request bounds (`requestLimits`) are set from the gateway's config file, next
 * to `plugins` and `naming`; a bad value is the user's config error naming the field.
 */
import { randomUUID } from 'node:crypto';
import { eventually, processesWith, stdioTestServer } from '@mcp-bridge/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempTree, type Tree } from './helpers.js';

const marker = `limits-${randomUUID().slice(0, 8)}`;
let tree: Tree;
const server = () => ({ alpha: stdioTestServer({ name: `alpha-${marker}`, tools: ['echo'], resources: false, prompts: false }) });

beforeAll(() => {
  tree = tempTree();
  tree.write('project/tight.json', { mcpServers: server(), requestLimits: { maxDepth: 4 } });
  tree.write('project/bad.json', { mcpServers: server(), requestLimits: { maxDepth: 0 } });
});

afterAll(async () => {
  expect(
    await eventually(() => processesWith(marker).length === 0),
    `leftover upstream processes: ${processesWith(marker).join(', ')}`,
  ).toBe(true);
  tree.remove();
});

describe('requestLimits in the config file', () => {
  it('bounds the calls: past maxDepth the call fails naming the limit and the path; within it, it passes', async () => {
    // params (1) → arguments (2) → p (3) → a (4) → b (5).
    const [deep, flat] = await Promise.all([
      runCli(tree, ['--config', 'tight.json', 'call', 'alpha/echo', '--no-plugins', '--args', '{"text":"x","p":{"a":{"b":{}}}}']),
      runCli(tree, ['--config', 'tight.json', 'call', 'alpha/echo', '--no-plugins', '--args', '{"text":"flat","p":{"a":1}}']),
    ]);
    expect(deep.code).not.toBe(0);
    expect(deep.stderr).toContain('nested deeper than the limit of 4 levels (requestLimits.maxDepth), at params.arguments.p.a.b (depth 5)');
    expect(flat.code, flat.stderr).toBe(0);
    expect(flat.stdout.trim()).toBe('flat');
  });

  it('a bad value exits 2 naming the field', async () => {
    const r = await runCli(tree, ['--config', 'bad.json', 'call', 'alpha/echo', '--no-plugins', '--args', '{"text":"x"}']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/requestLimits\.maxDepth/);
  });
});
