import { definePlugin, type CallContext, type Plugin } from '@mcp-bridge/core';
import pkg from '../package.json' with { type: 'json' };
import { slowCallsOptionsSchema, type SlowCallsOptions } from './options.js';
import type { SlowCall, SlowCallsControl } from './types.js';

/**
 * Reports slow calls: an `observe` middleware times every watched call (all attempts included),
 * emits `slow-calls:slow` for those over the threshold, keeps the recent ones on
 * `bridge.slowCalls`, and can emit a periodic `slow-calls:summary`.
 *
 * @example
 * ```ts
 * import { createBridge } from '@mcp-bridge/core';
 * import { slowCalls } from 'mcp-bridge-plugin-example';
 *
 * const bridge = createBridge({ servers, plugins: [slowCalls({ thresholdMs: 500 })] });
 * bridge.on('slow-calls:slow', (call) => console.warn(`${call.tool} took ${call.durationMs} ms`));
 * await bridge.start();
 * ```
 */
export const slowCalls: (options?: SlowCallsOptions) => Plugin = definePlugin({
  name: pkg.name,
  version: pkg.version,
  // The core versions this plugin was written and tested against; the host refuses others at start.
  core: pkg.peerDependencies['@mcp-bridge/core'],
  // Validated in setup, not in the factory: a bad option then fails start() naming this plugin.
  options: slowCallsOptionsSchema,
  setup(api, opts) {
    // All state lives in setup: every bridge gets its own, so one factory result can serve many hosts.
    let recent: SlowCall[] = [];
    let calls = 0;
    let slow = 0;
    let windowCalls = 0;
    let windowSlow = 0;

    const record = (ctx: CallContext, outcome: SlowCall['outcome']): void => {
      calls++;
      windowCalls++;
      const durationMs = performance.now() - ctx.state.slowCallsStartedAt!;
      if (durationMs < opts.thresholdMs) return;
      slow++;
      windowSlow++;
      const call: SlowCall = {
        id: ctx.id,
        method: ctx.method,
        server: ctx.server,
        tool: ctx.tool?.name,
        caller: ctx.caller,
        durationMs,
        attempts: ctx.attempt,
        outcome,
      };
      recent.push(call);
      if (recent.length > opts.keep) recent = recent.slice(-opts.keep);
      // Emitting costs one lookup without listeners; building the payload is already done here.
      api.emit('slow-calls:slow', call);
      if (opts.log) {
        const what = call.tool !== undefined ? `${call.server}/${call.tool}` : `${call.server} ${call.method}`;
        console.error(`[${pkg.name}] slow call: ${what} took ${Math.round(durationMs)} ms (threshold ${opts.thresholdMs} ms, ${outcome})`);
      }
    };

    api.use({
      // Outermost phase, first within it: the time covers validation, cache, every retry.
      phase: 'observe',
      order: 'before',
      methods: opts.methods,
      handle(ctx, next) {
        ctx.state.slowCallsStartedAt = performance.now();
        // No async/await: one promise fewer per call, and errors pass through untouched.
        return next().then(
          (result) => {
            record(ctx, 'ok');
            return result;
          },
          (error: unknown) => {
            record(ctx, 'error');
            throw error;
          },
        );
      },
    });

    if (opts.summaryEveryMs !== undefined) {
      const every = opts.summaryEveryMs;
      const timer = setInterval(() => {
        if (api.hasListeners('slow-calls:summary'))
          api.emit('slow-calls:summary', { calls: windowCalls, slow: windowSlow, windowMs: every });
        windowCalls = 0;
        windowSlow = 0;
      }, every);
      // Never keep the process alive for a report, and stop it when the bridge closes.
      timer.unref();
      api.onClose(() => clearInterval(timer));
    }

    const control: SlowCallsControl = {
      recent: () => [...recent],
      stats: () => ({ calls, slow }),
      reset: () => {
        recent = [];
        calls = slow = windowCalls = windowSlow = 0;
      },
    };
    api.expose('slowCalls', control);
  },
});
