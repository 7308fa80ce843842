import type { PluginApi, ToolEntry } from '@mcp-bridge/core';
import type { ResultCache, Scope } from './result-cache.js';
import { own, type Rules } from './rules.js';
import type { InvalidateTarget, InvalidationReason } from './types.js';

/** What each upstream notification invalidates. */
const NOTIFICATION_SCOPES: Record<string, readonly string[]> = {
  'notifications/tools/list_changed': ['tools/list'],
  'notifications/prompts/list_changed': ['prompts/list', 'prompts/get'],
  'notifications/resources/list_changed': ['resources/list', 'resources/templates/list'],
};

const LIST_METHODS = ['tools/list', 'prompts/list', 'resources/list', 'resources/templates/list'] as const;

/** Invalidates `scope` and tells `cache:invalidate` listeners (with the public `target`) why. */
export type Invalidate = (scope: Scope, target: InvalidateTarget, reason: InvalidationReason) => number;

/**
 * Keeps the cache in step with its upstreams: list_changed and resources/updated notifications,
 * reconnects (maybe to a new version), servers added or removed, tools that stop being cacheable.
 */
export function watchUpstreams(api: PluginApi, engine: ResultCache, rules: Rules, invalidate: Invalidate): void {
  const bridge = api.host;
  // Upstream changes. The notification listener runs before core's catalog re-list reaches the
  // pipeline (core starts it first, but it awaits a connection before sending), so the re-list
  // never gets the old answer.
  api.on('notification', ({ server, method, params }) => {
    if (method === 'notifications/resources/updated') {
      const uri = params?.uri;
      if (typeof uri === 'string')
        invalidate({ server, method: 'resources/read', sub: uri }, { server, method: 'resources/read', uri }, 'notification');
      return;
    }
    for (const m of own(NOTIFICATION_SCOPES, method) ?? []) invalidate({ server, method: m }, { server, method: m }, 'notification');
  });

  // A reconnect may be to a new version of the server: its lists may differ.
  const connected = new WeakSet<object>();
  api.on('connect:after', ({ server, upstream }) => {
    if (connected.has(upstream)) {
      for (const m of LIST_METHODS) invalidate({ server, method: m }, { server, method: m }, 'reconnect');
    }
    connected.add(upstream);
  });

  // Trust comes from upstream configs; read-only hints from the catalog: decide again when either changes.
  api.on('upstream:add', () => rules.reset());
  api.on('upstream:remove', ({ server }) => {
    rules.reset();
    // One replica leaving keeps the server (and its answers); the server leaving takes them along.
    if (!bridge.servers().includes(server)) invalidate({ server }, { server }, 'catalog');
  });
  api.on('catalog:changed', ({ server, kinds }) => {
    rules.reset();
    if (!kinds.includes('tools') || bridge.state !== 'ready') return;
    // A tool that is no longer read-only (or no longer listed) must stop being answered from memory.
    const tools = new Map<string, ToolEntry>();
    for (const t of bridge.tools()) if (t.server === server) tools.set(t.upstreamName, t);
    const removed = engine.dropWhere(
      (s, m, sub) =>
        s === server && m === 'tools/call' && (sub === undefined || !tools.has(sub) || rules.forTool(tools.get(sub)!) === null),
    );
    if (removed > 0 && api.hasListeners('cache:invalidate'))
      api.emit('cache:invalidate', { server, method: 'tools/call', reason: 'catalog', removed });
  });
}
