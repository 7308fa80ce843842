import { definePlugin, PluginError, type CallContext, type Next, type Plugin, type PluginApi } from '@mcp-bridge/core';
import pkg from '../package.json' with { type: 'json' };
import { checkArguments, type ArgumentVerdict, type Refusal } from './check.js';
import { RuleError, Rules, type Plan } from './compile.js';
import { guardOptionsSchema, type GuardOptions, type ResolvedGuardOptions } from './options.js';
import { refusalResult, screenResult } from './results.js';
import { showPointer } from './targets.js';

/** A call the guard refused (it was not sent). */
export interface GuardRefusedEvent {
  readonly ctx: CallContext;
  readonly server: string;
  readonly tool: string;
  /** Where: `arguments` (the call was not sent) or `result` (a result withheld for a secret). */
  readonly where: 'arguments' | 'result';
  /** The rule: `paths`, `urls`, `limits.*`, `deny`, `secrets`, `maxScanChars`. */
  readonly rule: string;
  /** JSON pointer of the value (`''`: the whole arguments). */
  readonly argument: string;
  /** The text the model received. */
  readonly message: string;
}

/** Secrets redacted from a call's arguments (before sending) or its result. */
export interface GuardRedactedEvent {
  readonly ctx: CallContext;
  readonly server: string;
  readonly tool: string;
  readonly where: 'arguments' | 'result';
  /** Each redaction: where (JSON pointer) and which secretlint rule found it. Never the secret. */
  readonly findings: readonly { readonly pointer: string; readonly rule: string }[];
}

/** Counts of what the guard did (`bridge.guard.stats()`). */
export interface GuardStats {
  checked: number;
  refused: number;
  redactedArguments: number;
  redactedResults: number;
  withheldResults: number;
}

/** What the plugin attaches to the bridge as `bridge.guard`. */
export interface GuardControl {
  /** Counts since start. */
  stats(): GuardStats;
}

declare module '@mcp-bridge/core' {
  interface BridgeEvents {
    /** A call refused by a guard rule (never sent), or a result withheld for a secret. */
    'guard:refused': GuardRefusedEvent;
    /** Secrets redacted from arguments or a result. */
    'guard:redacted': GuardRedactedEvent;
  }
  interface BridgeExtensions {
    guard: GuardControl;
  }
}

/**
 * Guards `tools/call` beyond the schema: path arguments confined to allowed roots (after `..`,
 * `~` and symlinks), URL arguments to allowed schemes and hosts and never to loopback, private or
 * link-local addresses (every DNS answer checked), size limits, deny patterns (proven ReDoS-free
 * at start), and secrets (secretlint's recommended rules) in arguments and results, blocked or
 * redacted. A refused call is answered with an `isError` result naming the argument and the rule,
 * and is never sent upstream. Rules are compiled at start (a bad rule fails `start()` naming its
 * option path) and resolved per tool once. Occupies the `policy` phase.
 *
 * @example
 * ```ts
 * import { createBridge } from '@mcp-bridge/core';
 * import { guard } from '@mcp-bridge/plugin-guard';
 *
 * const bridge = createBridge({
 *   servers: { files: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-filesystem', '/srv/data'] } },
 *   plugins: [
 *     guard({
 *       paths: { roots: ['/srv/data'], detect: true },
 *       urls: { detect: true, hosts: ['*.example.com'] },
 *       limits: { maxArgumentBytes: 1_000_000 },
 *       secrets: { arguments: 'block', results: 'redact' },
 *     }),
 *   ],
 * });
 * ```
 */
export const guard: (options?: GuardOptions) => Plugin = definePlugin({
  name: pkg.name,
  version: pkg.version,
  core: '^0.1.0',
  options: guardOptionsSchema,
  setup(api, opts) {
    let rules: Rules;
    try {
      rules = new Rules(opts);
    } catch (error) {
      if (error instanceof RuleError) throw new PluginError('PLUGIN_OPTIONS_INVALID', api.plugin, `invalid options: ${error.message}`);
      throw error;
    }
    new GuardPlugin(api, opts, rules).install();
  },
});

class GuardPlugin {
  readonly #stats: GuardStats = { checked: 0, refused: 0, redactedArguments: 0, redactedResults: 0, withheldResults: 0 };

  constructor(
    readonly api: PluginApi,
    readonly opts: ResolvedGuardOptions,
    readonly rules: Rules,
  ) {}

  install(): void {
    const { api } = this;
    api.use({ phase: 'policy', methods: ['tools/call'], handle: (ctx, next) => this.#handle(ctx, next) });
    // Plans are keyed by exposed name: after a catalog change a name may mean another server's tool.
    const precompile = () => {
      this.rules.clear();
      for (const entry of api.host.tools()) this.rules.planOf(entry);
    };
    api.on('host:ready', precompile);
    api.on('catalog:changed', ({ kinds }) => {
      if (kinds.includes('tools') && api.host.state === 'ready') precompile();
    });
    api.expose('guard', { stats: () => ({ ...this.#stats }) });
  }

  #handle(ctx: CallContext, next: Next): Promise<unknown> {
    if (ctx.origin === 'probe') return next();
    const tool = ctx.tool?.name ?? String(ctx.params.name);
    const plan = ctx.tool ? this.rules.planOf(ctx.tool) : this.rules.plan(ctx.server, tool);
    if (!plan) return next();
    this.#stats.checked++;
    if (!plan.checksArguments) return this.#afterCall(ctx, tool, plan, next);
    const verdict = checkArguments(ctx.params.arguments ?? {}, plan, this.opts.maxScanChars);
    return verdict instanceof Promise
      ? verdict.then((v) => this.#proceed(ctx, tool, plan, v, next))
      : this.#proceed(ctx, tool, plan, verdict, next);
  }

  #proceed(ctx: CallContext, tool: string, plan: Plan, verdict: ArgumentVerdict, next: Next): Promise<unknown> {
    if (verdict.refused) return Promise.resolve(this.#refuse(ctx, tool, verdict.refused));
    if (verdict.redactions.length > 0) {
      ctx.params = { ...ctx.params, arguments: verdict.args };
      this.#stats.redactedArguments++;
      this.#redacted(ctx, tool, 'arguments', verdict.redactions);
    }
    return this.#afterCall(ctx, tool, plan, next);
  }

  #afterCall(ctx: CallContext, tool: string, plan: Plan, next: Next): Promise<unknown> {
    const action = plan.secretsInResults;
    if (action === 'off') return next();
    return next().then(async (result) => {
      const verdict = await screenResult(result, action, this.opts.maxScanChars);
      if (verdict.kind === 'clean') return result;
      if (verdict.kind === 'redacted') {
        this.#stats.redactedResults++;
        this.#redacted(ctx, tool, 'result', verdict.findings);
        return verdict.result;
      }
      this.#stats.withheldResults++;
      const why =
        verdict.rule === 'maxScanChars'
          ? `is longer than can be scanned for secrets (${this.opts.maxScanChars} characters)`
          : `contains what looks like a secret (${verdict.rule})`;
      const message = `The result of tool "${tool}" was withheld by the guard: ${verdict.pointer} ${why}. The tool did run; do not call it again for the same data.`;
      this.#emitRefused(ctx, tool, 'result', verdict.rule === 'maxScanChars' ? 'maxScanChars' : 'secrets', verdict.pointer, message);
      return refusalResult(message, { tool, server: ctx.server, rule: 'secrets', argument: verdict.pointer, where: 'result' });
    });
  }

  #refuse(ctx: CallContext, tool: string, refusal: Refusal): unknown {
    this.#stats.refused++;
    const what = refusal.argument === '' ? 'the arguments' : `argument "${showPointer(refusal.argument)}"`;
    const message =
      `Call to tool "${tool}" refused by the guard (rule: ${refusal.rule}): ${what} ${refusal.reason}. ` +
      'The call was not sent to the server; change the arguments and call again.';
    this.#emitRefused(ctx, tool, 'arguments', refusal.rule, refusal.argument, message);
    return refusalResult(message, { tool, server: ctx.server, rule: refusal.rule, argument: refusal.argument, where: 'arguments' });
  }

  #emitRefused(ctx: CallContext, tool: string, where: 'arguments' | 'result', rule: string, argument: string, message: string): void {
    if (this.api.hasListeners('guard:refused'))
      this.api.emit('guard:refused', { ctx, server: ctx.server, tool, where, rule, argument, message });
  }

  #redacted(ctx: CallContext, tool: string, where: 'arguments' | 'result', findings: readonly { pointer: string; rule: string }[]): void {
    if (this.api.hasListeners('guard:redacted'))
      this.api.emit('guard:redacted', {
        ctx,
        server: ctx.server,
        tool,
        where,
        findings: findings.map((f) => ({ pointer: f.pointer, rule: f.rule })),
      });
  }
}
