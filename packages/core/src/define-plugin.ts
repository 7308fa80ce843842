import type { z } from 'zod';
import type { Plugin, PluginApi } from './plugin-api.js';
import { parsePluginOptions } from './plugin-options.js';

/** What {@link definePlugin} needs: the plugin's fixed fields, its options schema and its setup. */
export interface PluginDefinition<S extends z.ZodType> extends Omit<Plugin, 'setup'> {
  /**
   * The zod schema of the factory's options. They are validated in `setup`, so a wrong option fails
   * `start()` with a `PluginError` (`PLUGIN_OPTIONS_INVALID`) naming the plugin, the option path and
   * what was expected, as {@link parsePluginOptions} does.
   */
  options: S;
  /** Registers hooks, middleware and services, given the validated options (defaults applied). */
  readonly setup: (api: PluginApi, options: z.output<S>) => void | Promise<void>;
}

/**
 * The one plugin factory shell: returns `(options?) => Plugin`. Each call makes a fresh plugin
 * object with the definition's name, version, core range and ordering fields; its `setup` validates
 * the options with the schema (omitted options validate as `{}`) and calls the definition's `setup`
 * with the result. State belongs in `setup`, so one factory result can serve several bridges.
 * The factory's options type is the schema's input, or `I` when the plugin documents its own
 * options type (`export const retry: (options?: RetryOptions) => Plugin = definePlugin({...})`).
 *
 * @example
 * ```ts
 * import { definePlugin } from '@mcp-bridge/core';
 * import { z } from 'zod';
 *
 * export const timing = definePlugin({
 *   name: 'mcp-bridge-plugin-timing',
 *   version: '1.0.0',
 *   core: '^0.1.0',
 *   options: z.strictObject({ thresholdMs: z.number().min(0).default(500) }),
 *   setup(api, { thresholdMs }) {
 *     api.use({ phase: 'observe', async handle(ctx, next) {
 *       const t = performance.now();
 *       try { return await next() } finally {
 *         if (performance.now() - t > thresholdMs) console.warn(`${ctx.method} on ${ctx.server} was slow`);
 *       }
 *     } });
 *   },
 * });
 * // createBridge({ plugins: [timing({ thresholdMs: 200 })] })
 * ```
 */
export function definePlugin<S extends z.ZodType, I = z.input<S>>(definition: PluginDefinition<S>): (options?: I) => Plugin {
  checkDefinition(definition);
  const { options: schema, setup, ...fields } = definition;
  return (options) => ({
    ...fields,
    setup(api) {
      return setup(api, parsePluginOptions(api.plugin, schema, options ?? {}));
    },
  });
}

/** A broken definition is the plugin author's bug: say so where the factory is defined, not at some user's start(). */
function checkDefinition(definition: PluginDefinition<z.ZodType>): void {
  const d = definition as Partial<PluginDefinition<z.ZodType>> | undefined;
  const who = typeof d?.name === 'string' && d.name !== '' ? `plugin "${d.name}"` : 'a plugin';
  const problem =
    typeof d !== 'object' || d === null
      ? 'expected an object { name, version, options, setup }'
      : typeof d.name !== 'string' || d.name === ''
        ? `name must be a non-empty string (got ${JSON.stringify(d.name)})`
        : typeof d.version !== 'string' || d.version === ''
          ? `version must be a non-empty string (got ${JSON.stringify(d.version)})`
          : typeof (d.options as { safeParse?: unknown } | undefined)?.safeParse !== 'function'
            ? 'options must be a zod schema (use z.strictObject({}) for a plugin without options)'
            : typeof d.setup !== 'function'
              ? `setup must be a function (got ${typeof d.setup})`
              : undefined;
  if (problem) throw new TypeError(`[mcp-bridge] definePlugin: ${who}: ${problem}`);
}
