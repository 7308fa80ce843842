import type { ErrorObject } from 'ajv';
import { truncate } from './bounds.js';

/** One validation problem, in a form a model (or a program) can act on. */
export interface ValidationIssue {
  /** JSON pointer of the offending value (`/filters/0/op`); `''` is the whole object. */
  readonly path: string;
  /** The JSON Schema keyword that failed (`type`, `required`, `pattern`, `additionalProperties` ...). */
  readonly rule: string;
  /** Human-readable problem, e.g. `must be integer`. */
  readonly message: string;
  /** What the schema expects at that place (`integer`, `one of "asc", "desc"`, `<= 100`). */
  readonly expected?: string;
  /** The value given, as truncated JSON; absent for a missing property. */
  readonly given?: string;
}

/**
 * Turns Ajv errors into issues: duplicates merged, at most `max` kept, values truncated to
 * `maxChars`. `total` counts every distinct issue, listed or not.
 *
 * Linear in the number of errors: a hostile 300 KB value can make 40,000 of them (one per extra
 * property), each holding the whole object as its `data`. The value a listed issue quotes is
 * serialised for the `max` issues listed only, and an `enum`'s or `const`'s expectation once per
 * schema location (serialising either per error was quadratic: minutes of event loop).
 */
export function toIssues(
  errors: readonly ErrorObject[] | null | undefined,
  max: number,
  maxChars: number,
): { issues: ValidationIssue[]; total: number } {
  const out: ValidationIssue[] = [];
  const seen = new Set<string>();
  const expectations = new Map<string, string | undefined>();
  for (const e of errors ?? []) {
    const params = e.params as Record<string, unknown>;
    let path = e.instancePath;
    const missing = e.keyword === 'required' || e.keyword === 'dependentRequired' || e.keyword === 'dependencies';
    let extra: string | undefined;
    if (missing) {
      if (typeof params.missingProperty === 'string') path = `${path}/${escapePointer(params.missingProperty)}`;
    } else if (e.keyword === 'additionalProperties' || e.keyword === 'unevaluatedProperties') {
      const name = params.additionalProperty ?? params.unevaluatedProperty;
      if (typeof name === 'string') {
        extra = name;
        path = `${path}/${escapePointer(name)}`;
      }
    }
    const message = e.message ?? `fails "${e.keyword}"`;
    const expected = expectationOf(e, maxChars, expectations);
    const key = `${path}\u0000${e.keyword}\u0000${message}\u0000${expected ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (out.length >= max) continue;
    const given = missing
      ? undefined
      : extra !== undefined
        ? preview((e.data as Record<string, unknown> | undefined)?.[extra], maxChars)
        : preview(e.data, maxChars);
    out.push({ path, rule: e.keyword, message, ...withExpected(expected), ...(given !== undefined ? { given } : {}) });
  }
  return { issues: out, total: seen.size };
}

/** {@link expectedOf}, once per schema location for the keywords whose expectation quotes the schema's values. */
function expectationOf(e: ErrorObject, maxChars: number, cache: Map<string, string | undefined>): string | undefined {
  if (e.keyword !== 'enum' && e.keyword !== 'const') return expectedOf(e, maxChars);
  const known = cache.get(e.schemaPath);
  if (known !== undefined || cache.has(e.schemaPath)) return known;
  const expected = expectedOf(e, maxChars);
  cache.set(e.schemaPath, expected);
  return expected;
}

const withExpected = (expected: string | undefined): { expected?: string } => (expected === undefined ? {} : { expected });

function expectedOf(e: ErrorObject, maxChars: number): string | undefined {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'type':
      return Array.isArray(p.type) ? p.type.join(' or ') : String(p.type);
    case 'enum':
      return `one of ${truncate((p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', '), maxChars)}`;
    case 'const':
      return `exactly ${preview(p.allowedValue, maxChars)}`;
    case 'required':
    case 'dependentRequired':
    case 'dependencies':
      return typeof p.property === 'string' ? `present (required when "${p.property}" is given)` : 'present';
    case 'additionalProperties':
      return 'no other properties';
    case 'maximum':
    case 'minimum':
    case 'exclusiveMaximum':
    case 'exclusiveMinimum':
      return `${String(p.comparison)} ${String(p.limit)}`;
    case 'maxLength':
    case 'minLength':
    case 'maxItems':
    case 'minItems':
    case 'maxProperties':
    case 'minProperties':
      return `${e.keyword.startsWith('max') ? 'at most' : 'at least'} ${String(p.limit)} ${e.keyword.endsWith('Length') ? 'characters' : e.keyword.endsWith('Items') ? 'items' : 'properties'}`;
    case 'pattern':
      return `a string matching /${truncate(String(p.pattern), maxChars)}/`;
    case 'format':
      return `a string in format "${String(p.format)}"`;
    case 'multipleOf':
      return `a multiple of ${String(p.multipleOf)}`;
    case 'uniqueItems':
      return 'no duplicate items';
    default:
      return undefined;
  }
}

function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Truncated JSON of a value; `undefined` when there is no value. */
export function preview(value: unknown, maxChars: number): string | undefined {
  if (value === undefined) return undefined;
  let text: string;
  try {
    // undefined from JSON.stringify: a function or a symbol.
    text = JSON.stringify(value) ?? `[${typeof value}]`;
  } catch {
    // A BigInt, or a cycle.
    text = typeof value === 'bigint' ? value.toString() : `[${typeof value} that is not JSON]`;
  }
  return truncate(text, maxChars);
}

/** One line per issue: `- /limit: must be <= 100 [rule: maximum; expected: <= 100; given: 500]`. */
export function formatIssues(issues: readonly ValidationIssue[], total: number): string {
  const lines = issues.map((i) => {
    const details = [
      `rule: ${i.rule}`,
      ...(i.expected ? [`expected: ${i.expected}`] : []),
      i.given !== undefined ? `given: ${i.given}` : 'given: nothing',
    ];
    return `- ${i.path || '(root)'}: ${i.message} [${details.join('; ')}]`;
  });
  if (total > issues.length) lines.push(`- ... and ${total - issues.length} more`);
  return lines.join('\n');
}

/**
 * A compact picture of the top level of an object schema, for the model:
 * `{ query: string (required), limit?: integer, sort?: "asc" | "desc" }`.
 */
export function describeShape(schema: unknown, maxChars: number): string | undefined {
  if (typeof schema !== 'object' || schema === null) return undefined;
  const s = schema as { properties?: Record<string, unknown>; required?: unknown };
  if (typeof s.properties !== 'object' || s.properties === null) return undefined;
  const required = new Set(Array.isArray(s.required) ? s.required.filter((r): r is string => typeof r === 'string') : []);
  const fields = Object.entries(s.properties).map(([name, sub]) => `${name}${required.has(name) ? '' : '?'}: ${typeLabel(sub)}`);
  return truncate(`{ ${fields.join(', ')} }`, maxChars);
}

function typeLabel(sub: unknown): string {
  if (typeof sub !== 'object' || sub === null) return 'any';
  const s = sub as { type?: unknown; enum?: unknown; const?: unknown; items?: unknown; $ref?: unknown; anyOf?: unknown; oneOf?: unknown };
  if (Array.isArray(s.enum))
    return (
      s.enum
        .slice(0, 6)
        .map((v) => JSON.stringify(v))
        .join(' | ') + (s.enum.length > 6 ? ' | ...' : '')
    );
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (typeof s.type === 'string')
    return s.type === 'array' && typeof s.items === 'object' && s.items !== null ? `${typeLabel(s.items)}[]` : s.type;
  if (Array.isArray(s.type)) return s.type.join(' | ');
  if (Array.isArray(s.anyOf) || Array.isArray(s.oneOf)) return ((s.anyOf ?? s.oneOf) as unknown[]).slice(0, 4).map(typeLabel).join(' | ');
  if (typeof s.$ref === 'string') return s.$ref.split('/').pop() ?? 'object';
  return 'any';
}
