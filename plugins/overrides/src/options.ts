import { NAME_PATTERN } from '@mcp-bridge/core';
import { z } from 'zod';

const argumentValues = z.record(z.string().min(1), z.unknown());

const toolOverrideSchema = z
  .strictObject({
    /** The name the tool is listed and called by (before the bridge's naming policy applies); the old name stops working. */
    name: z
      .string()
      .regex(NAME_PATTERN, `must match ${String(NAME_PATTERN)}`)
      .optional(),
    /** Replaces the tool's `title`. */
    title: z.string().optional(),
    /** Replaces the tool's `description`. */
    description: z.string().optional(),
    /** Leaves the tool out of lists; calls to it fail as to an unknown tool. */
    hide: z.boolean().optional(),
    /**
     * Arguments the model cannot set: removed from the listed `inputSchema`, injected on every call.
     * A call that sends one anyway is refused (an `isError` result naming it), never silently overwritten.
     */
    fixed: argumentValues.optional(),
    /** Arguments given a value when the call leaves them out: listed as the schema's `default`, injected when absent. */
    defaults: argumentValues.optional(),
  })
  .superRefine((o, ctx) => {
    for (const key of Object.keys(o.defaults ?? {})) {
      if (o.fixed && key in o.fixed)
        ctx.addIssue({ code: 'custom', path: ['defaults', key], message: `"${key}" is both fixed and defaulted` });
    }
    if (o.hide && Object.keys(o).some((k) => k !== 'hide'))
      ctx.addIssue({ code: 'custom', path: ['hide'], message: 'a hidden tool takes no other override' });
  });

/** One tool's overrides. */
export type ToolOverride = z.input<typeof toolOverrideSchema>;

/** Options schema of {@link overrides}. */
export const overridesOptionsSchema = z.strictObject({
  /**
   * Per tool, keyed `server/tool`: the server's name in the config and the tool's upstream name (what
   * the server itself calls it), not the name the gateway exposes — so keys do not change with the
   * naming policy.
   */
  tools: z.record(z.string(), toolOverrideSchema).superRefine((tools, ctx) => {
    for (const key of Object.keys(tools)) {
      if (!/^[^/]+\/.+$/.test(key))
        ctx.addIssue({ code: 'custom', path: [key], message: 'keys are "server/tool" (server name, then the upstream tool name)' });
    }
  }),
});

/** Options of {@link overrides}. */
export type OverridesOptions = z.input<typeof overridesOptionsSchema>;
/** Options after parsing. */
export type ResolvedOverridesOptions = z.output<typeof overridesOptionsSchema>;
