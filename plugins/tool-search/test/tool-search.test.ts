import * as core from '@mcp-bridge/core';
import { createBridge, type Bridge, type CallOptions } from '@mcp-bridge/core';
import { cache } from '@mcp-bridge/cache';
import { accessRules } from '@mcp-bridge/plugin-access';
import { describePluginConformance, inMemoryFaultServer } from '@mcp-bridge/testing';
import { validation } from '@mcp-bridge/validation';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { toolSearch, type ListedHit, type ToolSearchOptions } from '../src/index.js';

// The suite checks that each host lists its `lookup` tool: the point of this plugin is to list the
// meta-tools instead, so `lookup` is an always-listed tool here.
describePluginConformance(() => toolSearch({ alwaysList: ['lookup'] }), { core, vitest: { describe, it } });

const open: Bridge[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((b) => b.close()));
});

/** Two trusted fault servers (tools that echo and count executions), access rules, validation, the cache and tool search. */
async function start(options: ToolSearchOptions = {}) {
  const issues = inMemoryFaultServer({
    name: 'issues',
    tools: { search_issues: { readOnlyHint: true }, create_issue: {}, delete_repository: { destructiveHint: true } },
  });
  const files = inMemoryFaultServer({ name: 'files', tools: { read_file: { readOnlyHint: true }, write_file: {} } });
  const bridge = createBridge({
    servers: { issues: { ...issues, trusted: true }, files: { ...files, trusted: true } },
    plugins: [
      accessRules({ deny: ['issues/delete_repository'], callers: { intern: { deny: ['files/write_file'] } } }),
      validation(),
      cache({ jitter: 0, tools: { 'files/read_file': true } }),
      toolSearch(options),
    ],
    onError: () => undefined,
  });
  open.push(bridge);
  await bridge.start();
  return { bridge, issues: issues.ledger, files: files.ledger };
}

const text = (r: CallToolResult): string => (r.content[0]?.type === 'text' ? r.content[0].text : '');
const hits = (r: CallToolResult): ListedHit[] => (r.structuredContent as { tools: ListedHit[] }).tools;

describe('toolSearch through a bridge', () => {
  it('lists the meta-tools and the always-listed tools instead of the catalog; tools stay callable by name', async () => {
    const { bridge } = await start({ alwaysList: ['read_file'] });
    expect((await bridge.listTools()).tools.map((t) => t.name)).toEqual(['search_tools', 'describe_tool', 'call_tool', 'read_file']);
    // An always-listed tool hidden by access stays hidden.
    const { bridge: other } = await start({ alwaysList: ['write_file'] });
    expect((await other.listTools({ caller: 'intern' })).tools.map((t) => t.name)).toEqual(['search_tools', 'describe_tool', 'call_tool']);
    expect(text(await bridge.callTool('create_issue', { key: 'direct' }))).toContain('"execution":1');
  });

  it('finds tools by what the task says, with arguments, and filters by server', async () => {
    const { bridge } = await start();
    const found = hits(await bridge.callTool('search_tools', { query: 'open a new ticket' }));
    expect(found[0]).toMatchObject({ name: 'create_issue', server: 'issues', arguments: ['key', 'text'] });
    const onlyFiles = hits(await bridge.callTool('search_tools', { query: 'write', server: 'files', limit: 1 }));
    expect(onlyFiles.map((h) => h.name)).toEqual(['write_file']);
    const bad = await bridge.callTool('search_tools', { query: 'x', server: 'nope' });
    expect(bad.isError).toBe(true);
    expect(text(bad)).toBe('search_tools: no server named "nope" (servers: files, issues)');
    expect((await bridge.callTool('search_tools', {})).isError).toBe(true);

    const described = await bridge.callTool('describe_tool', { name: 'write_file' });
    expect(described.structuredContent).toMatchObject({ name: 'write_file', server: 'files', inputSchema: { type: 'object' } });
  });

  it('runs calls through the whole pipeline: validation answers bad arguments exactly as for a direct call', async () => {
    const { bridge, issues } = await start();
    const direct = await bridge.callTool('create_issue', { key: 42 });
    const viaMeta = await bridge.callTool('call_tool', { name: 'create_issue', arguments: { key: 42 } });
    expect(viaMeta.isError).toBe(true);
    expect(viaMeta).toEqual(direct);
    expect(text(viaMeta)).toMatch(/key/);
    expect(issues.executions('42')).toBe(0);
    expect(text(await bridge.callTool('call_tool', { name: 'create_issue', arguments: { key: 'k1' } }))).toContain('"execution":1');
    expect(issues.executions('k1')).toBe(1);
  });

  it('goes through the cache: a read-only call made through the meta-tool and then directly runs once', async () => {
    const { bridge, files } = await start();
    const first = await bridge.callTool('call_tool', { name: 'read_file', arguments: { key: 'a.txt' } });
    const second = await bridge.callTool('call_tool', { name: 'read_file', arguments: { key: 'a.txt' } });
    const direct = await bridge.callTool('read_file', { key: 'a.txt' });
    expect(second).toEqual(first);
    expect(direct.content).toEqual(first.content);
    expect(files.executions('a.txt')).toBe(1);
  });

  it('hides what access rules hide: neither found, described nor callable, per caller', async () => {
    const { bridge, files, issues } = await start();
    const names = (caller: string | undefined, query: string) => bridge.toolSearch.search(query, { limit: 10, caller }).map((h) => h.name);
    expect(names(undefined, 'remove the repository')).not.toContain('delete_repository');
    expect(names('intern', 'save a file')).not.toContain('write_file');
    expect(names('admin', 'save a file')).toContain('write_file');

    const as = (caller: string): CallOptions => ({ caller });
    const refused = await bridge.callTool('call_tool', { name: 'write_file', arguments: { key: 'w' } }, as('intern'));
    expect(refused).toMatchObject({ isError: true });
    expect(text(refused)).toBe('call_tool: no tool named "write_file"; find tools with search_tools');
    expect((await bridge.callTool('describe_tool', { name: 'write_file' }, as('intern'))).isError).toBe(true);
    expect((await bridge.callTool('call_tool', { name: 'delete_repository', arguments: {} })).isError).toBe(true);
    expect(files.executions('w')).toBe(0);
    expect(issues.tool('delete_repository').received).toBe(0);
    // The same call for a caller allowed to make it goes through.
    expect(text(await bridge.callTool('call_tool', { name: 'write_file', arguments: { key: 'w' } }, as('admin')))).toContain(
      '"execution":1',
    );
  });

  it('re-indexes when the catalog changes', async () => {
    const { bridge } = await start();
    expect(bridge.toolSearch.search('book a meeting room')).toEqual([]);
    await bridge.addServer('calendar', inMemoryFaultServer({ name: 'calendar', tools: { book_meeting_room: {} } }));
    await core.wait(0);
    expect(bridge.toolSearch.search('book a meeting room').map((h) => h.name)).toEqual(['book_meeting_room']);
    await bridge.removeServer('calendar');
    expect(bridge.toolSearch.search('book a meeting room')).toEqual([]);
  });

  it('refuses bad options, naming the plugin and the field', async () => {
    const bridge = createBridge({ plugins: [toolSearch({ names: { search: 'has space' } })] });
    open.push(bridge);
    await expect(bridge.start()).rejects.toThrow(/@mcp-bridge\/plugin-tool-search.*names\.search/);
    const loop = await start();
    expect(text(await loop.bridge.callTool('call_tool', { name: 'call_tool', arguments: {} }))).toBe(
      'call_tool: call "call_tool" directly, not through call_tool',
    );
  });
});
