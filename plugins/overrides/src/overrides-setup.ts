import { NotFoundError, type PluginApi } from '@mcp-bridge/core';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { ResolvedOverridesOptions } from './options.js';
import { rewriteList, type CallPlan, type ServerPlan } from './rewrite.js';

type Override = ResolvedOverridesOptions['tools'][string];

declare module '@mcp-bridge/core' {
  interface CallState {
    /** Fixed arguments of an overridden tool, injected after validation by `@mcp-bridge/plugin-overrides`. */
    overridesFixed?: Readonly<Record<string, unknown>>;
  }
}

/** The `tools` option by server, then upstream tool name. */
function byServer(tools: ResolvedOverridesOptions['tools']): Map<string, Map<string, Override>> {
  const out = new Map<string, Map<string, Override>>();
  for (const [key, override] of Object.entries(tools)) {
    const slash = key.indexOf('/');
    const server = key.slice(0, slash);
    if (!out.has(server)) out.set(server, new Map());
    out.get(server)!.set(key.slice(slash + 1), override);
  }
  return out;
}

/** The answer to a call that sets a fixed argument: an `isError` result the model can act on. */
function fixedRefusal(tool: string, keys: readonly string[]): CallToolResult {
  const list = keys.map((k) => `"${k}"`).join(', ');
  return {
    isError: true,
    content: [
      {
        type: 'text',
        text: `The argument${keys.length === 1 ? '' : 's'} ${list} of tool "${tool}" ${keys.length === 1 ? 'is' : 'are'} set by the gateway and cannot be given. The call was not sent; call again without ${keys.length === 1 ? 'it' : 'them'}.`,
      },
    ],
  };
}

/** Installs the list rewrite, the call mapping and injection, and the fixed-argument injection after validation. */
export function setupOverrides(api: PluginApi, opts: ResolvedOverridesOptions): void {
  const overrides = byServer(opts.tools);
  const plans = new Map<string, ServerPlan>();

  api.use({
    // `policy`, unordered: outside pinning (`after`, which must see the upstream's own definitions),
    // inside access (`before`). What this returns is what the catalog lists.
    phase: 'policy',
    methods: ['tools/list'],
    async handle(ctx, next) {
      const result = await next();
      const mine = overrides.get(ctx.server);
      if (!mine || !Array.isArray(result?.tools)) return result;
      const { tools, plan } = rewriteList(ctx.server, result.tools, mine);
      // One page of a paged list adds to what earlier pages planned.
      const before = ctx.params.cursor === undefined ? undefined : plans.get(ctx.server);
      plans.set(ctx.server, before ? merge(before, plan) : plan);
      return { ...result, tools };
    },
  });

  api.use({
    phase: 'policy',
    methods: ['tools/call'],
    handle(ctx, next) {
      const plan = plans.get(ctx.server);
      if (plan === undefined) return next();
      const called = String(ctx.params.name);
      const p: CallPlan | undefined = plan.byName.get(called);
      if (p === undefined) {
        if (plan.gone.has(called))
          return Promise.reject(
            new NotFoundError(`no tool named "${ctx.tool?.name ?? called}"`, { data: { server: ctx.server, tool: called } }),
          );
        return next();
      }
      const args = (ctx.params.arguments ?? {}) as Record<string, unknown>;
      if (p.fixed) {
        const sent = p.fixedKeys.filter((k) => Object.hasOwn(args, k));
        if (sent.length > 0) return Promise.resolve(fixedRefusal(ctx.tool?.name ?? called, sent));
        ctx.state.overridesFixed = p.fixed;
      }
      let final = args;
      if (p.defaults) {
        for (const k of p.defaultKeys) if (!Object.hasOwn(args, k)) final = { ...final, [k]: p.defaults[k] };
      }
      if (final !== args || p.upstreamName !== called) ctx.params = { ...ctx.params, name: p.upstreamName, arguments: final };
      return next();
    },
  });

  api.use({
    // Inside validation (`validate`, unordered): the model's arguments and the defaults were checked
    // against the listed schema, and the fixed values against the tool's own schema when it was listed.
    phase: 'validate',
    order: 'after',
    methods: ['tools/call'],
    handle(ctx, next) {
      const fixed = ctx.state.overridesFixed;
      if (fixed === undefined) return next();
      ctx.params = { ...ctx.params, arguments: { ...(ctx.params.arguments as Record<string, unknown> | undefined), ...fixed } };
      return next();
    },
  });

  api.on('upstream:remove', ({ server }) => void plans.delete(server));
}

function merge(a: ServerPlan, b: ServerPlan): ServerPlan {
  return { byName: new Map([...a.byName, ...b.byName]), gone: new Set([...a.gone, ...b.gone]) };
}
