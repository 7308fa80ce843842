import { describe, expect, it } from 'vitest';
import {
  formatConfigIssue,
  formatConfigPath,
  isTransportKind,
  parseServerConfig,
  parseServersConfig,
  TRANSPORT_KINDS,
  transportKindFromType,
  transportKindOf,
  type ConfigIssue,
} from '@mcp-bridge/transports';
import { createFixtureServer } from './helpers/fixture-server.js';

function issuesOf(raw: unknown, server = 's'): ConfigIssue[] {
  const result = parseServerConfig(server, raw);
  if (result.ok) throw new Error(`expected issues, got ${JSON.stringify(result.config)}`);
  return result.issues;
}

describe('parseServerConfig', () => {
  it('accepts the Claude Desktop stdio shape and keeps unknown fields', () => {
    const raw = {
      command: 'npx',
      args: ['-y', '@modelcontextprotocol/server-github'],
      env: { GITHUB_TOKEN: 'x' },
      cwd: '/tmp',
      disabled: false,
      alwaysAllow: ['search'],
    };
    const result = parseServerConfig('github', raw);
    expect(result).toEqual({ ok: true, kind: 'stdio', config: raw });
  });

  it('accepts HTTP entries and tells explicit from implicit type', () => {
    expect(parseServerConfig('a', { url: 'https://example.com/mcp' })).toEqual({
      ok: true,
      kind: 'streamable-http',
      config: { url: 'https://example.com/mcp' }, // no type: connect() may fall back to SSE
    });
    expect(parseServerConfig('b', { type: 'http', url: 'https://example.com/mcp', headers: { 'X-Key': 'k' } })).toEqual({
      ok: true,
      kind: 'streamable-http',
      config: { type: 'streamable-http', url: 'https://example.com/mcp', headers: { 'X-Key': 'k' } },
    });
  });

  it.each([
    ['stdio', 'stdio', { command: 'x' }],
    ['http', 'streamable-http', { url: 'http://h/mcp' }],
    ['streamable-http', 'streamable-http', { url: 'http://h/mcp' }],
    ['streamableHttp', 'streamable-http', { url: 'http://h/mcp' }],
    ['sse', 'sse', { url: 'http://h/sse' }],
  ])('maps type %s (and its transport alias) to %s', (type, kind, fields) => {
    for (const key of ['type', 'transport']) {
      const result = parseServerConfig('s', { ...fields, [key]: type });
      expect(result.ok && result.kind).toBe(kind);
      expect(result.ok && result.config).toEqual({ ...fields, type: kind });
    }
  });

  it('accepts in-memory servers and factories by reference', () => {
    const server = createFixtureServer();
    const factory = () => createFixtureServer();
    const a = parseServerConfig('a', { type: 'in-memory', server });
    const b = parseServerConfig('b', { transport: 'in-memory', server: factory });
    const c = parseServerConfig('c', { server });
    expect(a.ok && a.config['server']).toBe(server);
    expect(b.ok && b.config['server']).toBe(factory);
    expect(c.ok && c.kind).toBe('in-memory');
  });

  it('passes authProvider through untouched (a class instance keeps its methods)', () => {
    class Provider {
      tokens() {
        return undefined;
      }
    }
    const authProvider = new Provider();
    const result = parseServerConfig('s', { url: 'https://example.com/mcp', authProvider });
    expect(result.ok && result.config['authProvider']).toBe(authProvider);
  });

  it('points at the bad array element', () => {
    expect(issuesOf({ command: 'npx', args: ['-y', 2] }, 'github')).toEqual([
      { server: 'github', path: 'args[1]', message: 'expected string, got number' },
    ]);
  });

  it('points at bad env and header values, quoting keys that need it', () => {
    expect(issuesOf({ command: 'x', env: { PORT: 3000 } })).toEqual([
      { server: 's', path: 'env.PORT', message: 'expected string, got number' },
    ]);
    expect(issuesOf({ url: 'http://h', headers: { 'x-api-key': null } })).toEqual([
      { server: 's', path: 'headers["x-api-key"]', message: 'expected string, got null' },
    ]);
    expect(issuesOf({ command: 'x', env: ['A=1'] })).toEqual([
      { server: 's', path: 'env', message: 'expected object of strings, got array' },
    ]);
    expect(issuesOf({ command: 'x', args: '-y foo' })).toEqual([
      { server: 's', path: 'args', message: 'expected array of strings, got string' },
    ]);
  });

  it('reports every problem of an entry at once', () => {
    expect(issuesOf({ command: '', args: [1, 'ok', true], cwd: 7 }).map((issue) => `${issue.path}: ${issue.message}`)).toEqual([
      'command: must not be empty',
      'args[0]: expected string, got number',
      'args[2]: expected string, got boolean',
      'cwd: expected string, got number',
    ]);
  });

  it('rejects an invalid or non-http URL', () => {
    expect(issuesOf({ url: 'foo' })).toEqual([{ server: 's', path: 'url', message: "invalid URL 'foo'" }]);
    expect(issuesOf({ type: 'sse', url: 'ftp://h/x' })[0]?.message).toMatch(/unsupported URL scheme 'ftp:'/);
    expect(issuesOf({ type: 'sse', url: 42 })).toEqual([{ server: 's', path: 'url', message: 'expected string, got number' }]);
  });

  it('needs either command or url', () => {
    expect(issuesOf({ args: ['x'] })).toEqual([{ server: 's', path: '', message: 'needs either command (stdio) or url (http)' }]);
    expect(issuesOf({ command: 'x', url: 'http://h' })[0]?.message).toMatch(/has both command \(stdio\) and url \(http\)/);
  });

  it('explains a missing field for an explicit type', () => {
    expect(issuesOf({ type: 'stdio', url: 'http://h' })).toEqual([{ server: 's', path: 'command', message: 'required (string)' }]);
    expect(issuesOf({ type: 'sse', command: 'x' })).toEqual([{ server: 's', path: 'url', message: 'required (string)' }]);
    expect(issuesOf({ type: 'in-memory' })[0]).toMatchObject({ path: 'server', message: expect.stringMatching(/^required/) });
    expect(issuesOf({ type: 'in-memory', server: 'nope' })[0]?.message).toMatch(/expected an MCP server .* got string/);
  });

  it('rejects unknown and conflicting types', () => {
    expect(issuesOf({ type: 'websocket', url: 'ws://h' })).toEqual([
      {
        server: 's',
        path: 'type',
        message: "unknown transport 'websocket' (expected one of: stdio, http, streamable-http, streamableHttp, sse, in-memory)",
      },
    ]);
    expect(issuesOf({ type: 'sse', transport: 'stdio', url: 'http://h' })).toEqual([
      { server: 's', path: 'transport', message: "'stdio' conflicts with type 'sse'" },
    ]);
    expect(issuesOf({ type: 1, command: 'x' })).toEqual([{ server: 's', path: 'type', message: 'expected string, got number' }]);
    // Same kind spelled two ways is fine.
    expect(parseServerConfig('s', { type: 'http', transport: 'streamableHttp', url: 'http://h' }).ok).toBe(true);
  });

  it('rejects bearerToken next to another source of Authorization', () => {
    expect(issuesOf({ url: 'http://h', bearerToken: 't', headers: { authorization: 'Bearer u' } })).toEqual([
      { server: 's', path: 'bearerToken', message: 'set either bearerToken or headers.authorization, not both' },
    ]);
    expect(issuesOf({ url: 'http://h', bearerToken: 't', authProvider: { tokens: () => undefined } })[0]?.message).toBe(
      'set either bearerToken or authProvider, not both',
    );
  });

  it('checks numeric options', () => {
    expect(issuesOf({ command: 'x', stderrBufferBytes: -1 })).toEqual([
      { server: 's', path: 'stderrBufferBytes', message: 'must not be negative' },
    ]);
    expect(issuesOf({ command: 'x', shutdownGraceMs: '2s' })).toEqual([
      { server: 's', path: 'shutdownGraceMs', message: 'expected number, got string' },
    ]);
  });

  it('rejects entries that are not objects', () => {
    expect(issuesOf('npx foo')).toEqual([{ server: 's', path: '', message: 'expected object, got string' }]);
    expect(issuesOf(null)).toEqual([{ server: 's', path: '', message: 'expected object, got null' }]);
    expect(issuesOf([])).toEqual([{ server: 's', path: '', message: 'expected object, got array' }]);
  });
});

describe('parseServersConfig', () => {
  it('keeps the good entries when one is bad', () => {
    const { servers, issues } = parseServersConfig({
      github: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-github'] },
      broken: { command: 'npx', args: ['-y', 2] },
      remote: { url: 'https://example.com/mcp' },
      nothing: {},
    });
    expect(Object.keys(servers)).toEqual(['github', 'remote']);
    expect(issues).toEqual([
      { server: 'broken', path: 'args[1]', message: 'expected string, got number' },
      { server: 'nothing', path: '', message: 'needs either command (stdio) or url (http)' },
    ]);
  });

  it('treats "__proto__" as a plain server name', () => {
    const record = JSON.parse('{"__proto__": {"command": "x"}}') as unknown;
    const { servers } = parseServersConfig(record);
    expect(Object.keys(servers)).toEqual(['__proto__']);
  });

  it('reports a record that is not an object', () => {
    expect(parseServersConfig([1]).issues).toEqual([{ server: '', path: '', message: 'expected an object of server entries, got array' }]);
  });
});

describe('formatting', () => {
  it('formats paths and issues for people', () => {
    expect(formatConfigPath(['args', 1])).toBe('args[1]');
    expect(formatConfigPath(['env', 'API_KEY'])).toBe('env.API_KEY');
    expect(formatConfigPath(['headers', 'x-api-key'])).toBe('headers["x-api-key"]');
    expect(formatConfigIssue({ server: 'github', path: 'args[1]', message: 'expected string, got number' })).toBe(
      'server "github": args[1]: expected string, got number',
    );
    expect(formatConfigIssue({ server: 'x', path: '', message: 'needs either command (stdio) or url (http)' })).toBe(
      'server "x": needs either command (stdio) or url (http)',
    );
  });
});

describe('transport kinds', () => {
  it('tells kinds from aliases and configs', () => {
    expect(TRANSPORT_KINDS).toEqual(['stdio', 'streamable-http', 'sse', 'in-memory']);
    expect(isTransportKind('sse')).toBe(true);
    expect(isTransportKind('http')).toBe(false);
    expect(transportKindFromType('streamableHttp')).toBe('streamable-http');
    expect(transportKindFromType('toString')).toBeUndefined();
    expect(transportKindOf({ command: 'x' })).toBe('stdio');
    expect(transportKindOf({ url: 'http://h' })).toBe('streamable-http');
    expect(transportKindOf({ url: 'http://h', transport: 'sse' })).toBe('sse');
    expect(transportKindOf({ type: 'in-memory', server: createFixtureServer() })).toBe('in-memory');
    expect(() => transportKindOf({} as never)).toThrow('needs either command (stdio) or url (http)');
  });
});
