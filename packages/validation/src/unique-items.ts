import type { Ajv, ErrorObject, FuncKeywordDefinition } from 'ajv';

/**
 * `uniqueItems` in O(n): Ajv's own check compares every pair of items with a deep equality unless
 * the schema types the items as scalars, so one 300 KB request `{ xs: [[0], [1], ...] }` against an
 * ordinary `uniqueItems: true` blocks the event loop for 17-39 s. This keyword replaces it on every
 * Ajv instance the compiler builds: scalars are keys of a Map (SameValueZero: 1 and 1.0 are one
 * number, 0 and -0 too), objects and arrays are keys by a canonical JSON text (object keys sorted),
 * which is JSON Schema's equality. Same error as Ajv's (`params: { i, j }`), so messages do not change.
 */
export function useLinearUniqueItems(ajv: Ajv): void {
  ajv.removeKeyword('uniqueItems');
  ajv.addKeyword(UNIQUE_ITEMS);
}

interface ReportingFunction {
  (schema: unknown, data: unknown): boolean;
  errors?: Partial<ErrorObject>[];
}

const checkUnique: ReportingFunction = function (schema: unknown, data: unknown): boolean {
  if (schema !== true || !Array.isArray(data) || data.length < 2) return true;
  const duplicate = firstDuplicate(data);
  if (duplicate === undefined) return true;
  const [j, i] = duplicate;
  checkUnique.errors = [
    { keyword: 'uniqueItems', message: `must NOT have duplicate items (items ## ${j} and ${i} are identical)`, params: { i, j } },
  ];
  return false;
};

const UNIQUE_ITEMS: FuncKeywordDefinition = {
  keyword: 'uniqueItems',
  type: 'array',
  schemaType: 'boolean',
  errors: true,
  validate: checkUnique as FuncKeywordDefinition['validate'],
};

/** The indices `[earlier, later]` of the first item equal to an earlier one, or `undefined`. */
export function firstDuplicate(items: readonly unknown[]): [number, number] | undefined {
  const scalars = new Map<unknown, number>();
  let composites: Map<string, number> | undefined;
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (typeof item === 'object' && item !== null) {
      composites ??= new Map();
      const key = canonicalJson(item);
      const seen = composites.get(key);
      if (seen !== undefined) return [seen, i];
      composites.set(key, i);
    } else {
      const seen = scalars.get(item);
      if (seen !== undefined) return [seen, i];
      scalars.set(item, i);
    }
  }
  return undefined;
}

/**
 * A JSON text equal for equal JSON values whatever their key order: object keys sorted, numbers as
 * JavaScript prints them (1.0 is 1). Recursive: a value nested past the stack throws RangeError,
 * which the plugin treats as the value being too deep (that call's problem), as it does for Ajv's.
 */
export function canonicalJson(value: unknown): string {
  if (typeof value !== 'object' || value === null) return typeof value === 'string' ? JSON.stringify(value) : String(value);
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i === 0 ? '' : ',') + canonicalJson(value[i]);
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  let out = '{';
  for (let i = 0; i < keys.length; i++) out += `${i === 0 ? '' : ','}${JSON.stringify(keys[i])}:${canonicalJson(record[keys[i]!])}`;
  return `${out}}`;
}
