import { serverTrusted, type CallContext, type HostView, type ToolEntry } from '@mcp-bridge/core';
import { DEFAULT_METHODS, type CachePolicy, type CachePolicyInput, type CacheScope, type ResolvedCacheOptions } from './options.js';
import type { CacheCounters, StatsBook } from './stats.js';

/** How one kind of call is cached, resolved once and reused for every call of that kind. */
export interface Rule {
  readonly server: string;
  readonly method: string;
  /** Upstream tool name for `tools/call` (what invalidation by tool matches). */
  readonly tool: string | undefined;
  readonly ttl: number;
  readonly scope: CacheScope;
  readonly staleWhileRevalidate: number;
  readonly staleIfError: number;
  /** Counters of the server, and of the tool for `tools/call`. */
  readonly serverStats: CacheCounters;
  readonly toolStats: CacheCounters | undefined;
}

/**
 * `record[key]` when `record` has it as an own property. Option records are plain objects keyed by
 * names that come from upstreams (servers, tools, methods): a plain lookup would find
 * Object.prototype's members for names like `constructor`, `toString` or `__proto__`.
 */
export function own<T>(record: Readonly<Partial<Record<string, T>>> | undefined, key: string): T | undefined {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}

/** "Not cached", memoised like a rule. */
const NONE = null;

function normalise(input: CachePolicyInput | undefined): CachePolicy | undefined {
  if (input === undefined || input === false) return undefined;
  if (input === true) return {};
  if (typeof input === 'number') return { ttl: input };
  return input;
}

/**
 * Decides which calls are cached and how, from the options, the catalog and the servers' configs.
 * Decisions are memoised per server and method, and per catalog tool entry (the catalog makes new
 * entries when a list changes, so a tool that stops being read-only is re-decided); `reset()` drops
 * them when servers come and go.
 */
export class Rules {
  readonly #options: ResolvedCacheOptions;
  readonly #stats: StatsBook;
  readonly #bridge: HostView;
  readonly #trusted: ReadonlySet<string>;
  #methods = new Map<string, Rule | null>();
  #tools = new WeakMap<ToolEntry, Rule | null>();

  constructor(bridge: HostView, options: ResolvedCacheOptions, stats: StatsBook) {
    this.#bridge = bridge;
    this.#options = options;
    this.#stats = stats;
    this.#trusted = new Set(options.trusted);
  }

  /** Forget every decision (servers added or removed, catalog changed). */
  reset(): void {
    this.#methods = new Map();
    this.#tools = new WeakMap();
  }

  /** The rule of a call, or `null` when the call must not be cached. */
  of(ctx: CallContext): Rule | null {
    if (ctx.method === 'tools/call') {
      const tool = ctx.tool;
      if (tool === undefined) return NONE;
      let rule = this.#tools.get(tool);
      if (rule === undefined) {
        rule = this.#toolRule(tool);
        // Unlisted tools get a fresh entry per call: nothing to remember them by, and never cached.
        if (tool.listed) this.#tools.set(tool, rule);
      }
      return rule;
    }
    const key = `${ctx.server}\u0000${ctx.method}`;
    let rule = this.#methods.get(key);
    if (rule === undefined) {
      rule = this.#methodRule(ctx.server, ctx.method);
      this.#methods.set(key, rule);
    }
    return rule;
  }

  /** The rule of a tool, from its catalog entry (exposed for invalidation checks). */
  forTool(tool: ToolEntry): Rule | null {
    return this.#toolRule(tool);
  }

  /**
   * Trusted means the server's annotations are believed: `trusted: true` in its config (every
   * replica's), in the plugin's `trusted` list, or in its `servers` entry.
   */
  trusted(server: string): boolean {
    return this.#listedTrusted(server) || serverTrusted(this.#bridge.upstreams(server));
  }

  /** Trusted by this plugin's own options (the `trusted` list or the server's entry), whatever its config says. */
  #listedTrusted(server: string): boolean {
    return this.#trusted.has(server) || own(this.#options.servers, server)?.trusted === true;
  }

  #methodRule(server: string, method: string): Rule | null {
    const s = own(this.#options.servers, server);
    if (s?.enabled === false) return NONE;
    const methods: Readonly<Record<string, CachePolicyInput | undefined>> = this.#options.methods;
    const input =
      own(s?.methods, method) ?? own(methods, method) ?? ((DEFAULT_METHODS as readonly string[]).includes(method) ? true : undefined);
    return this.#build(server, method, undefined, normalise(input), 'shared', undefined);
  }

  #toolRule(tool: ToolEntry): Rule | null {
    // Only read-only tools of trusted servers are safe to replay: the catalog's safety (an unlisted
    // tool's is all false), or what the tool claims when this plugin's options trust its server.
    if (!tool.safety.readOnly && !(tool.safety.claimed.readOnly && this.#listedTrusted(tool.server))) return NONE;
    const s = own(this.#options.servers, tool.server);
    if (s?.enabled === false) return NONE;
    // Own entries only: a tool named `constructor` or `toString` must not pick up Object.prototype's members.
    const input =
      own(s?.tools, tool.upstreamName) ??
      own(this.#options.tools, tool.name) ??
      own(this.#options.tools, `${tool.server}/${tool.upstreamName}`);
    const policy = normalise(input);
    return policy === undefined
      ? NONE
      : this.#build(tool.server, 'tools/call', tool.upstreamName, policy, 'private', this.#stats.tool(tool.name));
  }

  #build(
    server: string,
    method: string,
    tool: string | undefined,
    policy: CachePolicy | undefined,
    defaultScope: CacheScope,
    toolStats: CacheCounters | undefined,
  ): Rule | null {
    if (policy === undefined) return NONE;
    const s = own(this.#options.servers, server);
    const ttl = policy.ttl ?? s?.ttl ?? this.#options.ttl;
    // keyv stores a ttl of 0 forever; here 0 means "do not store".
    if (ttl <= 0) return NONE;
    return {
      server,
      method,
      tool,
      ttl,
      scope: policy.scope ?? defaultScope,
      staleWhileRevalidate: policy.staleWhileRevalidate ?? s?.staleWhileRevalidate ?? this.#options.staleWhileRevalidate,
      staleIfError: policy.staleIfError ?? s?.staleIfError ?? this.#options.staleIfError,
      serverStats: this.#stats.server(server),
      toolStats,
    };
  }
}

/** Whether any tool could be cached at all (otherwise `tools/call` skips the cache middleware entirely). */
export function anyToolPolicy(options: ResolvedCacheOptions): boolean {
  const enabled = (input: CachePolicyInput): boolean => normalise(input) !== undefined;
  if (Object.values(options.tools).some(enabled)) return true;
  return Object.values(options.servers).some((s) => Object.values(s.tools ?? {}).some(enabled));
}

/** Methods some server may cache (the middleware is only registered for these). */
export function cachedMethods(options: ResolvedCacheOptions): string[] {
  const out = new Set<string>(DEFAULT_METHODS);
  for (const [m, input] of Object.entries(options.methods)) if (normalise(input) !== undefined) out.add(m);
  for (const s of Object.values(options.servers))
    for (const [m, input] of Object.entries(s.methods ?? {})) if (normalise(input) !== undefined) out.add(m);
  // A default method turned off everywhere still costs nothing but a rule lookup: keep it simple.
  if (anyToolPolicy(options)) out.add('tools/call');
  return [...out];
}

/** The longest time any entry can be kept (ttl plus stale windows): older invalidation marks can be pruned. */
export function longestKeep(options: ResolvedCacheOptions): number {
  const ttls: number[] = [options.ttl];
  const swr: number[] = [options.staleWhileRevalidate];
  const sie: number[] = [options.staleIfError];
  const add = (input: CachePolicyInput | undefined): void => {
    const p = normalise(input);
    if (p?.ttl !== undefined) ttls.push(p.ttl);
    if (p?.staleWhileRevalidate !== undefined) swr.push(p.staleWhileRevalidate);
    if (p?.staleIfError !== undefined) sie.push(p.staleIfError);
  };
  for (const input of Object.values(options.methods)) add(input);
  for (const input of Object.values(options.tools)) add(input);
  for (const s of Object.values(options.servers)) {
    add({ ttl: s.ttl, staleWhileRevalidate: s.staleWhileRevalidate, staleIfError: s.staleIfError });
    for (const input of Object.values(s.methods ?? {})) add(input);
    for (const input of Object.values(s.tools ?? {})) add(input);
  }
  return Math.max(...ttls) + Math.max(...swr, ...sie);
}
