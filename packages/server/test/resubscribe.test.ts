import { createBridge } from '@mcp-bridge/core';
import { pool } from '@mcp-bridge/pool';
import { conformanceServerCommand, createConformanceServer } from '@mcp-bridge/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { serveHttp } from '../src/index.js';
import { httpClient, textOf, waitFor } from './support/clients.js';

describe('resource subscriptions across an upstream restart', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => undefined);
  });

  it('a restarted stdio upstream is subscribed again, and the subscribed client keeps getting resources/updated', async () => {
    const bridge = createBridge({
      servers: { fixture: conformanceServerCommand() },
      reconnectMinMs: 20,
      reconnectMaxMs: 50,
      onError: () => undefined,
    });
    cleanups.push(() => bridge.close());
    const gateway = await serveHttp(bridge, { onError: () => undefined });
    cleanups.push(() => gateway.close());
    const watcher = await httpClient('watcher', gateway.url);
    cleanups.push(() => watcher.close());
    const other = await httpClient('other', gateway.url);
    cleanups.push(() => other.close());
    await watcher.client.subscribeResource({ uri: 'test://watched-resource' });
    expect(textOf(await other.client.callTool({ name: 'test_update_watched_resource', arguments: {} }))).toBe('updated');
    await waitFor('the first update', () => watcher.updated.length === 1);

    const up = bridge.upstreams('fixture')[0]!;
    const pid = bridge.connection(up)!.pid!;
    process.kill(pid, 'SIGKILL');
    await waitFor('the bridge to see the process die', () => bridge.connection(up) === undefined);
    // The next call opens a new process; the gateway subscribes it again before that call reaches it.
    await waitFor('the restarted upstream to be subscribed', async () => {
      const result = await other.client.callTool({ name: 'test_update_watched_resource', arguments: {} }).catch(() => undefined);
      return result !== undefined && textOf(result) === 'updated';
    });
    expect(bridge.connection(up)!.pid).not.toBe(pid);
    await waitFor('an update from the new process', () => watcher.updated.length >= 2);
    expect(watcher.updated.every((uri) => uri === 'test://watched-resource')).toBe(true);
    expect(other.updated).toEqual([]);
  });

  it('with a pool of connections, only the one that accepted a subscription holds it, and the unsubscribe reaches it', async () => {
    const bridge = createBridge({
      servers: { fixture: { type: 'in-memory', server: () => createConformanceServer() } },
      plugins: [pool({ maxSessions: 3, callsPerSession: 1 })],
      onError: () => undefined,
    });
    cleanups.push(() => bridge.close());
    // What each pooled connection is asked, by connection number.
    const sent: string[] = [];
    let connections = 0;
    bridge.on('connect:after', ({ connection }) => {
      const n = ++connections;
      const transport = connection.client.transport!;
      const send = transport.send.bind(transport);
      transport.send = (message, options) => {
        if ('method' in message && message.method.startsWith('resources/')) sent.push(`conn${n} ${message.method}`);
        return send(message, options);
      };
    });
    const gateway = await serveHttp(bridge, { onError: () => undefined });
    cleanups.push(() => gateway.close());
    const c = await httpClient('watcher', gateway.url);
    cleanups.push(() => c.close());
    await c.client.subscribeResource({ uri: 'test://watched-resource' });
    // Three calls at once: the pool opens more connections.
    await Promise.all([1, 2, 3].map(() => c.client.callTool({ name: 'test_wait_for_cancel', arguments: { ms: 200 } })));
    expect(connections).toBeGreaterThan(1);
    await c.client.unsubscribeResource({ uri: 'test://watched-resource' });
    expect(sent.filter((m) => m.includes('subscribe'))).toEqual(['conn1 resources/subscribe', 'conn1 resources/unsubscribe']);
  });
});
