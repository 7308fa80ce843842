import { NAME_PATTERN } from '@mcp-bridge/core';
import { z } from 'zod';

/**
 * What a rule matches. A string is `server/tool` (globs on both sides: `github/*`, `*\/delete_*`),
 * a bare `tool` glob (any server), or `tag:<tag>` (every tool of servers with that tag). An object
 * matches when all of its fields do (`tags`: any of them).
 */
export const selectorSchema = z.union(
  [
    z.string().min(1),
    z.strictObject({
      server: z.string().min(1).optional(),
      tool: z.string().min(1).optional(),
      tags: z.array(z.string().min(1)).min(1).optional(),
    }),
  ],
  { error: 'expected "server/tool", "tool", "tag:<tag>" or { server?, tool?, tags? }' },
);

/** A selector: see {@link selectorSchema}. */
export type Selector = z.input<typeof selectorSchema>;

const ruleSetSchema = z.strictObject({
  /** When given, only tools matching one of these are allowed. */
  allow: z.array(selectorSchema).optional(),
  /** Tools matching any of these are denied (deny wins over allow). */
  deny: z.array(selectorSchema).optional(),
});

/** Allow and deny lists. */
export type RuleSet = z.input<typeof ruleSetSchema>;

const overrideSchema = z.strictObject({
  /** The name the tool is listed and called by (before the bridge's naming policy applies). */
  name: z
    .string()
    .regex(NAME_PATTERN, `must match ${String(NAME_PATTERN)}`)
    .optional(),
  /** Replaces the tool's description. */
  description: z.string().optional(),
});

/** Options schema of {@link accessRules}. */
export const accessOptionsSchema = ruleSetSchema.extend({
  /** Per tool, keyed `server/tool` (upstream names, exact): renaming and description overrides. */
  tools: z
    .record(z.string(), overrideSchema)
    .superRefine((tools, ctx) => {
      for (const key of Object.keys(tools)) {
        if (!/^[^/]+\/.+$/.test(key)) ctx.addIssue({ code: 'custom', path: [key], message: 'keys are "server/tool" (upstream names)' });
      }
    })
    .default({}),
  /**
   * Extra rules per caller (`ctx.caller`, set by the gateway or `callTool(..., { caller })`), keyed by
   * a caller glob. Every entry whose key matches applies on top of the global rules: callers can be
   * restricted further, never granted more. Calls without a caller get the rules under `anonymous`.
   */
  callers: z.record(z.string().min(1), ruleSetSchema).default({}),
  /** Rules for calls without a caller (in-process calls, the host's own list refreshes excepted). */
  anonymous: ruleSetSchema.optional(),
  /**
   * OAuth scopes a caller's principal must hold for the tools a selector matches (`ctx.principal.scopes`,
   * set by the gateway from the caller's JWT or named token), e.g. `{ 'github/create_*': ['repo:write'] }`.
   * A caller without them (or without a principal) does not see those tools and cannot call them.
   */
  requireScopes: z.record(z.string().min(1), z.array(z.string().min(1)).min(1)).default({}),
});

/** Options of {@link accessRules}. */
export type AccessOptions = z.input<typeof accessOptionsSchema>;
