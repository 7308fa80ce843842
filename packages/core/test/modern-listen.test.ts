import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBridge, type Bridge } from '../src/index.js';
import { startModernHttpServer, type ModernHttpServer, type ModernServer } from '../../transports/test/helpers/modern-http.js';
// @ts-expect-error -- a plain .mjs fixture; no types
import { createModernServer } from '../../transports/test/fixtures/modern-lib.mjs';

const until = async (what: string, check: () => boolean | Promise<boolean>): Promise<void> => {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
};

describe('subscriptions/listen keeps a modern upstream fresh', () => {
  let http: ModernHttpServer;
  let bridge: Bridge;
  let late = false;
  const notifications: { method: string; params?: unknown }[] = [];

  beforeAll(async () => {
    http = await startModernHttpServer({
      legacy: 'reject',
      factory: () => {
        const server = createModernServer('live') as ModernServer;
        if (late) server.registerTool('late', { description: 'added later' }, () => ({ content: [{ type: 'text', text: 'late' }] }));
        return server;
      },
    });
    bridge = createBridge({ servers: { live: { url: http.url } } });
    bridge.on('notification', ({ method, params }) => void notifications.push({ method, params }));
    await bridge.start();
  });

  afterAll(async () => {
    await bridge?.close();
    await http?.close();
  });

  it('opens a listen stream for the list changes the server announces', async () => {
    await until('the listen request', () =>
      http.requests.some((r) => (r.body as { method?: string } | undefined)?.method === 'subscriptions/listen'),
    );
    const listen = http.requests.find((r) => (r.body as { method?: string } | undefined)?.method === 'subscriptions/listen')!;
    expect((listen.body as { params: { notifications: unknown } }).params.notifications).toMatchObject({
      toolsListChanged: true,
      promptsListChanged: true,
      resourcesListChanged: true,
    });
  });

  it('a tools list change refreshes the catalog', async () => {
    expect((await bridge.listTools()).tools.map((t) => t.name)).not.toContain('late');
    late = true;
    // Published until the listen stream is up and the catalog re-listed.
    await until('the new tool in the catalog', async () => {
      http.notify.toolsChanged();
      return bridge.tools().some((t) => t.upstreamName === 'late');
    });
    expect(notifications.some((n) => n.method === 'notifications/tools/list_changed')).toBe(true);
  });

  it('resources/subscribe joins the listen filter and updates reach the bridge', async () => {
    await bridge.request('live', 'resources/subscribe', { uri: 'mem://readme' });
    await until('the resource update', () => {
      http.notify.resourceUpdated('mem://readme');
      return notifications.some((n) => n.method === 'notifications/resources/updated');
    });
    const update = notifications.find((n) => n.method === 'notifications/resources/updated')!;
    expect(update.params).toMatchObject({ uri: 'mem://readme' });
    const listens = http.requests.filter((r) => (r.body as { method?: string } | undefined)?.method === 'subscriptions/listen');
    expect((listens.at(-1)!.body as { params: { notifications: unknown } }).params.notifications).toMatchObject({
      resourceSubscriptions: ['mem://readme'],
    });
    expect(http.requests.some((r) => (r.body as { method?: string } | undefined)?.method === 'resources/subscribe')).toBe(false);
  });
});
