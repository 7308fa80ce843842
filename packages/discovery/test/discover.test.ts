import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createBridge } from '@mcp-bridge/core';
import { bridgeServers, configLocations, discover, formatDiscoveryIssue, type DiscoveryResult } from '../src/index.js';
import { cmd, useTree, type Tree } from './helpers.js';

const tree = useTree();

/** 1-based line of the first line containing `needle`. */
function lineIn(text: string, needle: string): number {
  const index = text.split('\n').findIndex((line) => line.includes(needle));
  if (index === -1) throw new Error(`"${needle}" not in text`);
  return index + 1;
}

function server(result: DiscoveryResult, name: string) {
  const found = result.servers.find((s) => s.name === name);
  if (!found) throw new Error(`no server "${name}" in ${result.servers.map((s) => s.name).join(', ')}`);
  return found;
}

/** Every file kind at once, with overlapping names. */
function everyKind(t: Tree) {
  const claudeJson = {
    mcpServers: { shared: cmd('cc-user'), ccUser: cmd('cc-user-only') },
    projects: {
      [t.app]: { mcpServers: { ccLocal: cmd('cc-local'), shared: cmd('cc-local-shared'), dup: cmd('cc-local-dup') } },
      [t.work]: { mcpServers: { ccParent: cmd('cc-parent'), near: cmd('cc-parent-near') } },
      '/somewhere/else': { mcpServers: { elsewhere: cmd('elsewhere') } },
    },
  };
  return {
    claudeJson: t.write(join(t.home, '.claude.json'), claudeJson),
    desktop: t.write(join(t.home, '.config', 'Claude', 'claude_desktop_config.json'), {
      globalShortcut: '',
      mcpServers: { desktop: cmd('desktop'), shared: cmd('desktop-shared') },
    }),
    cursorUser: t.write(join(t.home, '.cursor', 'mcp.json'), { mcpServers: { cursorUser: { url: 'https://cursor.example/mcp' } } }),
    parent: t.write(join(t.work, '.mcp.json'), { mcpServers: { parentOnly: cmd('parent'), near: cmd('parent-near') } }),
    project: t.write(join(t.app, '.mcp.json'), { mcpServers: { near: cmd('app-near'), dup: cmd('app-dup') } }),
    cursorProject: t.write(join(t.app, '.cursor', 'mcp.json'), {
      mcpServers: { cursorProject: cmd('cursor-project'), near: cmd('cursor-near') },
    }),
    vscode: t.write(
      join(t.app, '.vscode', 'mcp.json'),
      `{
  // VS Code allows comments and trailing commas
  "inputs": [{ "type": "promptString", "id": "api-key", "description": "API key", "password": true }],
  "servers": {
    "vs": {
      "type": "stdio",
      "command": "node",
      "args": ["\${workspaceFolder}/server.js", "--name=\${workspaceFolderBasename}"],
      "env": { "API_KEY": "\${input:api-key}" },
    },
  },
}
`,
    ),
  };
}

describe('discover: locations and precedence', () => {
  it('reads every file kind and merges by precedence with provenance', async () => {
    const t = tree();
    const files = everyKind(t);
    const result = await discover(t.options({ inputs: { 'api-key': 'k-123' } }));

    expect(result.issues).toEqual([]);
    expect(result.servers.map((s) => s.name).sort()).toEqual(
      ['ccLocal', 'ccParent', 'ccUser', 'cursorProject', 'cursorUser', 'desktop', 'dup', 'near', 'parentOnly', 'shared', 'vs'].sort(),
    );
    expect(result.servers.map((s) => s.name)).not.toContain('elsewhere');

    // Nearest folder wins over its parent; the parent's entries are kept as shadowed.
    const near = server(result, 'near');
    expect(near.config['args']).toEqual(['app-near.js']);
    expect(near.source).toEqual({ file: files.project, kind: 'project', key: 'mcpServers.near', line: 3 });
    expect(near.shadowed).toEqual([
      { file: files.cursorProject, kind: 'cursor-project', key: 'mcpServers.near', line: expect.any(Number) },
      {
        file: files.claudeJson,
        kind: 'claude-code-project',
        key: `projects[${JSON.stringify(t.work)}].mcpServers.near`,
        line: expect.any(Number),
      },
      { file: files.parent, kind: 'project', key: 'mcpServers.near', line: expect.any(Number) },
    ]);

    // Claude Code's per-project entry beats the user scope and Claude Desktop.
    const shared = server(result, 'shared');
    expect(shared.config['args']).toEqual(['cc-local-shared.js']);
    expect(shared.source.kind).toBe('claude-code-project');
    expect(shared.source.key).toBe(`projects[${JSON.stringify(t.app)}].mcpServers.shared`);
    expect(shared.shadowed.map((p) => [p.kind, p.key])).toEqual([
      ['claude-code-user', 'mcpServers.shared'],
      ['claude-desktop', 'mcpServers.shared'],
    ]);
    // Within one folder, Claude Code's local scope is above .mcp.json (as in Claude Code).
    expect(server(result, 'dup').source.kind).toBe('claude-code-project');

    // VS Code: JSONC, `servers`, ${workspaceFolder} is the folder holding .vscode, ${input:id} from options.
    const vs = server(result, 'vs');
    expect(vs.source).toEqual({ file: files.vscode, kind: 'vscode', key: 'servers.vs', line: 5 });
    expect(vs.config).toEqual({
      type: 'stdio',
      command: 'node',
      args: [`${t.app}/server.js`, '--name=app'],
      env: { API_KEY: 'k-123' },
    });

    expect(server(result, 'desktop').source.kind).toBe('claude-desktop');
    expect(server(result, 'cursorUser').source).toMatchObject({ kind: 'cursor-user', file: files.cursorUser });

    // Provenance lines point at the entry's key.
    const claudeText = JSON.stringify(JSON.parse((await import('node:fs')).readFileSync(files.claudeJson, 'utf8')), null, 2);
    expect(server(result, 'ccUser').source.line).toBe(lineIn(claudeText, '"ccUser"'));

    // Every candidate is reported; found files are loaded with their server names.
    const loaded = result.files.filter((f) => f.status === 'loaded').map((f) => [f.kind, f.file, f.servers]);
    expect(loaded).toEqual(
      expect.arrayContaining([
        ['project', files.project, ['near', 'dup']],
        ['project', files.parent, ['parentOnly', 'near']],
        ['claude-code-project', files.claudeJson, ['ccLocal', 'shared', 'dup', 'ccParent', 'near']],
        ['claude-code-user', files.claudeJson, ['shared', 'ccUser']],
        ['vscode', files.vscode, ['vs']],
      ]),
    );
    expect(result.files.find((f) => f.file === join(t.cwd, '.mcp.json'))?.status).toBe('missing');

    // What comes out is what createBridge takes: no entry is rejected by core.
    const bridge = createBridge({ servers: bridgeServers(result) });
    expect(bridge.servers().sort()).toEqual(result.servers.map((s) => s.name).sort());
    expect(bridge.status().filter((s) => s.state === 'invalid')).toEqual([]);
  });

  it('stops the upward walk at root and never leaves it', async () => {
    const t = tree();
    t.write(join(t.work, '.mcp.json'), { mcpServers: { parent: cmd('p') } });
    const result = await discover(t.options({ root: t.app }));
    expect(result.servers).toEqual([]);
    expect(result.files.some((f) => f.file.startsWith(t.work + '/.'))).toBe(false);
    // Default: the walk goes to the filesystem root.
    const dirs = configLocations({ cwd: t.cwd, home: t.home })
      .filter((l) => l.kind === 'project')
      .map((l) => l.file);
    expect(dirs.at(-1)).toBe('/.mcp.json');
  });

  it('finds Claude Desktop in the per-OS folder', async () => {
    const t = tree();
    const entry = { mcpServers: { desk: cmd('desk') } };
    const mac = t.write(join(t.home, 'Library', 'Application Support', 'Claude', 'claude_desktop_config.json'), entry);
    const appdata = join(t.root, 'appdata');
    const win = t.write(join(appdata, 'Claude', 'claude_desktop_config.json'), entry);
    const winDefault = t.write(join(t.home, 'AppData', 'Roaming', 'Claude', 'claude_desktop_config.json'), entry);
    const xdg = join(t.root, 'xdg');
    const linuxXdg = t.write(join(xdg, 'Claude', 'claude_desktop_config.json'), entry);

    const sourceOf = async (extra: Parameters<Tree['options']>[0]) => server(await discover(t.options(extra)), 'desk').source.file;
    expect(await sourceOf({ platform: 'darwin' })).toBe(mac);
    expect(await sourceOf({ platform: 'win32', env: { APPDATA: appdata } })).toBe(win);
    expect(await sourceOf({ platform: 'win32' })).toBe(winDefault);
    expect(await sourceOf({ platform: 'linux', env: { XDG_CONFIG_HOME: xdg } })).toBe(linuxXdg);
    const linux = (await discover(t.options({ platform: 'linux' }))).files.find((f) => f.kind === 'claude-desktop');
    expect(linux).toEqual({
      file: join(t.home, '.config', 'Claude', 'claude_desktop_config.json'),
      kind: 'claude-desktop',
      status: 'missing',
      servers: [],
    });
  });

  it('reads Claude Code from CLAUDE_CONFIG_DIR when set', async () => {
    const t = tree();
    const custom = join(t.root, 'claude-config');
    const file = t.write(join(custom, '.claude.json'), { mcpServers: { moved: cmd('moved') } });
    t.write(join(t.home, '.claude.json'), { mcpServers: { ignored: cmd('ignored') } });
    const result = await discover(t.options({ env: { CLAUDE_CONFIG_DIR: custom } }));
    expect(result.servers.map((s) => [s.name, s.source.file])).toEqual([['moved', file]]);
  });
});

describe('discover: sources, explicit file, enabled and tags', () => {
  it('switches sources off one by one', async () => {
    const t = tree();
    const files = everyKind(t);
    const result = await discover(
      t.options({ sources: { project: false, 'claude-code-project': false, vscode: false }, inputs: { 'api-key': 'x' } }),
    );
    const names = result.servers.map((s) => s.name);
    expect(names).not.toContain('parentOnly');
    expect(names).not.toContain('ccLocal');
    expect(names).not.toContain('vs');
    // With the project files off, the next source of "near" wins.
    expect(server(result, 'near').source.kind).toBe('cursor-project');
    expect(server(result, 'shared').source).toMatchObject({ kind: 'claude-code-user', file: files.claudeJson });
    expect(
      result.files
        .filter((f) => f.status === 'disabled')
        .map((f) => f.kind)
        .sort(),
    ).toEqual(['claude-code-project', 'project', 'vscode']);
    expect(result.files.some((f) => f.kind === 'project' && f.status !== 'disabled')).toBe(false);
  });

  it('reads only the explicit file when one is given, unless sources switch others on', async () => {
    const t = tree();
    everyKind(t);
    const explicit = t.write(join(t.cwd, 'custom.json'), { mcpServers: { near: cmd('explicit-near'), mine: cmd('mine') } });
    const only = await discover(t.options({ configFile: 'custom.json' }));
    expect(only.servers.map((s) => s.name)).toEqual(['near', 'mine']);
    expect(server(only, 'near').source).toEqual({ file: explicit, kind: 'explicit', key: 'mcpServers.near', line: 3 });
    expect(only.files.filter((f) => f.status !== 'disabled')).toEqual([
      { file: explicit, kind: 'explicit', status: 'loaded', servers: ['near', 'mine'] },
    ]);

    // Switched back on, project files are read too, and the explicit file still wins.
    const withProject = await discover(t.options({ configFile: explicit, sources: { project: true } }));
    expect(withProject.servers.map((s) => s.name).sort()).toEqual(['dup', 'mine', 'near', 'parentOnly']);
    expect(server(withProject, 'near').source.kind).toBe('explicit');
    expect(server(withProject, 'near').shadowed.map((p) => p.file)).toEqual([join(t.app, '.mcp.json'), join(t.work, '.mcp.json')]);
  });

  it('accepts a VS Code shaped explicit file and reports a missing one', async () => {
    const t = tree();
    const vsShaped = t.write(join(t.root, 'vs.json'), { servers: { a: { type: 'http', url: 'https://a.example/mcp' } } });
    const result = await discover(t.options({ configFile: vsShaped }));
    expect(server(result, 'a').source.key).toBe('servers.a');
    expect(server(result, 'a').config).toEqual({ type: 'http', url: 'https://a.example/mcp' });

    const missing = await discover(t.options({ configFile: join(t.root, 'nope.json') }));
    expect(missing.servers).toEqual([]);
    expect(missing.issues).toEqual([{ file: join(t.root, 'nope.json'), message: 'config file not found' }]);
    expect(formatDiscoveryIssue(missing.issues[0]!)).toBe(`${join(t.root, 'nope.json')}: config file not found`);
  });

  it('honours enabled: false, disabled: true and tag filters; a nearer disabled entry switches a user server off', async () => {
    const t = tree();
    t.write(join(t.home, '.claude.json'), {
      mcpServers: { github: cmd('github', { tags: ['code'] }), db: cmd('db', { tags: ['data', 'sql'] }), notes: cmd('notes') },
    });
    const project = t.write(join(t.app, '.mcp.json'), {
      mcpServers: {
        github: { enabled: false },
        old: cmd('old', { disabled: true }),
        // A switched-off server may name variables that are not set: no issue for it.
        later: { command: 'node', env: { TOKEN: '${NOT_SET}' }, enabled: false, tags: ['code'] },
        web: {
          url: 'https://web.example/mcp',
          tags: ['code', 'web'],
          trusted: true,
          settings: { timeout: 5000, retries: 2 },
          alwaysAllow: ['x'],
        },
      },
    });
    const all = await discover(t.options());
    expect(all.issues).toEqual([]);
    expect(all.servers.map((s) => s.name)).toEqual(['web', 'db', 'notes']);
    expect(all.skipped).toEqual([
      { name: 'github', reason: 'disabled', source: { file: project, kind: 'project', key: 'mcpServers.github', line: 3 } },
      { name: 'old', reason: 'disabled', source: expect.objectContaining({ key: 'mcpServers.old' }) },
      { name: 'later', reason: 'disabled', source: expect.objectContaining({ key: 'mcpServers.later' }) },
    ]);
    // Extra fields and unknown ones are kept for the packages that read them.
    expect(server(all, 'web').config).toEqual({
      url: 'https://web.example/mcp',
      tags: ['code', 'web'],
      trusted: true,
      settings: { timeout: 5000, retries: 2 },
      alwaysAllow: ['x'],
    });
    expect(server(all, 'web').tags).toEqual(['code', 'web']);

    const code = await discover(t.options({ tags: ['code', 'sql'] }));
    expect(code.servers.map((s) => s.name)).toEqual(['web', 'db']);
    expect(code.skipped.filter((s) => s.reason === 'tag-filter').map((s) => s.name)).toEqual(['notes']);
  });

  it('matches Claude Code project keys with a trailing slash, and on Windows regardless of case and slashes', async () => {
    const t = tree();
    // Claude Code on Windows may store C:\Users\Me\Repo or c:/users/me/repo for the same folder.
    const windowsStyle = t.app.toUpperCase().replaceAll('/', '\\');
    t.write(join(t.home, '.claude.json'), {
      projects: { [windowsStyle]: { mcpServers: { win: cmd('win') } }, [`${t.app}/`]: { mcpServers: { slash: cmd('slash') } } },
    });
    const posix = await discover(t.options({ platform: 'linux' }));
    expect(posix.servers.map((s) => s.name)).toEqual(['slash']);
    const windows = await discover(t.options({ platform: 'win32' }));
    expect(windows.servers.map((s) => s.name).sort()).toEqual(['slash', 'win']);
  });
});
