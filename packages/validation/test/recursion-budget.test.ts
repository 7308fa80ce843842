import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, SchemaCompiler, validation } from '../src/index.js';
import { RECURSION_KEYWORD, RecursionBudgetError, withRecursionPoints } from '../src/recursion-budget.js';
import { schemaServer, text, useBridges } from './schema-server.js';

const { started } = useBridges();

/** A discriminated union whose branches validate the children before the `kind`: exponential in the value's depth. */
const node = (kind: string) => ({
  type: 'object',
  properties: { kids: { type: 'array', items: { $ref: '#/$defs/node' } }, kind: { const: kind } },
});
const TREE = { $ref: '#/$defs/node', $defs: { node: { anyOf: [node('leaf'), node('branch')] } } };

/** A chain `depth` levels deep, every level a `branch`. */
function chain(depth: number): unknown {
  let value: unknown = { kind: 'branch' };
  for (let i = 0; i < depth; i++) value = { kids: [value], kind: 'branch' };
  return value;
}

function compiled(schema: unknown) {
  const result = new SchemaCompiler({ limits: DEFAULT_LIMITS, unsafePatterns: 'drop', patternCheckMs: 100 }).compile(schema);
  if (!result.ok) throw new Error(result.reason);
  return result;
}

describe('recursion budget', () => {
  it('stops a value that makes a recursive anyOf re-validate its subtrees, quickly, and passes ordinary ones', () => {
    const { validate, detailed } = compiled(TREE);
    const started = performance.now();
    // 2^30 steps for Ajv alone.
    expect(() => validate(chain(30))).toThrow(RecursionBudgetError);
    expect(() => detailed()(chain(30))).toThrow(/more than \d+ evaluations of recursive subschemas/);
    const ms = performance.now() - started;
    console.log(`30-deep hostile chain refused twice in ${ms.toFixed(1)} ms`);
    expect(ms).toBeLessThan(2_000);
    // Shallow hostile values and wide honest ones pass: the budget grows with the value.
    expect(validate(chain(8))).toBe(true);
    const wide = { kids: Array.from({ length: 20_000 }, () => ({ kind: 'leaf' })), kind: 'leaf' };
    expect(validate(wide)).toBe(true);
    expect(validate({ kids: [{ kind: 'other' }], kind: 'leaf' })).toBe(false);
  });

  it('marks the points a cycle goes through, and leaves a schema without references alone', () => {
    const plain = { type: 'object', properties: { a: { type: 'string' } } };
    expect(withRecursionPoints(plain)).toEqual({ schema: plain, counted: false });
    const { schema, counted } = withRecursionPoints({
      type: 'object',
      properties: { a: { $ref: '#/properties/b' }, b: { type: 'object', properties: { c: { $ref: '#' } } } },
      $defs: { x: { type: 'string' } },
    });
    expect(counted).toBe(true);
    type Schema = { [RECURSION_KEYWORD]?: boolean; properties: Record<string, Schema>; $defs: Record<string, Schema> };
    const s = schema as Schema;
    expect(s[RECURSION_KEYWORD]).toBe(true);
    expect(s.properties.b![RECURSION_KEYWORD]).toBe(true);
    expect(s.$defs.x![RECURSION_KEYWORD]).toBe(true);
    expect(s.properties.a![RECURSION_KEYWORD]).toBeUndefined();
  });

  it('through the plugin: that call is refused naming the budget, the schema stays in use for everyone else', async () => {
    const upstream = schemaServer([
      { name: 'tree', inputSchema: { type: 'object', properties: { root: TREE.$defs.node }, $defs: TREE.$defs } },
      {
        name: 'grow',
        inputSchema: { type: 'object', properties: { depth: { type: 'integer' } } },
        outputSchema: { type: 'object', properties: { root: { $ref: '#/$defs/node' } }, $defs: TREE.$defs },
        result: (args) => ({ content: [{ type: 'text', text: 'grown' }], structuredContent: { root: chain(Number(args?.depth)) } }),
      },
    ]);
    const bridge = await started({ servers: { s: upstream.config }, plugins: [validation()] });
    const hostile = await bridge.callTool('tree', { root: chain(29) });
    expect(hostile.isError).toBe(true);
    expect(text(hostile)).toMatch(/too costly to validate/);
    expect(upstream.count('tree')).toBe(0);
    // An honest caller: validated as before.
    expect((await bridge.callTool('tree', { root: chain(5) })).isError).toBeFalsy();
    expect((await bridge.callTool('tree', { root: { kind: 'other' } })).isError).toBe(true);
    expect(upstream.count('tree')).toBe(1);
    expect(bridge.validation.stats().unsafeSchemas).toBe(0);
    // The same from an upstream's structuredContent: the result is refused, with the rule named.
    const answer = await bridge.callTool('grow', { depth: 29 });
    expect(answer.isError).toBe(true);
    expect(JSON.stringify(answer._meta)).toMatch(/"rule":"budget"/);
    expect((await bridge.callTool('grow', { depth: 5 })).isError).toBeFalsy();
  });
});
