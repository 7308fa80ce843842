import { serverTrusted, type CallContext, type HostView, type ToolEntry } from '@mcp-bridge/core';
import { RetryBudget } from './budget.js';
import { SAFE_METHODS } from './classify.js';
import { RETRY_DEFAULTS, type RetryMode, type RetryOptions, type RetryPolicyOptions } from './options.js';

/** The policy of one server + method (+ tool), resolved once and cached. */
export interface Policy {
  attempts: number;
  /** Whether a failure that may have executed can be retried. */
  safe: boolean;
  /** Whether the server's own word that it refused a request (429, Retry-After) is believed. */
  trusted: boolean;
  baseDelayMs: number;
  maxDelayMs: number;
  attemptTimeoutMs: number | undefined;
  budget: RetryBudget | undefined;
}

/**
 * Retry policies by tool entry (a new catalog version brings new entries, so they renew
 * themselves) or by server and method, and the retry budget of each server.
 */
export class RetryPolicies {
  readonly #o: RetryOptions;
  readonly #host: HostView;
  readonly #trusted: Set<string>;
  readonly #budgetOptions: ConstructorParameters<typeof RetryBudget>[0] | undefined;
  readonly #budgets = new Map<string, RetryBudget>();
  readonly #toolPolicies = new WeakMap<ToolEntry, Policy>();
  readonly #methodPolicies = new Map<string, Map<string, Policy>>();

  constructor(o: RetryOptions, host: HostView) {
    this.#o = o;
    this.#host = host;
    this.#trusted = new Set(o.trusted ?? []);
    this.#budgetOptions = o.budget === false ? undefined : { ...RETRY_DEFAULTS.budget, ...o.budget };
  }

  /** A server was added or removed: its config (trust, settings) may have changed. */
  forget(server: string): void {
    this.#methodPolicies.delete(server);
    this.#budgets.delete(server);
  }

  /** The budget of a server, once one of its calls could be retried. */
  budget(server: string): RetryBudget | undefined {
    return this.#budgets.get(server);
  }

  /** The policy of a call. */
  resolve(ctx: CallContext): Policy {
    const tool = ctx.method === 'tools/call' ? ctx.tool : undefined;
    if (tool) {
      let p = this.#toolPolicies.get(tool);
      if (!p) this.#toolPolicies.set(tool, (p = this.#build(ctx, tool)));
      return p;
    }
    let byMethod = this.#methodPolicies.get(ctx.server);
    if (!byMethod) this.#methodPolicies.set(ctx.server, (byMethod = new Map<string, Policy>()));
    let p = byMethod.get(ctx.method);
    if (!p) byMethod.set(ctx.method, (p = this.#build(ctx, undefined)));
    return p;
  }

  #budgetOf(server: string): RetryBudget | undefined {
    if (!this.#budgetOptions) return undefined;
    let b = this.#budgets.get(server);
    if (!b) this.#budgets.set(server, (b = new RetryBudget(this.#budgetOptions)));
    return b;
  }

  #build(ctx: CallContext, tool: ToolEntry | undefined): Policy {
    const o = this.#o;
    const trusted = this.#trusted;
    const server = o.servers?.[ctx.server];
    const perTool: RetryPolicyOptions | undefined = tool
      ? (o.tools?.[tool.name] ?? o.tools?.[`${tool.server}/${tool.upstreamName}`])
      : undefined;
    const pick = <K extends keyof RetryPolicyOptions>(key: K): RetryPolicyOptions[K] => perTool?.[key] ?? server?.[key] ?? o[key];
    const upstreams = this.#host.upstreams(ctx.server);
    // Core validates `settings` (typed); replicas share the entry's.
    const settings = upstreams[0]?.config.settings;
    const settingsTimeout = settings?.timeout;
    const mode: RetryMode = pick('mode') ?? RETRY_DEFAULTS.mode;
    let attempts = pick('attempts') ?? RETRY_DEFAULTS.attempts;
    // `settings.retries` in the server's config caps retries for that server.
    const retries = settings?.retries;
    if (retries !== undefined) attempts = Math.min(attempts, retries + 1);
    if (mode === 'never') attempts = 1;
    // Trusted by its config (every replica: core's one rule) or by this plugin's own `trusted` list.
    const listed = trusted.has(ctx.server);
    const isTrusted = listed || serverTrusted(upstreams);
    let safe: boolean;
    if (mode === 'always') safe = true;
    else if (mode === 'auto') {
      // The catalog's safety of the tool (an unlisted tool's is all false); this plugin's list believes what it claims.
      if (ctx.method === 'tools/call') safe = tool !== undefined && (tool.safety.idempotent || (listed && tool.safety.claimed.idempotent));
      else safe = SAFE_METHODS.has(ctx.method);
    } else safe = false;
    return {
      attempts,
      safe,
      trusted: isTrusted,
      baseDelayMs: pick('baseDelayMs') ?? RETRY_DEFAULTS.baseDelayMs,
      maxDelayMs: pick('maxDelayMs') ?? RETRY_DEFAULTS.maxDelayMs,
      // The server's `settings.timeout` is the default time limit of each request to it.
      attemptTimeoutMs:
        pick('attemptTimeoutMs') ?? (typeof settingsTimeout === 'number' && settingsTimeout > 0 ? settingsTimeout : undefined),
      budget: attempts > 1 ? this.#budgetOf(ctx.server) : undefined,
    };
  }
}
