import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { connect, type Connection, type McpServerLike, type ServerConfig } from '@mcp-bridge/transports';
import { createFixtureServer, textOf } from './helpers/fixture-server.js';
import { leakSnapshot } from './helpers/leaks.js';

describe('in-memory', () => {
  const connections: Connection[] = [];
  let checkLeaks: () => Promise<void>;

  beforeEach(() => {
    checkLeaks = leakSnapshot();
  });

  afterEach(async () => {
    await Promise.all(connections.splice(0).map((connection) => connection.close()));
    await checkLeaks();
  });

  async function open(...args: Parameters<typeof connect>): Promise<Connection> {
    const connection = await connect(...args);
    connections.push(connection);
    return connection;
  }

  it('calls a tool on a server factory, one fresh server per connect', async () => {
    const made: McpServer[] = [];
    const config = {
      type: 'in-memory' as const,
      server: () => {
        const server = createFixtureServer(`mem-${made.length}`);
        made.push(server);
        return server;
      },
    };
    const first = await open('mem', config);
    const second = await open('mem', config);
    expect(first.kind).toBe('in-memory');
    expect(made).toHaveLength(2);
    expect(textOf(await first.client.callTool({ name: 'whoami', arguments: {} }))).toBe('{"name":"mem-0"}');
    expect(textOf(await second.client.callTool({ name: 'whoami', arguments: {} }))).toBe('{"name":"mem-1"}');
  });

  it('accepts an async factory and a server instance, and close() closes both sides', async () => {
    const instance = createFixtureServer('instance');
    const connection = await open('mem', { type: 'in-memory', server: instance });
    expect(instance.isConnected()).toBe(true);
    await connection.close();
    await connection.closed;
    expect(instance.isConnected()).toBe(false);
    // Detached again, so the same instance can serve the next connect.
    const again = await open('mem', { type: 'in-memory', server: async () => instance });
    expect(textOf(await again.client.callTool({ name: 'echo', arguments: { text: 'again' } }))).toBe('again');
  });

  it('resolves closed when the server side goes away', async () => {
    const instance = createFixtureServer('instance');
    // `server` alone is read as in-memory (parseServerConfig infers it; the type asks for `type`).
    const connection = await open('mem', { server: instance } as unknown as ServerConfig);
    await instance.close();
    await connection.closed;
  });

  it('reports a failing factory with the server name', async () => {
    await expect(
      connect('mem', {
        type: 'in-memory',
        server: () => {
          throw new Error('no database');
        },
      }),
    ).rejects.toThrow('MCP server "mem": could not connect (in-memory): no database');
  });

  it('closes a server whose factory finishes after the deadline', async () => {
    let closed = false;
    const late: McpServerLike = {
      connect: async () => undefined,
      close: async () => void (closed = true),
    };
    await expect(
      connect(
        'slow',
        { type: 'in-memory', server: () => new Promise<McpServerLike>((resolve) => setTimeout(resolve, 150, late)) },
        { timeoutMs: 30 },
      ),
    ).rejects.toThrow('MCP server "slow": connect timed out after 30 ms (in-memory)');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(closed).toBe(true);
  });

  it('rejects invalid config and options before doing anything', async () => {
    await expect(connect('bad', { command: 'node', args: ['ok', 1] } as never)).rejects.toThrow(
      'MCP server "bad": invalid config: args[1]: expected string, got number',
    );
    await expect(connect('bad', { type: 'in-memory', server: createFixtureServer() }, { timeoutMs: -1 })).rejects.toThrow(
      'MCP server "bad": invalid connect options: timeoutMs: expected a positive number of ms',
    );
  });

  it('passes clientInfo and capabilities to the server', async () => {
    const instance = createFixtureServer('instance');
    const connection = await open(
      'mem',
      { type: 'in-memory', server: instance },
      {
        clientInfo: { name: 'my-host', version: '9.9.9' },
        capabilities: { roots: { listChanged: true } },
        timeoutMs: Number.POSITIVE_INFINITY,
      },
    );
    expect(connection.client.getServerVersion()?.name).toBe('instance');
    expect(instance.server.getClientVersion()).toEqual({ name: 'my-host', version: '9.9.9' });
    expect(instance.server.getClientCapabilities()).toEqual({ roots: { listChanged: true } });
  });
});
