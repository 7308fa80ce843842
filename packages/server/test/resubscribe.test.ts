import { createBridge } from '@mcp-bridge/core';
import { conformanceServerCommand } from '@mcp-bridge/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { serveHttp } from '../src/index.js';
import { httpClient, textOf, waitFor } from './support/clients.js';

describe('resource subscriptions across an upstream restart', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => undefined);
  });

  it('a restarted stdio upstream is subscribed again, and the subscribed client keeps getting resources/updated', async () => {
    const bridge = createBridge({ servers: { fixture: conformanceServerCommand() }, reconnectMinMs: 20, reconnectMaxMs: 50, onError: () => undefined });
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
});
