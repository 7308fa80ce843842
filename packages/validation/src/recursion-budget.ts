import type { Ajv, ValidateFunction } from 'ajv';

/**
 * A recursive schema can cost time exponential in the depth of the value it validates: with
 * `anyOf: [{ properties: { kids: { items: { $ref: node } }, kind: { const: 'a' } } }, ...]` every
 * branch validates the whole subtree before it fails on `kind`, then the next branch validates it
 * again (2^depth for a value 20 levels deep: 0.3 s; 30 levels: minutes). Every point a cycle can go
 * through (the root, `$defs`/`definitions` entries, subschemas with an `$id` or anchor, targets of
 * local `$ref`s) gets a keyword that counts its evaluations; past {@link RECURSION_STEPS_PER_NODE} per
 * node of the value (and at least {@link MIN_RECURSION_STEPS}) validation stops with a
 * {@link RecursionBudgetError}: the value's problem, for that call only. A linear validation
 * evaluates each such point a few times per node at most; schemas without references are left alone
 * (nothing can recurse), so they pay nothing.
 */
export const RECURSION_KEYWORD = 'x-mcp-bridge-recursion';

/** Evaluations of recursion points allowed per node of the value. */
export const RECURSION_STEPS_PER_NODE = 64;
/** Evaluations always allowed, whatever the value's size (counting its nodes is not free). */
export const MIN_RECURSION_STEPS = 100_000;

/** Validation stopped: the value made a recursive schema re-validate the same parts too often. */
export class RecursionBudgetError extends Error {
  override readonly name = 'RecursionBudgetError';
}

/** The count of one running validation (validation is synchronous: one runs at a time). */
export class RecursionBudget {
  #steps = 0;
  #limit = MIN_RECURSION_STEPS;
  #value: unknown;
  #sized = false;

  /** Adds the counting keyword to an Ajv instance. */
  install(ajv: Ajv): void {
    ajv.addKeyword({ keyword: RECURSION_KEYWORD, schemaType: 'boolean', errors: false, validate: () => this.#step() });
  }

  /** `validate`, counting from zero on each call; the same function when the schema has no recursion points. */
  wrap(validate: ValidateFunction, counted: boolean): ValidateFunction {
    if (!counted) return validate;
    const wrapped = ((data: unknown, ...rest: unknown[]): boolean => {
      this.#steps = 0;
      this.#limit = MIN_RECURSION_STEPS;
      this.#value = data;
      this.#sized = false;
      try {
        return (validate as (...args: unknown[]) => boolean)(data, ...rest);
      } finally {
        wrapped.errors = validate.errors;
        this.#value = undefined;
      }
    }) as ValidateFunction;
    return Object.assign(wrapped, { schema: validate.schema, schemaEnv: validate.schemaEnv });
  }

  #step(): boolean {
    if (++this.#steps <= this.#limit) return true;
    if (!this.#sized) {
      // Only a validation this long pays for counting the value's nodes.
      this.#sized = true;
      this.#limit = Math.max(MIN_RECURSION_STEPS, RECURSION_STEPS_PER_NODE * nodesOf(this.#value));
      if (this.#steps <= this.#limit) return true;
    }
    throw new RecursionBudgetError(
      `validating it took more than ${this.#limit} evaluations of recursive subschemas (${RECURSION_STEPS_PER_NODE} per value node): ` +
        'the schema re-validates the same nested parts again and again (anyOf/oneOf/allOf over a $ref)',
    );
  }
}

/** Objects, arrays and scalars in a value, counted iteratively. */
function nodesOf(value: unknown): number {
  const stack: unknown[] = [value];
  let count = 0;
  while (stack.length > 0) {
    const v = stack.pop();
    count++;
    if (typeof v !== 'object' || v === null) continue;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push(child);
  }
  return count;
}

/** Keywords whose values are data, not subschemas. */
const DATA_KEYWORDS = new Set(['enum', 'const', 'default', 'examples']);
const ANCHORS = ['$id', '$anchor', '$dynamicAnchor', '$recursiveAnchor'] as const;
const REFS = ['$ref', '$dynamicRef', '$recursiveRef'] as const;

type Node = Record<string, unknown>;
const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A copy of `schema` with {@link RECURSION_KEYWORD} on every point a cycle can go through, and
 * whether it has any (a schema without references is returned as it is). Iterative: the schema
 * passed the compiler's scan (bounded size and depth) already.
 */
export function withRecursionPoints(schema: unknown): { schema: unknown; counted: boolean } {
  if (!isNode(schema) || !/"\$(ref|dynamicRef|recursiveRef)"/.test(JSON.stringify(schema))) return { schema, counted: false };
  const copy = structuredClone(schema);
  const points: Node[] = [copy];
  const refs: string[] = [];
  const stack: { node: unknown; definitions: boolean }[] = [{ node: copy, definitions: false }];
  while (stack.length > 0) {
    const { node, definitions } = stack.pop()!;
    if (Array.isArray(node)) {
      for (const item of node) stack.push({ node: item, definitions: false });
      continue;
    }
    if (!isNode(node)) continue;
    if (definitions) {
      // Entries of $defs / definitions: each is a subschema a `$ref` may name.
      for (const entry of Object.values(node)) stack.push({ node: entry, definitions: false });
      for (const entry of Object.values(node)) if (isNode(entry)) points.push(entry);
      continue;
    }
    if (ANCHORS.some((k) => typeof node[k] === 'string' || node[k] === true)) points.push(node);
    for (const k of REFS) if (typeof node[k] === 'string') refs.push(node[k]);
    for (const [key, value] of Object.entries(node)) {
      if (DATA_KEYWORDS.has(key)) continue;
      stack.push({ node: value, definitions: key === '$defs' || key === 'definitions' });
    }
  }
  for (const ref of refs) {
    const target = ref.startsWith('#/') ? resolvePointer(copy, ref.slice(2)) : undefined;
    if (isNode(target)) points.push(target);
  }
  for (const point of points) point[RECURSION_KEYWORD] = true;
  return { schema: copy, counted: true };
}

function resolvePointer(root: unknown, pointer: string): unknown {
  let node = root;
  for (const raw of pointer.split('/')) {
    let key: string;
    try {
      key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    } catch {
      return undefined;
    }
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}
