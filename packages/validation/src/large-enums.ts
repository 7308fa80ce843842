import type { Ajv, ErrorObject, FuncKeywordDefinition } from 'ajv';
import { canonicalJson } from './unique-items.js';

/**
 * Large `enum`s checked by hashing: Ajv compares a value with every allowed value in turn (a deep
 * equality for objects), so `items: { enum: [5,000 codes] }` against a 500 KB request of 40,000
 * items took 4.4 s of event loop (17 s with object values). An `enum` of more than
 * {@link HASHED_ENUM_MIN} values is moved to this keyword, which looks the value up in a Set:
 * scalars as they are (SameValueZero: 1 and 1.0 are one number), objects and arrays by canonical
 * JSON (JSON Schema equality). It reports Ajv's own `enum` error, so messages do not change. Small
 * enums stay Ajv's: its inlined comparisons are faster there.
 */
export const HASHED_ENUM_KEYWORD = 'x-mcp-bridge-enum';

/** Enums up to this many values stay with Ajv. */
export const HASHED_ENUM_MIN = 16;

/** Keywords whose values are data, not subschemas. */
const DATA_KEYWORDS = new Set(['enum', 'const', 'default', 'examples', HASHED_ENUM_KEYWORD]);

/** Adds the hashed enum keyword to an Ajv instance. */
export function useHashedEnums(ajv: Ajv): void {
  ajv.addKeyword(HASHED_ENUM);
}

interface ReportingFunction {
  (data: unknown): boolean;
  errors?: Partial<ErrorObject>[];
}

const HASHED_ENUM: FuncKeywordDefinition = {
  keyword: HASHED_ENUM_KEYWORD,
  schemaType: 'array',
  errors: true,
  compile(values: unknown[]) {
    const scalars = new Set<unknown>();
    const composites = new Set<string>();
    for (const v of values) {
      if (typeof v === 'object' && v !== null) composites.add(canonicalJson(v));
      else scalars.add(v);
    }
    const check: ReportingFunction = (data: unknown): boolean => {
      const found =
        typeof data === 'object' && data !== null ? composites.size > 0 && composites.has(canonicalJson(data)) : scalars.has(data);
      if (!found)
        check.errors = [{ keyword: 'enum', message: 'must be equal to one of the allowed values', params: { allowedValues: values } }];
      return found;
    };
    return check as ReturnType<NonNullable<FuncKeywordDefinition['compile']>>;
  },
};

/**
 * A copy of `schema` with every `enum` of more than {@link HASHED_ENUM_MIN} values moved to
 * {@link HASHED_ENUM_KEYWORD}; the schema itself when it has none. Iterative (the schema passed
 * the compiler's scan: bounded size and depth).
 */
export function withHashedEnums(schema: unknown): unknown {
  if (typeof schema !== 'object' || schema === null || !JSON.stringify(schema).includes('"enum"')) return schema;
  const copy = structuredClone(schema);
  let moved = false;
  const stack: unknown[] = [copy];
  while (stack.length > 0) {
    const node = stack.pop();
    if (typeof node !== 'object' || node === null) continue;
    if (Array.isArray(node)) {
      for (const item of node) stack.push(item);
      continue;
    }
    const record = node as Record<string, unknown>;
    if (Array.isArray(record.enum) && record.enum.length > HASHED_ENUM_MIN) {
      record[HASHED_ENUM_KEYWORD] = record.enum;
      delete record.enum;
      moved = true;
    }
    for (const [key, value] of Object.entries(record)) if (!DATA_KEYWORDS.has(key)) stack.push(value);
  }
  return moved ? copy : schema;
}
