import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { discover, watchConfigs } from '../src/index.js';
import { cmd, useTree } from './helpers.js';

const tree = useTree();

function lineIn(file: string, needle: string): number {
  const index = readFileSync(file, 'utf8')
    .split('\n')
    .findIndex((line) => line.includes(needle));
  if (index === -1) throw new Error(`"${needle}" not in ${file}`);
  return index + 1;
}

describe('bad files', () => {
  it('reports bad JSON with file and line; other files still load', async () => {
    const t = tree();
    const broken = t.write(
      join(t.app, '.mcp.json'),
      '{\n  "mcpServers": {\n    "a": { "command": "node" }\n    "b": { "command": "node" }\n  }\n}\n',
    );
    t.write(join(t.work, '.mcp.json'), { mcpServers: { parent: cmd('parent') } });
    t.write(join(t.home, '.cursor', 'mcp.json'), '');
    const result = await discover(t.options());
    expect(result.servers.map((s) => s.name)).toEqual(['parent']);
    expect(result.issues).toEqual([
      { file: broken, line: 4, column: 5, message: 'invalid JSON at line 4, column 5: comma expected' },
      { file: join(t.home, '.cursor', 'mcp.json'), line: 1, column: 1, message: 'invalid JSON at line 1, column 1: value expected' },
    ]);
    expect(result.files.find((f) => f.file === broken)).toEqual({
      file: broken,
      kind: 'project',
      status: 'invalid',
      servers: [],
      error: 'invalid JSON at line 4, column 5: comma expected',
    });
  });

  it('reports one issue for a bad ~/.claude.json though two sources read it', async () => {
    const t = tree();
    const file = t.write(join(t.home, '.claude.json'), '{ "mcpServers": { ');
    const result = await discover(t.options());
    expect(result.issues).toHaveLength(1);
    expect(result.issues[0]).toMatchObject({ file, line: 1 });
    expect(result.files.filter((f) => f.file === file).map((f) => [f.kind, f.status])).toEqual([
      ['claude-code-project', 'invalid'],
      ['claude-code-user', 'invalid'],
    ]);
  });

  it('names file, line, server and field of every wrong type; good servers and unknown fields still load', async () => {
    const t = tree();
    const file = t.write(join(t.app, '.mcp.json'), {
      mcpServers: {
        good: cmd('good', { alwaysAllow: ['read'], autoApprove: true, custom: { any: 'thing' } }),
        tagsString: cmd('t', { tags: 'db' }),
        slowTimeout: cmd('s', { settings: { timeout: '5s', retries: 1 } }),
        negRetries: cmd('r', { settings: { retries: -1 } }),
        trustedString: cmd('tr', { trusted: 'yes' }),
        enabledString: cmd('e', { enabled: 'no' }),
        sessionsWrong: cmd('se', { sessions: 'per-user' }),
        zeroReplicas: cmd('z', { replicas: 0 }),
        badReplica: { replicas: ['https://a.example/mcp', 42], headers: { k: 'v' } },
        badArg: { command: 'node', args: ['ok', 777] },
        noKind: { args: ['x'] },
        notObject: 'node server.js',
        urlReplicas: { replicas: ['https://a.example/mcp', { url: 'https://b.example/mcp', headers: { x: '1' } }], headers: { k: 'v' } },
      },
    });
    const result = await discover(t.options());
    expect(result.servers.map((s) => s.name)).toEqual(['good', 'urlReplicas']);
    expect(result.servers[0]?.config).toEqual(cmd('good', { alwaysAllow: ['read'], autoApprove: true, custom: { any: 'thing' } }));
    const at = (needle: string) => lineIn(file, needle);
    const issues = result.issues.map((i) => ({ ...i }));
    expect(issues).toEqual([
      { file, line: at('"tags": "db"'), server: 'tagsString', field: 'tags', message: 'expected array of strings, got string' },
      { file, line: at('"timeout": "5s"'), server: 'slowTimeout', field: 'settings.timeout', message: 'expected number (ms), got string' },
      { file, line: at('"retries": -1'), server: 'negRetries', field: 'settings.retries', message: 'must not be negative' },
      { file, line: at('"trusted": "yes"'), server: 'trustedString', field: 'trusted', message: 'expected boolean, got string' },
      { file, line: at('"enabled": "no"'), server: 'enabledString', field: 'enabled', message: 'expected boolean, got string' },
      {
        file,
        line: at('"sessions": "per-user"'),
        server: 'sessionsWrong',
        field: 'sessions',
        message: "expected 'auto', 'shared', 'per-client' or 'per-principal'",
      },
      {
        file,
        line: at('"replicas": 0'),
        server: 'zeroReplicas',
        field: 'replicas',
        message: 'expected an integer from 1 to 64 or a list of targets, got 0',
      },
      { file, line: at('42'), server: 'badReplica', field: 'replicas[1]', message: 'expected a URL or an object, got number' },
      { file, line: at('777'), server: 'badArg', field: 'args[1]', message: 'expected string, got number' },
      { file, line: at('"noKind"'), server: 'noKind', field: '', message: 'needs either command (stdio) or url (http)' },
      { file, line: at('"notObject"'), server: 'notObject', field: '', message: 'expected an object, got string' },
    ]);
    expect(result.skipped.every((s) => s.reason === 'invalid' && s.source.file === file)).toBe(true);
    expect(result.skipped).toHaveLength(11);
  });

  it('reports a servers object of the wrong shape with its field, and a top level that is not an object', async () => {
    const t = tree();
    const file = t.write(join(t.app, '.mcp.json'), { mcpServers: [cmd('a')] });
    const array = t.write(join(t.app, '.vscode', 'mcp.json'), '[]');
    const result = await discover(t.options());
    expect(result.issues).toEqual([
      { file, line: 2, field: 'mcpServers', message: 'expected an object of server entries, got array' },
      { file: array, line: 1, column: 1, message: 'expected a JSON object at the top level, got array' },
    ]);
  });

  it('never writes a user file: contents and mtimes are unchanged after discover and watch', async () => {
    const t = tree();
    const files = [
      t.write(join(t.home, '.claude.json'), { mcpServers: { a: { command: 'node', env: { T: '${MISSING}' } } }, projects: {} }),
      t.write(join(t.app, '.mcp.json'), '{ "mcpServers": { "b": { "command": "node", }, }, } // trailing'),
      t.write(join(t.app, '.vscode', 'mcp.json'), '{ "servers": { "c": { "url": "${URL}" } } }'),
      t.write(join(t.app, '.cursor', 'mcp.json'), '{ broken'),
    ];
    const before = files.map((f) => ({ text: readFileSync(f, 'utf8'), mtime: statSync(f).mtimeMs }));
    await discover(t.options({ env: { URL: 'https://x.example/mcp' } }));
    const watcher = await watchConfigs(t.options(), () => undefined, { debounceMs: 20 });
    await watcher.refresh();
    await watcher.close();
    expect(files.map((f) => ({ text: readFileSync(f, 'utf8'), mtime: statSync(f).mtimeMs }))).toEqual(before);
  });
});
