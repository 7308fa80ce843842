import type { CallContext, HostView, ListView, PluginApi, Principal, ToolEntry } from '@mcp-bridge/core';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { AccessDeniedError } from './errors.js';
import type { accessOptionsSchema } from './options.js';
import { AccessPolicy, type Subject, type Verdict } from './rules.js';

/** The plugin's options after parsing. */
export type ResolvedAccessOptions = ReturnType<typeof accessOptionsSchema.parse>;

/** Methods refused for a server denied as a whole (a server-wide deny rule). */
const SERVER_METHODS = ['prompts/get', 'resources/read', 'resources/subscribe', 'completion/complete'] as const;
/** Lists filtered: tools by tool rules; prompts and resources of servers denied as a whole. */
const LIST_KEYS: Record<string, string> = {
  'prompts/list': 'prompts',
  'resources/list': 'resources',
  'resources/templates/list': 'resourceTemplates',
};

type Override = { name?: string; description?: string };
/** server → upstream name → override. */
type Overrides = Map<string, Map<string, Override>>;
/** server → alias → upstream name. */
type Aliases = Map<string, Map<string, string>>;
type SubjectOf = (server: string, tool: string | undefined) => Subject;

/** Installs the access rules on a bridge: list filters, call guards, per-caller views and `bridge.access`. */
export function setupAccess(api: PluginApi, opts: ResolvedAccessOptions): void {
  const policy = new AccessPolicy({ allow: opts.allow, deny: opts.deny }, opts.callers, opts.anonymous, opts.requireScopes);
  const { overrides, aliases } = toolOverrides(opts.tools);
  const bridge: HostView = api.host;
  const subject = subjects(api, bridge);
  filterCatalogLists(api, policy, subject, overrides);
  guardRequests(api, policy, subject, aliases);

  const upstreamOf = (entry: ToolEntry): string => aliases.get(entry.server)?.get(entry.upstreamName) ?? entry.upstreamName;
  const toolVisible = (entry: ToolEntry, caller: string | undefined, principal?: Principal): boolean =>
    policy.check(subject(entry.server, upstreamOf(entry)), caller, principal).allowed;

  // Per-caller views of the shared catalog: only when there are per-caller (or anonymous) rules,
  // so a bridge with global rules alone lists at no extra cost.
  if (policy.perCaller || opts.anonymous !== undefined) {
    const serverVisible = (entry: { server: string }, view: ListView): boolean =>
      policy.check(subject(entry.server, undefined), view.caller, view.principal).allowed;
    api.filterList('tools', (entry, view) => toolVisible(entry, view.caller, view.principal));
    api.filterList('prompts', serverVisible);
    api.filterList('resources', serverVisible);
    api.filterList('templates', serverVisible);
  }
  api.expose('access', {
    isAllowed: (server, tool, caller) => policy.check(subject(server, aliases.get(server)?.get(tool) ?? tool), caller).allowed,
    serverVisible: (server, caller) => policy.check(subject(server, undefined), caller).allowed,
    visibleTools: (caller) =>
      bridge
        .tools()
        .filter((e) => toolVisible(e, caller))
        .map((e) => e.tool),
  });
}

/** The `tools` option (`server/tool` keys) by server, and the renamed tools' aliases. */
function toolOverrides(tools: Record<string, Override>): { overrides: Overrides; aliases: Aliases } {
  const overrides: Overrides = new Map();
  const aliases: Aliases = new Map();
  for (const [key, override] of Object.entries(tools)) {
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
  return { overrides, aliases };
}

/** What a rule is matched against: server, tool and the server's tags. */
function subjects(api: PluginApi, bridge: HostView): SubjectOf {
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
  return (server, tool) => ({ server, tool, tags: tagsOf(server) });
}

/** Lists entering the catalog: global rules only (the catalog is shared by every caller). */
function filterCatalogLists(api: PluginApi, policy: AccessPolicy, subject: SubjectOf, overrides: Overrides): void {
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
        tools.push(
          o
            ? {
                ...tool,
                ...(o.name !== undefined ? { name: o.name } : {}),
                ...(o.description !== undefined ? { description: o.description } : {}),
              }
            : tool,
        );
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
}

/** Tool calls and server-wide requests: refused with `AccessDeniedError` naming the rule. */
function guardRequests(api: PluginApi, policy: AccessPolicy, subject: SubjectOf, aliases: Aliases): void {
  const refuse = (ctx: CallContext, what: string, tool: string | undefined, verdict: Verdict & { allowed: false }): Promise<never> =>
    Promise.reject(
      new AccessDeniedError(`${what} is not allowed${ctx.caller === undefined ? '' : ` for caller "${ctx.caller}"`}: ${verdict.reason}`, {
        plugin: api.plugin,
        data: { server: ctx.server, ...(tool === undefined ? {} : { tool }), caller: ctx.caller, reason: verdict.reason },
      }),
    );

  api.use({
    phase: 'policy',
    order: 'before',
    methods: ['tools/call'],
    handle(ctx, next) {
      const called = String(ctx.params.name);
      const upstreamName = aliases.get(ctx.server)?.get(called) ?? called;
      const verdict = policy.check(subject(ctx.server, upstreamName), ctx.caller, ctx.principal);
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
      const catalog = ctx.origin === 'catalog';
      const verdict = policy.check(subject(ctx.server, undefined), catalog ? undefined : ctx.caller, catalog ? undefined : ctx.principal);
      if (!verdict.allowed) return refuse(ctx, `${ctx.method} on server "${ctx.server}"`, undefined, verdict);
      return next();
    },
  });
}
