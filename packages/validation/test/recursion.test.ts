import { describe, expect, it } from 'vitest';
import { validation } from '../src/index.js';
import { schemaServer, useBridges } from './schema-server.js';

const { started } = useBridges();

describe('recursive schemas', () => {
  it('one caller sending arguments nested too deeply is refused, and validation stays on for everyone else', async () => {
    const tree = {
      name: 'tree',
      inputSchema: {
        type: 'object',
        $defs: {
          node: { type: 'object', properties: { label: { type: 'string' }, child: { $ref: '#/$defs/node' } }, additionalProperties: false },
        },
        properties: { root: { $ref: '#/$defs/node' } },
        required: ['root'],
        additionalProperties: false,
      },
    };
    const upstream = schemaServer([tree]);
    // Core's own bound (`requestLimits.maxDepth`) opened wide: this is the plugin's own defence behind it.
    const bridge = await started({ servers: { s: upstream.config }, plugins: [validation()], requestLimits: { maxDepth: 1_000_000 } });
    // Before: an invalid call is refused.
    const before = await bridge.callTool('tree', { root: { label: 42 } });
    expect(before.isError).toBe(true);
    // A hostile caller: 20,000 levels deep (valid JSON, ~300 KB).
    let deep: Record<string, unknown> = { label: 'x' };
    for (let i = 0; i < 20_000; i++) deep = { child: deep };
    const hostile = await bridge.callTool('tree', { root: deep });
    expect(hostile.isError).toBe(true);
    expect((hostile.content[0] as { text: string }).text).toMatch(/nested too deeply/);
    // After: an invalid call from an honest caller is still refused; the schema is still in use.
    const after = await bridge.callTool('tree', { root: { label: 42 }, extra: 'not allowed' });
    expect(after.isError).toBe(true);
    expect(upstream.count('tree')).toBe(0);
    expect(bridge.validation.stats().unsafeSchemas).toBe(0);
  });

  it('the commonest recursive schema (a root $ref: "#") compiles and validates', async () => {
    const recursive = {
      name: 'filter',
      inputSchema: {
        type: 'object',
        properties: { op: { enum: ['and', 'or', 'eq'] }, args: { type: 'array', items: { $ref: '#' } } },
        required: ['op'],
        additionalProperties: false,
      },
    };
    const upstream = schemaServer([recursive]);
    const warnings: string[] = [];
    const bridge = await started({ servers: { s: upstream.config }, plugins: [validation()] });
    bridge.on('validation:warning', (w) => warnings.push(w.message));
    const result = await bridge.callTool('filter', { op: 'nope', args: 'x' });
    expect(result.isError).toBe(true);
    expect(upstream.count('filter')).toBe(0);
    expect(warnings).toEqual([]);
    expect((await bridge.callTool('filter', { op: 'and', args: [{ op: 'eq' }, { op: 'or', args: [] }] })).isError).toBeFalsy();
  });
});
