import { BridgeError, parsePluginOptions, type CallContext, type Plugin } from '@mcp-bridge/core';
import picomatch from 'picomatch';
import { pino, type Level, type Logger } from 'pino';
import pkg from '../package.json' with { type: 'json' };
import { DEFAULT_REDACT_KEYS, DEFAULT_REDACT_PATTERNS, loggingOptionsSchema, type ARGUMENT_MODES, type LoggingOptions } from './options.js';
import { normaliseKey, redactString, redactValue } from './redact.js';

type LevelOrSilent = Level | 'silent';

/** What the plugin attaches to the bridge as `bridge.logger`. */
declare module '@mcp-bridge/core' {
  interface BridgeExtensions {
    /** The pino logger of `@mcp-bridge/plugin-logging` (a child with `name: 'mcp-bridge'`). */
    logger: Logger;
  }
}

/**
 * Structured logs with pino: one line per call (method, server, tool, caller, attempts, duration,
 * outcome, arguments as the rules allow, error code and message) and lines for lifecycle events.
 * Secrets are redacted by key and by pattern, arguments by rule. With the level off a call costs
 * one level check: arguments are never read.
 *
 * Occupies the `observe` phase (unmarked order).
 *
 * @example
 * ```ts
 * const bridge = createBridge({
 *   servers,
 *   plugins: [logging({ level: 'info', rules: [{ match: 'vault/*', arguments: 'omit' }, { match: 'search/*', arguments: 'full' }] })],
 * });
 * ```
 */
export function logging(options: LoggingOptions = {}): Plugin {
  return {
    name: pkg.name,
    version: pkg.version,
    core: '^0.1.0',
    setup(api) {
      const opts = parsePluginOptions(api.plugin, loggingOptionsSchema, options);
      // A logger we create writes to stderr: stdout may be the MCP channel of a stdio gateway.
      const owned = opts.logger === undefined;
      const base = opts.logger ?? pino({ level: opts.level }, pino.destination({ dest: 2, sync: true }));
      const logger = base.child({ name: 'mcp-bridge' });
      const keys = new Set([...DEFAULT_REDACT_KEYS, ...opts.redactKeys].map(normaliseKey));
      const patterns = [...DEFAULT_REDACT_PATTERNS, ...opts.redactPatterns.map((p) => (p.global ? p : new RegExp(p.source, `${p.flags}g`)))];
      const rules = opts.rules.map((rule) => ({
        matches: picomatch(rule.match, { dot: true }),
        arguments: rule.arguments ?? opts.arguments,
        keys: rule.redactKeys ? new Set([...keys, ...rule.redactKeys.map(normaliseKey)]) : keys,
      }));
      const fallback = { arguments: opts.arguments, keys };
      const ruleOf = (ctx: CallContext) => {
        if (rules.length === 0) return fallback;
        const id = `${ctx.server}/${ctx.tool?.upstreamName ?? String(ctx.params.name)}`;
        return rules.find((r) => r.matches(id)) ?? fallback;
      };
      const enabled = (level: LevelOrSilent): boolean => level !== 'silent' && logger.isLevelEnabled(level);

      const line = (ctx: CallContext, started: number, outcome: Outcome, error?: unknown): Record<string, unknown> =>
        logLine({ ctx, started, outcome, error, ruleOf, patterns });

      api.use({
        phase: 'observe',
        ...(opts.methods ? { methods: opts.methods } : {}),
        handle(ctx, next) {
          const okLevel = ctx.origin === 'catalog' ? opts.catalogLevel : opts.callLevel;
          const okOn = enabled(okLevel);
          const errOn = enabled(opts.errorLevel);
          // Level off: nothing read, nothing allocated beyond this check.
          if (!okOn && !errOn) return next();
          const started = performance.now();
          return next().then(
            (result) => {
              const isError = (result as { isError?: unknown } | undefined)?.isError === true;
              if (isError ? errOn : okOn) {
                const fields = line(ctx, started, isError ? 'is-error' : 'ok');
                logger[isError ? (opts.errorLevel as Level) : (okLevel as Level)](fields, `${ctx.method} ${subject(fields, ctx)} ${isError ? 'returned an error result' : 'ok'}`);
              }
              return result;
            },
            (error: unknown) => {
              if (errOn) {
                const fields = line(ctx, started, 'error', error);
                logger[opts.errorLevel as Level](fields, `${ctx.method} ${subject(fields, ctx)} failed`);
              }
              throw error;
            },
          );
        },
      });

      if (opts.events) {
        const info = (fields: Record<string, unknown>, msg: string) => enabled('info') && logger.info(fields, msg);
        const warn = (fields: Record<string, unknown>, msg: string) => enabled('warn') && logger.warn(fields, msg);
        api.on('host:ready', ({ servers }) => info({ event: 'host:ready', servers }, `bridge ready with ${servers.length} server(s)`));
        api.on('host:close', () => info({ event: 'host:close' }, 'bridge closing'));
        api.on('connect:after', ({ server, upstream, durationMs }) =>
          info({ event: 'connect:after', server, upstream: upstream.id, durationMs: Math.round(durationMs) }, `connected to ${server}`),
        );
        api.on('connect:error', ({ server, upstream, error, durationMs }) =>
          warn({ event: 'connect:error', server, upstream: upstream.id, durationMs: Math.round(durationMs), error: describe(error, patterns) }, `could not connect to ${server}`),
        );
        api.on('upstream:health', ({ server, upstream, state, previous, reason }) =>
          (state === 'unhealthy' ? warn : info)(
            { event: 'upstream:health', server, upstream: upstream.id, state, previous, ...(reason ? { reason: redactString(reason, patterns) } : {}) },
            `${upstream.id} is ${state}`,
          ),
        );
        api.on('catalog:changed', ({ server, kinds }) => enabled('debug') && logger.debug({ event: 'catalog:changed', server, kinds }, `catalog of ${server} changed`));
      }

      api.expose('logger', logger);
      // Our own destination is synchronous; flush anyway so nothing is lost at close.
      if (owned) api.onClose(() => base.flush());
    },
  };
}

/** An error for a log line: name, code and message with secrets redacted. */
type Outcome = 'ok' | 'error' | 'is-error';
type ArgumentMode = (typeof ARGUMENT_MODES)[number];

/** What one log line is built from; `ruleOf` picks how much of a tool call's arguments it may carry. */
interface LineInput {
  ctx: CallContext;
  started: number;
  outcome: Outcome;
  error: unknown;
  ruleOf: (ctx: CallContext) => { arguments: ArgumentMode; keys: ReadonlySet<string> };
  patterns: readonly RegExp[];
}

/** The structured fields of one log line: the call, its duration and outcome, and what it touched (redacted). */
function logLine({ ctx, started, outcome, error, ruleOf, patterns }: LineInput): Record<string, unknown> {
  const out: Record<string, unknown> = {
    call: ctx.id,
    method: ctx.method,
    server: ctx.server,
    durationMs: Math.round((performance.now() - started) * 1000) / 1000,
    attempts: ctx.attempt,
    outcome,
  };
  if (ctx.caller !== undefined) out.caller = ctx.caller;
  if (ctx.upstream) out.upstream = ctx.upstream.id;
  if (ctx.method === 'tools/call') {
    out.tool = ctx.tool?.name ?? ctx.params.name;
    const rule = ruleOf(ctx);
    const args = ctx.params.arguments;
    if (rule.arguments === 'full') out.args = redactValue(args, rule.keys, patterns);
    else if (rule.arguments === 'keys' && typeof args === 'object' && args !== null) out.argKeys = Object.keys(args).slice(0, 50);
  } else if (ctx.method === 'resources/read' && typeof ctx.params.uri === 'string') {
    out.uri = redactString(ctx.params.uri, patterns);
  } else if (ctx.method === 'prompts/get') {
    out.prompt = ctx.params.name;
  }
  if (error !== undefined) out.error = describe(error, patterns);
  return out;
}

/** What a log line's message names: the tool of a tools/call, else the server. */
function subject(fields: Record<string, unknown>, ctx: CallContext): string {
  return typeof fields.tool === 'string' ? fields.tool : ctx.server;
}

function describe(error: unknown, patterns: readonly RegExp[]): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: redactString(String(error), patterns) };
  const code = (error as { code?: unknown }).code;
  return {
    name: error.name,
    ...(code !== undefined ? { code } : {}),
    ...(BridgeError.isInstance(error) ? { bridge: true } : {}),
    message: redactString(error.message, patterns),
  };
}
