import { parsePluginOptions, type Bridge, type CallContext, type ListView, type Plugin, type ToolEntry } from '@mcp-bridge/core';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import pkg from '../package.json' with { type: 'json' };
import { AccessDeniedError } from './errors.js';
import { accessOptionsSchema, type AccessOptions } from './options.js';
import { AccessPolicy, type Subject, type Verdict } from './rules.js';

/** What the plugin attaches to the bridge as `bridge.access`. */
export interface AccessControl {
  /** Whether `caller` may call a server's tool (upstream name). */
  isAllowed(server: string, tool: string, caller?: string): boolean;
  /**
   * The catalog's tools this caller may see (exposed form): what `bridge.listTools({ caller })`
   * lists (the plugin hides denied tools per caller through `api.filterList`).
   */
  visibleTools(caller?: string): Tool[];
}

declare module '@mcp-bridge/core' {
  interface BridgeExtensions {
    access: AccessControl;
  }
}

/** Methods refused for a server denied as a whole (a server-wide deny rule). */
const SERVER_METHODS = ['prompts/get', 'resources/read', 'resources/subscribe', 'completion/complete'] as const;
/** Lists filtered: tools by tool rules; prompts and resources of servers denied as a whole. */
const LIST_KEYS: Record<string, string> = { 'prompts/list': 'prompts', 'resources/list': 'resources', 'resources/templates/list': 'resourceTemplates' };

/**
 * Access rules: allow and deny servers and tools by name, glob and server tag, globally and per
 * caller; rename tools and override their descriptions. Denied tools disappear from lists (global
 * rules from the shared catalog; per-caller rules from the list built for that caller, through
 * `api.filterList`) and every denied call is refused with an {@link AccessDeniedError} that says which rule.
 *
 * Occupies the `policy` phase (`order: 'before'`): refused calls never reach validation, cache or
 * an upstream.
 *
 * @example
 * ```ts
 * const bridge = createBridge({
 *   servers,
 *   plugins: [
 *     accessRules({
 *       deny: ['*\/delete_*', 'tag:experimental'],
 *       tools: { 'github/create_issue': { name: 'new_issue', description: 'Open an issue in our tracker' } },
 *       callers: { 'agent-*': { allow: ['github/search_*'] } },
 *     }),
 *   ],
 * });
 * ```
 */
export function accessRules(options: AccessOptions = {}): Plugin {
  return {
    name: pkg.name,
    version: pkg.version,
    core: '^0.1.0',
    setup(api) {
      const opts = parsePluginOptions(api.plugin, accessOptionsSchema, options);
      const policy = new AccessPolicy({ allow: opts.allow, deny: opts.deny }, opts.callers, opts.anonymous);
      // server → upstream name → override, and server → alias → upstream name.
      const overrides = new Map<string, Map<string, { name?: string; description?: string }>>();
      const aliases = new Map<string, Map<string, string>>();
      for (const [key, override] of Object.entries(opts.tools)) {
        const slash = key.indexOf('/');
        const server = key.slice(0, slash);
        const tool = key.slice(slash + 1);
        if (!overrides.has(server)) overrides.set(server, new Map());
        overrides.get(server)!.set(tool, override);
        if (override.name !== undefined && override.name !== tool) {
          if (!aliases.has(server)) aliases.set(server, new Map());
          aliases.get(server)!.set(override.name, tool);
        }
      }
      const bridge: Bridge = api.bridge;
      // Tags per server, read once: list filters check every entry of every list.
      const tagCache = new Map<string, readonly string[]>();
      const forget = ({ server }: { server: string }): void => void tagCache.delete(server);
      api.on('upstream:add', forget);
      api.on('upstream:remove', forget);
      const tagsOf = (server: string): readonly string[] => {
        let tags = tagCache.get(server);
        if (tags === undefined) {
          const raw = (bridge.upstreams(server)[0]?.config as { tags?: unknown } | undefined)?.tags;
          tags = Array.isArray(raw) ? raw.filter((t): t is string => typeof t === 'string') : [];
          tagCache.set(server, tags);
        }
        return tags;
      };
      const subject = (server: string, tool: string | undefined): Subject => ({ server, tool, tags: tagsOf(server) });
      const refuse = (ctx: CallContext, what: string, tool: string | undefined, verdict: Verdict & { allowed: false }): Promise<never> =>
        Promise.reject(
          new AccessDeniedError(`${what} is not allowed${ctx.caller === undefined ? '' : ` for caller "${ctx.caller}"`}: ${verdict.reason}`, {
            plugin: api.plugin,
            data: { server: ctx.server, ...(tool === undefined ? {} : { tool }), caller: ctx.caller, reason: verdict.reason },
          }),
        );

      // Lists entering the catalog: global rules only (the catalog is shared by every caller).
      api.use({
        phase: 'policy',
        order: 'before',
        methods: ['tools/list'],
        async handle(ctx, next) {
          const result = (await next()) as { tools?: Tool[] };
          if (!Array.isArray(result?.tools)) return result;
          const renamed = overrides.get(ctx.server);
          const tools: Tool[] = [];
          for (const tool of result.tools) {
            if (!policy.global(subject(ctx.server, tool.name)).allowed) continue;
            const o = renamed?.get(tool.name);
            tools.push(o ? { ...tool, ...(o.name !== undefined ? { name: o.name } : {}), ...(o.description !== undefined ? { description: o.description } : {}) } : tool);
          }
          return { ...result, tools };
        },
      });

      api.use({
        phase: 'policy',
        order: 'before',
        methods: Object.keys(LIST_KEYS),
        async handle(ctx, next) {
          const result = await next();
          if (policy.global(subject(ctx.server, undefined)).allowed) return result;
          const key = LIST_KEYS[ctx.method]!;
          return { ...(result as Record<string, unknown>), [key]: [] };
        },
      });

      api.use({
        phase: 'policy',
        order: 'before',
        methods: ['tools/call'],
        handle(ctx, next) {
          const called = String(ctx.params.name);
          const upstreamName = aliases.get(ctx.server)?.get(called) ?? called;
          const verdict = policy.check(subject(ctx.server, upstreamName), ctx.caller);
          if (!verdict.allowed) return refuse(ctx, `tool "${ctx.tool?.name ?? called}" of server "${ctx.server}"`, upstreamName, verdict);
          // The upstream only knows the tool by its own name.
          if (upstreamName !== called) ctx.params = { ...ctx.params, name: upstreamName };
          return next();
        },
      });

      api.use({
        phase: 'policy',
        order: 'before',
        methods: SERVER_METHODS,
        handle(ctx, next) {
          // The host's own refreshes are not a caller's; server-wide rules still apply to them.
          const verdict = policy.check(subject(ctx.server, undefined), ctx.origin === 'catalog' ? undefined : ctx.caller);
          if (!verdict.allowed) return refuse(ctx, `${ctx.method} on server "${ctx.server}"`, undefined, verdict);
          return next();
        },
      });

      const upstreamOf = (entry: ToolEntry): string => aliases.get(entry.server)?.get(entry.upstreamName) ?? entry.upstreamName;
      const toolVisible = (entry: ToolEntry, caller: string | undefined): boolean => policy.check(subject(entry.server, upstreamOf(entry)), caller).allowed;

      // Per-caller views of the shared catalog: only when there are per-caller (or anonymous) rules,
      // so a bridge with global rules alone lists at no extra cost.
      if (Object.keys(opts.callers).length > 0 || opts.anonymous !== undefined) {
        const serverVisible = (entry: { server: string }, view: ListView): boolean => policy.check(subject(entry.server, undefined), view.caller).allowed;
        api.filterList('tools', (entry, view) => toolVisible(entry, view.caller));
        api.filterList('prompts', serverVisible);
        api.filterList('resources', serverVisible);
        api.filterList('templates', serverVisible);
      }
      api.expose('access', {
        isAllowed: (server, tool, caller) => policy.check(subject(server, aliases.get(server)?.get(tool) ?? tool), caller).allowed,
        visibleTools: (caller) => bridge.tools().filter((e) => toolVisible(e, caller)).map((e) => e.tool),
      });
    },
  };
}
