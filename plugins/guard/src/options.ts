import { z } from 'zod';

/**
 * Where a rule looks in a call's arguments: a top-level argument name (`"path"`), or a JSON pointer
 * (`"/options/target"`, RFC 6901) whose `*` segments match every array element or object member
 * (`"/edits/*\/path"`). A string value is checked; an array of strings has each element checked.
 */
const targetSchema = z.string().min(1);

const targetsSchema = z.array(targetSchema).default([]);

/** Path confinement: arguments that name files must stay inside `roots`. */
export const pathRulesSchema = z.strictObject({
  /** Allowed roots. `~` is the gateway's home directory. Each must exist: it is resolved (symlinks too) at start. */
  roots: z.array(z.string().min(1)).min(1),
  /** Arguments that hold paths (names or JSON pointers). */
  arguments: targetsSchema,
  /** Also check every argument, at any depth, whose name looks like a path (`path`, `file`, `dir`, `directory`, `folder`, `filename`, `source`, `destination`, plurals, `*_path` ...). */
  detect: z.boolean().default(false),
  /**
   * The directory relative paths are resolved against: the upstream's working directory. Unset: a
   * relative path is refused, since the guard cannot know what the upstream will resolve it against.
   */
  base: z.string().min(1).optional(),
});

/** URL confinement: arguments that name URLs may only reach allowed schemes and hosts, never private ranges by default. */
export const urlRulesSchema = z.strictObject({
  /** Arguments that hold URLs (names or JSON pointers). */
  arguments: targetsSchema,
  /** Also check every argument whose name looks like a URL (`url`, `uri`, `href`, `link`, `endpoint`, `*_url` ...). */
  detect: z.boolean().default(false),
  /** Allowed schemes, without the colon. Default `['https', 'http']`. */
  schemes: z
    .array(z.string().regex(/^[a-z][a-z0-9+.-]*$/, 'a lower-case scheme without ":"'))
    .min(1)
    .default(['https', 'http']),
  /** Allowed hosts: exact names, or `*.example.com` for any subdomain. Unset: any host that passes the address checks. */
  hosts: z.array(z.string().min(1)).optional(),
  /** Let URLs reach private, shared and link-local ranges (10/8, 172.16/12, 192.168/16, 100.64/10, 169.254/16, fc00::/7, fe80::/10). Default false. */
  allowPrivate: z.boolean().default(false),
  /** Let URLs reach loopback (127/8, ::1). Default false. */
  allowLoopback: z.boolean().default(false),
  /** Resolve host names with DNS and check every address (a name that does not resolve is refused). Default true. */
  resolve: z.boolean().default(true),
});

/** Size limits over every value of the arguments. */
export const limitsSchema = z.strictObject({
  /** Longest string value, in characters (UTF-16 code units, as JavaScript counts). */
  maxStringLength: z.number().int().positive().optional(),
  /** Largest argument object, in bytes of its JSON (UTF-8). */
  maxArgumentBytes: z.number().int().positive().optional(),
  /** Longest array. */
  maxArrayLength: z.number().int().positive().optional(),
});

/** A deny pattern: a value matching it refuses the call. */
export const denyRuleSchema = z.strictObject({
  /** A regular expression (JavaScript syntax, `u` flag). It must be provably free of catastrophic backtracking. */
  pattern: z.string().min(1),
  /** Extra flags: any of `i`, `m`, `s`. */
  flags: z
    .string()
    .regex(/^[ims]*$/, 'only the flags i, m and s')
    .default(''),
  /** Arguments it applies to (names or JSON pointers). Default: every string value. */
  arguments: z.array(targetSchema).optional(),
  /** Says why, in the refusal the model reads (default: `matches the deny pattern /.../`). */
  message: z.string().min(1).optional(),
});

/** What to do with a secret: `off`, `block` (refuse the call / withhold the result) or `redact`. */
export const secretActionSchema = z.enum(['off', 'block', 'redact']);

/** Secret detection (secretlint's recommended rule preset). */
export const secretRulesSchema = z.strictObject({
  /** In arguments, before the call is sent. Default `off`. */
  arguments: secretActionSchema.default('off'),
  /** In results (text content, embedded resource text and structuredContent). Default `off`. */
  results: secretActionSchema.default('off'),
});

/** One set of rules (the defaults, a server's or a tool's). */
export const ruleSetSchema = z.strictObject({
  paths: pathRulesSchema.optional(),
  urls: urlRulesSchema.optional(),
  limits: limitsSchema.optional(),
  deny: z.array(denyRuleSchema).optional(),
  secrets: secretRulesSchema.optional(),
});

/** A rule set, or `false` for no guard at all. */
const scopedSchema = z.union([z.literal(false), ruleSetSchema]);

/** Options schema of {@link guard}. */
export const guardOptionsSchema = ruleSetSchema.extend({
  /** Per server (logical name): sections given here replace the defaults' sections; `false` turns the guard off. */
  servers: z.record(z.string().min(1), scopedSchema).default({}),
  /** Per tool (exposed name): sections given here replace the server's and the defaults' sections; `false` turns the guard off. */
  tools: z.record(z.string().min(1), scopedSchema).default({}),
  /** Longest string a deny pattern or the secret scanner reads; a longer value is refused (bounds their cost). Default 1 MiB. */
  maxScanChars: z
    .number()
    .int()
    .positive()
    .default(1024 * 1024),
  /**
   * Time budget per deny pattern for the ReDoS analysis at start, ms. Default 2000: the analysis is
   * bounded by steps too (deterministic), the clock only guards a loaded host.
   */
  patternCheckMs: z.number().int().positive().default(2_000),
});

/** Options of {@link guard}. */
export type GuardOptions = z.input<typeof guardOptionsSchema>;
/** A parsed rule set. */
export type RuleSet = z.output<typeof ruleSetSchema>;
/** Parsed options. */
export type ResolvedGuardOptions = z.output<typeof guardOptionsSchema>;
/** Path rules (input form). */
export type PathRules = z.input<typeof pathRulesSchema>;
/** URL rules (input form). */
export type UrlRules = z.input<typeof urlRulesSchema>;
/** Size limits (input form). */
export type SizeLimits = z.input<typeof limitsSchema>;
/** A deny pattern (input form). */
export type DenyRule = z.input<typeof denyRuleSchema>;
/** Secret rules (input form). */
export type SecretRules = z.input<typeof secretRulesSchema>;
/** What to do with a secret. */
export type SecretAction = z.output<typeof secretActionSchema>;
