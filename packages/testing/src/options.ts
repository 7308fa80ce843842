import type { ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { TestLedger } from './ledger.js';

/** Names of the tools every test server can expose (before `toolPrefix` is applied). */
export const BUILTIN_TOOLS = ['echo', 'add', 'slow', 'fail', 'progress', 'add_tool', 'whoami'] as const;

/** One of {@link BUILTIN_TOOLS}. */
export type BuiltinToolName = (typeof BUILTIN_TOOLS)[number];

/**
 * A valid tool name longer than the strictest client limit (`^[a-zA-Z0-9_-]{1,64}$`) but within the
 * protocol's 128 characters, for catalog naming tests: `extraTools: [LONG_TOOL_NAME]`.
 */
export const LONG_TOOL_NAME = 'a_deliberately_long_tool_name_that_goes_well_past_the_sixty_four_character_client_limit';

/** Options of {@link createTestServer}. Everything except `ledger` is JSON, so it can cross to a child process. */
export interface TestServerOptions {
  /** Server name reported in `initialize`, by `whoami` and in resource URIs. Default `'test-server'`. */
  name?: string;
  /** Server version reported in `initialize`. Default `'1.0.0'`. */
  version?: string;
  /** `true` (default) registers every built-in tool, `false` none, a list only those. */
  tools?: boolean | readonly BuiltinToolName[];
  /** Register the readme resource, the items template and the ledger resource. Default `true`. */
  resources?: boolean;
  /** Register the `greet` prompt. Default `true`. */
  prompts?: boolean;
  /** Prepended to every tool name, including extra tools and tools added by `add_tool`. Default `''`. */
  toolPrefix?: string;
  /**
   * Additional echo-like tools registered under these names (prefix applied), e.g. `['echo']` on a
   * server with `tools: false` to collide with another server, or `[LONG_TOOL_NAME]`.
   */
  extraTools?: readonly string[];
  /**
   * Tool annotations by unprefixed tool name; an entry replaces that tool's defaults. Defaults:
   * `echo` and `add` are `{ readOnlyHint: true }`, every other tool has none.
   */
  annotations?: Readonly<Record<string, ToolAnnotations>>;
  /**
   * Ledger to record executions in. Default: a new one per server (see `getLedger`). Pass one to
   * share it between several servers, e.g. every session of an HTTP test server. In-process only.
   */
  ledger?: TestLedger;
}

/** Tool annotations a test server may be given (strict: a misspelt hint fails loudly). */
export const annotationsSchema = z
  .object({
    title: z.string().optional(),
    readOnlyHint: z.boolean().optional(),
    destructiveHint: z.boolean().optional(),
    idempotentHint: z.boolean().optional(),
    openWorldHint: z.boolean().optional(),
  })
  .strict();

/** Validates user options; strict so a misspelt option fails loudly instead of being ignored. */
export const testServerOptionsSchema = z
  .object({
    name: z.string().min(1).optional(),
    version: z.string().min(1).optional(),
    tools: z
      .union([z.boolean(), z.array(z.enum(BUILTIN_TOOLS))], { error: `expected a boolean or a list of: ${BUILTIN_TOOLS.join(', ')}` })
      .optional(),
    resources: z.boolean().optional(),
    prompts: z.boolean().optional(),
    toolPrefix: z.string().optional(),
    extraTools: z.array(z.string().min(1)).optional(),
    annotations: z.record(z.string(), annotationsSchema).optional(),
    ledger: z.custom<TestLedger>((value) => value instanceof TestLedger, 'expected a TestLedger').optional(),
  })
  .strict();

/** Options after validation, with every default filled in. */
export interface ResolvedTestServerOptions {
  name: string;
  version: string;
  tools: ReadonlySet<BuiltinToolName>;
  resources: boolean;
  prompts: boolean;
  toolPrefix: string;
  extraTools: readonly string[];
  annotations: Readonly<Record<string, ToolAnnotations>>;
  ledger: TestLedger;
}

const DEFAULT_ANNOTATIONS: Readonly<Record<string, ToolAnnotations>> = {
  echo: { readOnlyHint: true },
  add: { readOnlyHint: true },
};

/**
 * Validates and fills in defaults.
 * @throws TypeError naming every bad field.
 */
export function resolveTestServerOptions(options: TestServerOptions = {}): ResolvedTestServerOptions {
  const parsed = testServerOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new TypeError(`[mcp-bridge] [@mcp-bridge/testing] invalid test server options: ${issues.join('; ')}`);
  }
  const o = parsed.data;
  const tools = o.tools === undefined || o.tools === true ? BUILTIN_TOOLS : o.tools === false ? [] : o.tools;
  return {
    name: o.name ?? 'test-server',
    version: o.version ?? '1.0.0',
    tools: new Set(tools),
    resources: o.resources ?? true,
    prompts: o.prompts ?? true,
    toolPrefix: o.toolPrefix ?? '',
    extraTools: o.extraTools ?? [],
    annotations: { ...DEFAULT_ANNOTATIONS, ...o.annotations },
    ledger: o.ledger ?? new TestLedger(),
  };
}
