/**
 * Limits a schema must stay within before it is compiled. A tool's schemas come from an upstream
 * server, which may be careless or hostile: a schema that is huge, nested past the stack, fans out
 * exponentially through `$ref`, or points at remote documents must cost the host a bounded scan,
 * never a stall or a crash.
 */
export interface SchemaLimits {
  /** Largest schema, as JSON, in bytes. */
  maxSchemaBytes: number;
  /** Deepest nesting of subschemas. */
  maxDepth: number;
  /** Most `$ref` / `$dynamicRef` / `$recursiveRef` keywords in one schema. */
  maxRefs: number;
  /** Longest chain of references followed one into another. */
  maxRefDepth: number;
  /** Most branches of one `anyOf` / `oneOf` / `allOf`. */
  maxCompositionWidth: number;
  /** Most `anyOf` / `oneOf` / `allOf` nested in one another (references followed). */
  maxCompositionDepth: number;
  /** Most subschemas once every local reference is expanded (catches exponential fan-out). */
  maxExpansion: number;
  /** Most distinct regular expressions (`pattern`, `patternProperties`). */
  maxPatterns: number;
  /** Longest regular expression source. */
  maxPatternLength: number;
  /** Time budget of one schema's checks and compilation, in ms. */
  maxCompileMs: number;
}

/** Defaults of {@link SchemaLimits}: generous for real tools (their schemas are a few KiB). */
export const DEFAULT_LIMITS: SchemaLimits = {
  maxSchemaBytes: 256 * 1024,
  maxDepth: 64,
  maxRefs: 512,
  maxRefDepth: 32,
  maxCompositionWidth: 128,
  maxCompositionDepth: 16,
  maxExpansion: 50_000,
  maxPatterns: 64,
  maxPatternLength: 1024,
  maxCompileMs: 1000,
};

/** Where a regular expression sits in a schema. */
export interface PatternUse {
  readonly source: string;
  /** `pattern` keyword (can be dropped on its own), or a `patternProperties` key (cannot). */
  readonly kind: 'pattern' | 'patternProperties';
}

/** What the scan found: the patterns to check, or the first limit the schema broke. */
export type ScanResult = { ok: true; patterns: PatternUse[] } | { ok: false; reason: string };

/** Keywords whose value is one subschema. */
const SCHEMA_KEYWORDS = [
  'not',
  'if',
  'then',
  'else',
  'contains',
  'additionalProperties',
  'additionalItems',
  'unevaluatedItems',
  'unevaluatedProperties',
  'propertyNames',
  'contentSchema',
  'items',
] as const;
/** Keywords whose value is an array of subschemas. */
const ARRAY_KEYWORDS = ['allOf', 'anyOf', 'oneOf', 'prefixItems', 'items'] as const;
/** Keywords whose value maps names to subschemas. */
const MAP_KEYWORDS = ['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas', 'dependencies'] as const;
const COMPOSITION = new Set(['allOf', 'anyOf', 'oneOf']);
const REF_KEYWORDS = ['$ref', '$dynamicRef', '$recursiveRef'] as const;

type Node = Record<string, unknown>;

const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The subschemas directly under a schema node, with whether the edge is a composition branch. */
function children(node: Node): { child: unknown; composition: boolean }[] {
  const out: { child: unknown; composition: boolean }[] = [];
  for (const k of SCHEMA_KEYWORDS) if (isNode(node[k]) || typeof node[k] === 'boolean') out.push({ child: node[k], composition: false });
  for (const k of ARRAY_KEYWORDS) {
    const list = node[k];
    if (Array.isArray(list)) for (const child of list) out.push({ child, composition: COMPOSITION.has(k) });
  }
  for (const k of MAP_KEYWORDS) {
    const map = node[k];
    // draft-07 `dependencies` mixes subschemas and arrays of names; arrays are skipped here.
    if (isNode(map)) for (const child of Object.values(map)) if (isNode(child)) out.push({ child, composition: false });
  }
  return out;
}

/**
 * Checks a schema against the limits without compiling it: size, depth, references (remote ones
 * refused), composition width and depth, expansion through references, and the regular
 * expressions it uses. Iterative where input decides the depth, so a deep schema cannot overflow
 * the stack; the reference walk is bounded by `maxRefDepth`.
 */
export function scanSchema(schema: unknown, limits: SchemaLimits): ScanResult {
  if (typeof schema === 'boolean') return { ok: true, patterns: [] };
  if (!isNode(schema)) return { ok: false, reason: `the schema is not an object (got ${Array.isArray(schema) ? 'array' : typeof schema})` };
  let json: string;
  try {
    json = JSON.stringify(schema);
  } catch (error) {
    return { ok: false, reason: `the schema cannot be serialised: ${(error as Error).message}` };
  }
  const bytes = Buffer.byteLength(json);
  if (bytes > limits.maxSchemaBytes) return { ok: false, reason: `the schema is ${bytes} bytes (limit ${limits.maxSchemaBytes})` };

  // Pass 1: shape, counts, ids and patterns, with an explicit stack.
  const ids = new Set<string>();
  const patterns = new Map<string, PatternUse>();
  let refs = 0;
  const stack: { node: unknown; depth: number }[] = [{ node: schema, depth: 1 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    if (!isNode(node)) continue;
    if (depth > limits.maxDepth) return { ok: false, reason: `subschemas are nested deeper than ${limits.maxDepth} levels` };
    if (typeof node.$id === 'string') ids.add(node.$id.replace(/#$/, ''));
    for (const k of REF_KEYWORDS) {
      const ref = node[k];
      if (typeof ref !== 'string') continue;
      if (++refs > limits.maxRefs) return { ok: false, reason: `more than ${limits.maxRefs} $ref keywords` };
    }
    for (const k of COMPOSITION) {
      const list = node[k];
      if (Array.isArray(list) && list.length > limits.maxCompositionWidth) {
        return { ok: false, reason: `${k} has ${list.length} branches (limit ${limits.maxCompositionWidth})` };
      }
    }
    if (typeof node.pattern === 'string') patterns.set(`p\u0000${node.pattern}`, { source: node.pattern, kind: 'pattern' });
    if (isNode(node.patternProperties)) {
      for (const key of Object.keys(node.patternProperties)) patterns.set(`pp\u0000${key}`, { source: key, kind: 'patternProperties' });
    }
    if (patterns.size > limits.maxPatterns) return { ok: false, reason: `more than ${limits.maxPatterns} regular expressions` };
    for (const { child } of children(node)) stack.push({ node: child, depth: depth + 1 });
  }
  for (const p of patterns.values()) {
    if (p.source.length > limits.maxPatternLength)
      return { ok: false, reason: `a regular expression is ${p.source.length} characters long (limit ${limits.maxPatternLength})` };
  }

  // References that leave the document are never fetched: a remote $ref is refused outright.
  const remote = findRemoteRef(schema, ids);
  if (remote !== undefined)
    return { ok: false, reason: `remote $ref "${truncate(remote, 80)}" is not loaded (only references inside the schema are allowed)` };

  // Pass 2: expansion through local references (memoised, cycles cut), ref-chain and composition depth.
  const reason = new Expansion(schema, limits).check();
  return reason === undefined ? { ok: true, patterns: [...patterns.values()] } : { ok: false, reason };
}

function findRemoteRef(root: Node, ids: Set<string>): string | undefined {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (!isNode(node)) continue;
    for (const k of REF_KEYWORDS) {
      const ref = node[k];
      if (typeof ref !== 'string' || ref.startsWith('#')) continue;
      const base = ref.split('#')[0]!;
      // A relative or absolute URI is fine only when the schema itself declares it as an $id.
      if (!ids.has(base) && ![...ids].some((id) => id.endsWith(`/${base}`) || base.endsWith(`/${id}`))) return ref;
    }
    for (const { child } of children(node)) stack.push(child);
  }
  return undefined;
}

/** Memoised walk of the reference graph: how big the schema gets once references are expanded. */
class Expansion {
  readonly #root: Node;
  readonly #limits: SchemaLimits;
  readonly #size = new Map<object, number>();
  readonly #onPath = new Set<object>();
  #reason: string | undefined;

  constructor(root: Node, limits: SchemaLimits) {
    this.#root = root;
    this.#limits = limits;
  }

  check(): string | undefined {
    const total = this.#visit(this.#root, 0, 0);
    if (this.#reason) return this.#reason;
    return total > this.#limits.maxExpansion
      ? `the schema expands to more than ${this.#limits.maxExpansion} subschemas through $ref`
      : undefined;
  }

  /** Expanded size of `node`; `refDepth` and `compDepth` are counted along the current path. */
  #visit(node: unknown, refDepth: number, compDepth: number): number {
    if (this.#reason || !isNode(node)) return 1;
    // A cycle is a recursive schema (a tree type): legal, and bounded by the data, so counted once.
    if (this.#onPath.has(node)) return 1;
    const known = this.#size.get(node);
    if (known !== undefined) return known;
    this.#onPath.add(node);
    let size = 1;
    for (const k of REF_KEYWORDS) {
      const ref = node[k];
      if (typeof ref !== 'string' || !ref.startsWith('#/')) continue;
      if (refDepth + 1 > this.#limits.maxRefDepth) {
        this.#reason = `$ref chains are longer than ${this.#limits.maxRefDepth}`;
        break;
      }
      size += this.#visit(resolvePointer(this.#root, ref), refDepth + 1, compDepth);
    }
    for (const { child, composition } of children(node)) {
      if (this.#reason) break;
      const depth = composition ? compDepth + 1 : compDepth;
      if (depth > this.#limits.maxCompositionDepth) {
        this.#reason = `anyOf/oneOf/allOf are nested deeper than ${this.#limits.maxCompositionDepth}`;
        break;
      }
      size += this.#visit(child, refDepth, depth);
      // Stop adding once past the limit: the figure only has to prove "too big".
      if (size > this.#limits.maxExpansion) break;
    }
    this.#onPath.delete(node);
    // Only sizes computed without cutting a cycle are exact; caching the others is still an upper
    // bound for the walk's purpose (the limit check), and keeps the walk linear.
    this.#size.set(node, size);
    return size;
  }
}

/** Resolves a local JSON pointer (`#/a/b~1c`) in the document; `undefined` when it leads nowhere. */
export function resolvePointer(root: unknown, ref: string): unknown {
  let node = root;
  for (const raw of ref.slice(2).split('/')) {
    if (typeof node !== 'object' || node === null) return undefined;
    let key: string;
    try {
      key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    } catch {
      return undefined;
    }
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** Shortens text for messages. */
export function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, Math.max(0, max - 3))}...` : text;
}
