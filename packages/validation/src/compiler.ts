import { Ajv, type Options as AjvOptions, type ValidateFunction } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { scanSchema, type SchemaLimits } from './bounds.js';
import { useHashedEnums, withHashedEnums } from './large-enums.js';
import { PatternGuard } from './patterns.js';
import { RecursionBudget, withRecursionPoints } from './recursion-budget.js';
import { useLinearUniqueItems } from './unique-items.js';

/** JSON Schema dialects the plugin validates. */
export type Dialect = '2020-12' | '2019-09' | 'draft-07' | 'draft-06';

/** A schema ready to run, or the reason it will not be run. */
export type CompiledSchema =
  | {
      readonly ok: true;
      readonly dialect: Dialect;
      /** Stops at the first error: the fast path every valid call takes. */
      readonly validate: ValidateFunction;
      /** The same schema reporting every error (compiled on the first invalid value). */
      detailed(): ValidateFunction;
      /** The same schema compiled with type coercion (lazily, on first need). */
      coercing(): ValidateFunction | undefined;
      /** `pattern` keywords left out because they could backtrack catastrophically. */
      readonly droppedPatterns: readonly string[];
    }
  | { readonly ok: false; readonly reason: string };

// ajv-formats is CommonJS with `exports.default`; under NodeNext its default import is the module.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;

const DIALECTS: Record<string, Dialect> = {
  'https://json-schema.org/draft/2020-12/schema': '2020-12',
  'https://json-schema.org/draft/2019-09/schema': '2019-09',
  'http://json-schema.org/draft-07/schema': 'draft-07',
  'https://json-schema.org/draft-07/schema': 'draft-07',
  'http://json-schema.org/draft-06/schema': 'draft-06',
  'https://json-schema.org/draft-06/schema': 'draft-06',
};

/**
 * The dialect a schema declares with `$schema`. MCP 2025-11-25 (SEP-1613): embedded schemas
 * without `$schema` are JSON Schema 2020-12. `undefined` for a dialect this plugin cannot run.
 */
export function dialectOf(schema: unknown): Dialect | undefined {
  if (typeof schema !== 'object' || schema === null) return '2020-12';
  const declared = (schema as { $schema?: unknown }).$schema;
  if (declared === undefined) return '2020-12';
  if (typeof declared !== 'string') return undefined;
  return DIALECTS[declared.replace(/#$/, '')];
}

/** How the compiler treats regular expressions that fail the safety analysis. */
export type UnsafePatternPolicy = 'drop' | 'reject';

/** Options of {@link SchemaCompiler}. */
export interface CompilerOptions {
  limits: SchemaLimits;
  unsafePatterns: UnsafePatternPolicy;
  /** Per-pattern analysis budget in ms (capped by what is left of `limits.maxCompileMs`). */
  patternCheckMs: number;
  /** Clock in ms (tests). */
  now?: () => number;
}

/**
 * Compiles tool schemas with Ajv, one instance per dialect (and per coercion), shared by every
 * tool. Every schema is scanned against the limits first; compiled schemas are removed from Ajv's
 * own cache at once (it would otherwise keep every schema version ever seen, and refuse a second
 * schema with the same `$id`). Only regular expressions the guard cleared reach `new RegExp`.
 */
export class SchemaCompiler {
  readonly #options: CompilerOptions;
  readonly #instances = new Map<string, Ajv>();
  readonly #guard = new PatternGuard();
  /** Shared by every instance: validation is synchronous, one runs at a time. */
  readonly #budget = new RecursionBudget();
  readonly #now: () => number;
  /** Patterns cleared for the compilation running now (Ajv compiles synchronously). */
  #approved: ReadonlySet<string> | undefined;

  constructor(options: CompilerOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Scans, checks and compiles one schema. Never throws. */
  compile(schema: unknown): CompiledSchema {
    const started = this.#now();
    const dialect = dialectOf(schema);
    if (!dialect) {
      return {
        ok: false,
        reason: `unsupported JSON Schema dialect ${JSON.stringify((schema as { $schema?: unknown }).$schema)} (supported: 2020-12, 2019-09, draft-07, draft-06)`,
      };
    }
    const { limits } = this.#options;
    let scan: ReturnType<typeof scanSchema>;
    try {
      scan = scanSchema(schema, limits);
    } catch (error) {
      // The scan bounds what it walks, but a schema built to defeat it must still never throw out of here.
      return { ok: false, reason: `the schema could not be checked: ${(error as Error)?.message ?? String(error)}` };
    }
    if (!scan.ok) return { ok: false, reason: scan.reason };

    const approved = new Set<string>();
    const dropped: string[] = [];
    for (const use of scan.patterns) {
      const left = limits.maxCompileMs - (this.#now() - started);
      const verdict = this.#guard.check(use.source, Math.min(this.#options.patternCheckMs, left));
      if (verdict.safe) {
        approved.add(use.source);
        continue;
      }
      const why = `regular expression ${JSON.stringify(use.source.slice(0, 60))} is unsafe: ${verdict.reason}`;
      if (use.kind === 'patternProperties' || this.#options.unsafePatterns === 'reject') return { ok: false, reason: why };
      dropped.push(use.source);
    }
    if (this.#now() - started > limits.maxCompileMs)
      return { ok: false, reason: `checking the schema took longer than ${limits.maxCompileMs} ms` };
    // Approved sources stay approved even where a dropped one is the same text in another keyword.
    let runnable = dropped.length > 0 ? withoutPatterns(schema, new Set(dropped.filter((d) => !approved.has(d)))) : schema;
    // draft-07 only added keywords to draft-06 (if/then/else, content*, readOnly ...): a draft-06
    // schema means the same under draft-07, so it runs on that instance.
    if (dialect === 'draft-06') runnable = { ...(runnable as object), $schema: 'http://json-schema.org/draft-07/schema#' };

    // Recursion points first: that walk skips enums, so the values of an enum are never marked.
    const recursion = withRecursionPoints(runnable);
    const final = withHashedEnums(recursion.schema);
    const build = (coerce: boolean, allErrors: boolean): ValidateFunction =>
      this.#budget.wrap(this.#compileWith(this.#instance(dialect, coerce, allErrors), final, approved), recursion.counted);
    let validate: ValidateFunction;
    try {
      validate = build(false, false);
    } catch (error) {
      return { ok: false, reason: `the schema does not compile: ${(error as Error).message}` };
    }
    // Ajv's own compile time counts against the budget too: a schema that took too long is not
    // used, so its two other variants (detailed errors, coercion) are never built from it.
    if (this.#now() - started > limits.maxCompileMs)
      return { ok: false, reason: `compiling the schema took longer than ${limits.maxCompileMs} ms` };
    let detailed: ValidateFunction | undefined;
    let coercing: ValidateFunction | null | undefined;
    return {
      ok: true,
      dialect,
      validate,
      droppedPatterns: dropped,
      // Collecting every error costs about a third more per call: only invalid values pay for it.
      detailed: () => {
        if (detailed === undefined) {
          try {
            detailed = build(false, true);
          } catch {
            detailed = validate;
          }
        }
        return detailed;
      },
      coercing: () => {
        if (coercing === undefined) {
          try {
            coercing = build(true, false);
          } catch {
            coercing = null;
          }
        }
        return coercing ?? undefined;
      },
    };
  }

  #compileWith(ajv: Ajv, schema: unknown, approved: ReadonlySet<string>): ValidateFunction {
    this.#approved = approved;
    try {
      return ajv.compile(schema as object);
    } finally {
      this.#approved = undefined;
      try {
        ajv.removeSchema(schema as object);
      } catch {
        // Nothing was cached (the compile failed early).
      }
    }
  }

  #instance(dialect: Dialect, coerce: boolean, allErrors: boolean): Ajv {
    const family = dialect === 'draft-06' ? 'draft-07' : dialect;
    const key = `${family}:${coerce}:${allErrors}`;
    let ajv = this.#instances.get(key);
    if (ajv) return ajv;
    // Ajv calls this for every `pattern` and `patternProperties` it compiles: a pattern the guard
    // did not clear never reaches the backtracking engine, whatever path led Ajv to it.
    const regExp = Object.assign(
      (source: string, flags: string): RegExp => {
        if (this.#approved !== undefined && !this.#approved.has(source))
          throw new Error(`regular expression ${JSON.stringify(source.slice(0, 60))} was not cleared`);
        return new RegExp(source, flags);
      },
      { code: 'new RegExp' },
    );
    const options: AjvOptions = {
      strict: false,
      allErrors,
      verbose: true,
      logger: false,
      coerceTypes: coerce,
      code: { regExp },
    };
    switch (family) {
      case '2020-12':
        ajv = new Ajv2020(options);
        break;
      case '2019-09':
        ajv = new Ajv2019(options);
        break;
      default:
        ajv = new Ajv(options);
    }
    addFormats(ajv);
    useLinearUniqueItems(ajv);
    useHashedEnums(ajv);
    this.#budget.install(ajv);
    // Compile the meta-schema now, outside any tool's compilation: its own patterns are trusted.
    void ajv.validateSchema({});
    this.#instances.set(key, ajv);
    return ajv;
  }
}

/** A copy of the schema without the `pattern` keywords whose source is in `drop`. */
function withoutPatterns(schema: unknown, drop: ReadonlySet<string>): unknown {
  if (drop.size === 0) return schema;
  const copy = structuredClone(schema);
  const stack: unknown[] = [copy];
  while (stack.length > 0) {
    const node = stack.pop();
    if (typeof node !== 'object' || node === null) continue;
    if (Array.isArray(node)) {
      stack.push(...(node as unknown[]));
      continue;
    }
    const record = node as Record<string, unknown>;
    if (typeof record.pattern === 'string' && drop.has(record.pattern)) delete record.pattern;
    for (const [key, value] of Object.entries(record))
      if (key !== 'enum' && key !== 'const' && key !== 'default' && key !== 'examples') stack.push(value);
  }
  return copy;
}
