import { BridgeError, type CallContext, type PluginApi } from '@mcp-bridge/core';
import picomatch from 'picomatch';
import { pino, type Level, type Logger } from 'pino';
import { DEFAULT_REDACT_KEYS, DEFAULT_REDACT_PATTERNS, type loggingOptionsSchema } from './options.js';
import { normaliseKey, redactString, redactValue } from './redact.js';

type LevelOrSilent = Level | 'silent';
/** The plugin's options after parsing. */
export type ResolvedLoggingOptions = ReturnType<typeof loggingOptionsSchema.parse>;
/** The fields of one call's log line. */
type CallLine = (ctx: CallContext, started: number, outcome: 'ok' | 'error' | 'is-error', error?: unknown) => Record<string, unknown>;

/** Installs the logger: a line per call, lifecycle events, `bridge.logger`. */
export function setupLogging(api: PluginApi, opts: ResolvedLoggingOptions): void {
  // A logger we create writes to stderr: stdout may be the MCP channel of a stdio gateway.
  const owned = opts.logger === undefined;
  const base = opts.logger ?? pino({ level: opts.level }, pino.destination({ dest: 2, sync: true }));
  const logger = base.child({ name: 'mcp-bridge' });
  const enabled = (level: LevelOrSilent): boolean => level !== 'silent' && logger.isLevelEnabled(level);
  const patterns = [...DEFAULT_REDACT_PATTERNS, ...opts.redactPatterns.map((p) => (p.global ? p : new RegExp(p.source, `${p.flags}g`)))];
  logCalls(api, opts, logger, enabled, callLine(opts, patterns));
  if (opts.events) logEvents(api, logger, enabled, patterns);

  api.expose('logger', logger);
  // Our own destination is synchronous; flush anyway so nothing is lost at close.
  if (owned) api.onClose(() => base.flush());
}

/** Builds the line of a call: what the first matching rule lets through of its arguments, redacted. */
function callLine(opts: ResolvedLoggingOptions, patterns: readonly RegExp[]): CallLine {
  const keys = new Set([...DEFAULT_REDACT_KEYS, ...opts.redactKeys].map(normaliseKey));
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
  return (ctx: CallContext, started: number, outcome: 'ok' | 'error' | 'is-error', error?: unknown): Record<string, unknown> => {
    const out: Record<string, unknown> = {
      call: ctx.id,
      method: ctx.method,
      server: ctx.server,
      durationMs: Math.round((performance.now() - started) * 1000) / 1000,
      attempts: ctx.attempt,
      outcome,
    };
    if (ctx.caller !== undefined) out.caller = ctx.caller;
    // How the caller was authenticated (JWT or named token); the id is `caller`. Never its token or claims.
    if (ctx.principal !== undefined) out.principal = ctx.principal.kind;
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
  };
}

/** One line per call at `callLevel` (or `catalogLevel`), failures and `isError` results at `errorLevel`. */
function logCalls(
  api: PluginApi,
  opts: ResolvedLoggingOptions,
  logger: Logger,
  enabled: (level: LevelOrSilent) => boolean,
  line: CallLine,
): void {
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
            logger[isError ? (opts.errorLevel as Level) : (okLevel as Level)](
              fields,
              `${ctx.method} ${String((fields.tool as string | undefined) ?? ctx.server)} ${isError ? 'returned an error result' : 'ok'}`,
            );
          }
          return result;
        },
        (error: unknown) => {
          if (errOn) {
            const fields = line(ctx, started, 'error', error);
            logger[opts.errorLevel as Level](fields, `${ctx.method} ${String((fields.tool as string | undefined) ?? ctx.server)} failed`);
          }
          throw error;
        },
      );
    },
  });
}

/** Lifecycle events: ready, close, connects, health changes, catalog changes. */
function logEvents(api: PluginApi, logger: Logger, enabled: (level: LevelOrSilent) => boolean, patterns: readonly RegExp[]): void {
  const info = (fields: Record<string, unknown>, msg: string) => enabled('info') && logger.info(fields, msg);
  const warn = (fields: Record<string, unknown>, msg: string) => enabled('warn') && logger.warn(fields, msg);
  api.on('host:ready', ({ servers }) => info({ event: 'host:ready', servers }, `bridge ready with ${servers.length} server(s)`));
  api.on('host:close', () => info({ event: 'host:close' }, 'bridge closing'));
  api.on('connect:after', ({ server, upstream, durationMs }) =>
    info({ event: 'connect:after', server, upstream: upstream.id, durationMs: Math.round(durationMs) }, `connected to ${server}`),
  );
  api.on('connect:error', ({ server, upstream, error, durationMs }) =>
    warn(
      { event: 'connect:error', server, upstream: upstream.id, durationMs: Math.round(durationMs), error: describe(error, patterns) },
      `could not connect to ${server}`,
    ),
  );
  api.on('upstream:health', ({ server, upstream, state, previous, reason }) =>
    (state === 'unhealthy' ? warn : info)(
      {
        event: 'upstream:health',
        server,
        upstream: upstream.id,
        state,
        previous,
        ...(reason ? { reason: redactString(reason, patterns) } : {}),
      },
      `${upstream.id} is ${state}`,
    ),
  );
  api.on(
    'catalog:changed',
    ({ server, kinds }) => enabled('debug') && logger.debug({ event: 'catalog:changed', server, kinds }, `catalog of ${server} changed`),
  );
}

/** An error for a log line: name, code and message with secrets redacted. */
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
