import { z } from 'zod';
import { DEFAULT_LIMITS } from './bounds.js';

/** `strict`: reject; `lenient`: let through with a `validation:warning` event; `off`: do not check. */
export const levelSchema = z.enum(['strict', 'lenient', 'off']);
/** How strictly one direction (arguments or results) is checked. */
export type ValidationLevel = z.infer<typeof levelSchema>;

/** An override for one server or tool: a level for both directions, or each on its own. */
const overrideSchema = z.union([
  levelSchema,
  z.strictObject({
    input: levelSchema.optional(),
    output: levelSchema.optional(),
    coerce: z.boolean().optional(),
  }),
]);
/** An override for one server or tool. */
export type ValidationOverride = z.infer<typeof overrideSchema>;

const positiveInt = z.number().int().positive();

const limitsSchema = z
  .strictObject({
    maxSchemaBytes: positiveInt.optional(),
    maxDepth: positiveInt.optional(),
    maxRefs: z.number().int().min(0).optional(),
    maxRefDepth: z.number().int().min(0).optional(),
    maxCompositionWidth: positiveInt.optional(),
    maxCompositionDepth: z.number().int().min(0).optional(),
    maxExpansion: positiveInt.optional(),
    maxPatterns: z.number().int().min(0).optional(),
    maxPatternLength: positiveInt.optional(),
    maxCompileMs: positiveInt.optional(),
  })
  .default({});

/** zod schema of {@link ValidationOptions}. */
export const validationOptionsSchema = z.strictObject({
  /** Arguments against `inputSchema`, before the call is sent. */
  input: levelSchema.default('strict'),
  /** `structuredContent` against `outputSchema`, after the call. */
  output: levelSchema.default('strict'),
  /** Convert arguments to the schema's types (`"3"` → `3`, `"true"` → `true`) before sending. */
  coerce: z.boolean().default(false),
  /** A strict output failure: an `isError` result the model sees (`result`), or a thrown `ValidationError` (`error`). */
  outputFailure: z.enum(['result', 'error']).default('result'),
  /** A schema past the limits (or one that does not compile): `skip` validating that tool with a warning, or `refuse` its calls. */
  onUnsafeSchema: z.enum(['skip', 'refuse']).default('skip'),
  /** A `pattern` that can backtrack catastrophically: `drop` that keyword only (warning), or treat the schema as unsafe (`reject`). */
  unsafePatterns: z.enum(['drop', 'reject']).default('drop'),
  /** Analysis budget per regular expression, in ms (a pattern not cleared in time counts as unsafe). */
  patternCheckMs: positiveInt.default(100),
  /** Compile every listed tool's schemas when the catalog changes, instead of on first call. */
  precompile: z.boolean().default(false),
  /** Most issues listed in one answer. */
  maxErrors: positiveInt.default(10),
  /** Longest preview of a given value, in characters. */
  maxValueChars: positiveInt.default(80),
  /** Bounds against hostile schemas (see the README for defaults). */
  limits: limitsSchema,
  /** Per-server overrides, by server name. */
  servers: z.record(z.string(), overrideSchema).default({}),
  /** Per-tool overrides, by exposed name or `server/upstreamName`; they win over server overrides. */
  tools: z.record(z.string(), overrideSchema).default({}),
});

/** Options of the `validation()` plugin (every field optional). */
export type ValidationOptions = z.input<typeof validationOptionsSchema>;
/** Options after defaults. */
export type ResolvedValidationOptions = z.output<typeof validationOptionsSchema>;

export { DEFAULT_LIMITS };
