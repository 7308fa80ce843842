import { definePlugin, type Plugin } from '@mcp-bridge/core';
import { z } from 'zod';
import { messageOf } from './io.js';
import { CLI_VERSION } from './version.js';

/** One logged call as fields, for structured logs (`serve --log-format json`). */
export interface CallRecord {
  event: 'call';
  /** `info` for a success, `warn` for an `isError` result or a failure. */
  level: 'info' | 'warn';
  method: string;
  /** `server/tool` for tools/call, else the server. */
  target: string;
  outcome: 'ok' | 'isError' | 'failed';
  ms: number;
  attempts: number;
  /** First line of the error, when the call failed. */
  error?: string;
}

/** Options of {@link requestLog}. */
export interface RequestLogOptions {
  /**
   * Where each line goes (the CLI passes stderr: stdout may be the MCP protocol channel). The second
   * argument carries the same call as fields, for a writer that logs structured records.
   */
  write: (line: string, record: CallRecord) => void;
  /** Prefix colours, already resolved for the stream. */
  color?: { dim(s: string): string; red(s: string): string; green(s: string): string; yellow(s: string): string };
}

const fn = (what: string) => z.custom<(s: string) => string>((v) => typeof v === 'function', `expected ${what}`);

/** Validated in setup, so a bad option fails `start()` naming the plugin and the option. */
const requestLogOptionsSchema = z.strictObject({
  write: z.custom<RequestLogOptions['write']>((v) => typeof v === 'function', 'expected a function (line: string) => void'),
  // Loose: the CLI passes a whole picocolors instance; only these four are used.
  color: z
    .looseObject({
      dim: fn('a function (s: string) => string'),
      red: fn('a function (s: string) => string'),
      green: fn('a function (s: string) => string'),
      yellow: fn('a function (s: string) => string'),
    })
    .optional(),
});

const plain = { dim: (s: string) => s, red: (s: string) => s, green: (s: string) => s, yellow: (s: string) => s };

/**
 * A plugin that logs every call made by clients (not the host's own list refreshes, not pings) as one line:
 * method, target, duration and outcome. It sits in the outermost `observe` phase, so the duration
 * includes every retry, cache hit and wait the other plugins add.
 *
 * @example
 * createBridge({ servers, plugins: [requestLog({ write: (l) => process.stderr.write(l + '\n') })] });
 */
export const requestLog: (options: RequestLogOptions) => Plugin = definePlugin({
  name: 'mcp-bridge-cli/request-log',
  version: CLI_VERSION,
  core: '^0.1.0',
  options: requestLogOptionsSchema,
  setup(api, { write, color }) {
    const c = color ?? plain;
    api.use({
      phase: 'observe',
      order: 'before',
      async handle(ctx, next) {
        // Pings (health probes every few seconds, client keep-alives) would drown the calls.
        if (ctx.origin !== 'caller' || ctx.method === 'ping') return next();
        const started = performance.now();
        const target = ctx.method === 'tools/call' ? `${ctx.server}/${String(ctx.params.name)}` : ctx.server;
        const record = (outcome: CallRecord['outcome'], error?: string): CallRecord => ({
          event: 'call',
          level: outcome === 'ok' ? 'info' : 'warn',
          method: ctx.method,
          target,
          outcome,
          ms: Math.round(performance.now() - started),
          attempts: ctx.attempt,
          ...(error !== undefined ? { error } : {}),
        });
        try {
          const result = await next();
          const isError = ctx.method === 'tools/call' && (result as { isError?: boolean } | undefined)?.isError === true;
          const r = record(isError ? 'isError' : 'ok');
          const retried = ctx.attempt > 1 ? c.yellow(` after ${ctx.attempt} attempts`) : '';
          write(
            `${c.dim('call')} ${ctx.method} ${target} ${isError ? c.yellow('isError') : c.green('ok')} ${c.dim(`${r.ms}ms`)}${retried}`,
            r,
          );
          return result;
        } catch (error) {
          const r = record('failed', messageOf(error).split('\n')[0]);
          write(`${c.dim('call')} ${ctx.method} ${target} ${c.red('failed')} ${c.dim(`${r.ms}ms`)}: ${r.error}`, r);
          throw error;
        }
      },
    });
  },
});
