import { z } from 'zod';

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const level = z.enum(LEVELS);

/** How much of a call's arguments a log line carries. */
export const ARGUMENT_MODES = ['full', 'keys', 'omit'] as const;

/** A redaction rule for the tools it matches (first matching rule wins). */
export const logRuleSchema = z.strictObject({
  /** `server/tool` globs (upstream names), e.g. `github/*`, `*\/login`. */
  match: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  /** `full`: arguments with secrets redacted; `keys`: only their names; `omit`: nothing. */
  arguments: z.enum(ARGUMENT_MODES).optional(),
  /** More argument keys (case-insensitive) whose values are replaced by `[REDACTED]`. */
  redactKeys: z.array(z.string().min(1)).optional(),
});

/** A redaction rule (input form). */
export type LogRule = z.input<typeof logRuleSchema>;

/** Keys whose values never reach a log, whatever the rule (matched case-insensitively, `-`/`_` ignored). */
export const DEFAULT_REDACT_KEYS = [
  'password',
  'passwd',
  'secret',
  'token',
  'accesstoken',
  'refreshtoken',
  'apikey',
  'authorization',
  'auth',
  'cookie',
  'privatekey',
  'clientsecret',
  'credentials',
] as const;

/** Secret-looking values replaced wherever they appear in logged strings. */
export const DEFAULT_REDACT_PATTERNS: readonly RegExp[] = [
  /\b(?:sk|pk|rk)-[A-Za-z0-9_-]{16,}/g, // API keys (OpenAI/Stripe style)
  /\bgh[pousr]_[A-Za-z0-9]{20,}/g, // GitHub tokens
  /\bxox[abprs]-[A-Za-z0-9-]{10,}/g, // Slack tokens
  /\bAKIA[0-9A-Z]{16}\b/g, // AWS access key ids
  /\bBearer\s+[A-Za-z0-9._~+/=-]{8,}/gi, // bearer credentials
  /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, // JWTs
];

/** Options schema of {@link logging}. */
export const loggingOptionsSchema = z.strictObject({
  /**
   * Your pino logger (a child is made with `{ name: 'mcp-bridge' }`). Default: a new pino logger at
   * `level` writing to **stderr** (stdout may be an MCP stdio channel).
   */
  logger: z
    .custom<import('pino').Logger>(
      (v) => typeof v === 'object' && v !== null && typeof (v as { child?: unknown }).child === 'function',
      'expected a pino logger',
    )
    .optional(),
  /** Level of the default logger. Ignored with `logger`. Default `info`. */
  level: level.default('info'),
  /** Level of a successful call's line. Default `info`. */
  callLevel: level.default('info'),
  /** Level of a failed call's line (and of an `isError` result). Default `warn`. */
  errorLevel: level.default('warn'),
  /** Level of the host's own list refreshes. Default `debug`. */
  catalogLevel: level.default('debug'),
  /** Methods logged. Default: every method. */
  methods: z.array(z.string().min(1)).optional(),
  /** Log lifecycle events (connections, health changes, catalog changes, ready, close). Default true. */
  events: z.boolean().default(true),
  /** Arguments in call lines when no rule matches. Default `keys` (names only: values may be personal). */
  arguments: z.enum(ARGUMENT_MODES).default('keys'),
  /** Per-tool redaction rules; the first that matches wins. */
  rules: z.array(logRuleSchema).default([]),
  /** Argument keys always redacted, on top of {@link DEFAULT_REDACT_KEYS}. */
  redactKeys: z.array(z.string().min(1)).default([]),
  /** Value patterns always redacted, on top of {@link DEFAULT_REDACT_PATTERNS} (global flag added when missing). */
  redactPatterns: z.array(z.instanceof(RegExp)).default([]),
});

/** Options of {@link logging}. */
export type LoggingOptions = z.input<typeof loggingOptionsSchema>;
