import { z } from 'zod';

/**
 * The options schema. Given to `definePlugin`, which validates the options in `setup`, so a wrong option fails
 * `bridge.start()` with an error naming the plugin, the option and what was expected.
 */
export const slowCallsOptionsSchema = z.strictObject({
  /** A call slower than this (ms, whole call across retries) is reported. */
  thresholdMs: z.number().int().min(0).default(1_000),
  /** Methods watched. */
  methods: z.array(z.string().min(1)).min(1).default(['tools/call']),
  /** How many recent slow calls `bridge.slowCalls.recent()` keeps. */
  keep: z.number().int().min(1).max(10_000).default(100),
  /**
   * Also write one line per slow call to stderr. For gateways (`mcp-bridge serve`), where no program
   * listens to the events; stdout is left alone, it may be a stdio MCP connection.
   */
  log: z.boolean().default(false),
  /** Emit `slow-calls:summary` this often (ms); off when absent. */
  summaryEveryMs: z.number().int().min(100).optional(),
});

/** Options of {@link slowCalls} (what you pass; every field is optional). */
export type SlowCallsOptions = z.input<typeof slowCallsOptionsSchema>;
