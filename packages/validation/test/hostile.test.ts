import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, PatternGuard, SchemaCompiler, scanSchema, validation, type ValidationWarningEvent } from '../src/index.js';
import { schemaServer, text, useBridges, type FixtureTool } from './schema-server.js';

const { started } = useBridges();

/** A 40-link chain: $defs/l0 → l1 → ... → l39 → integer. */
const refChain = (links: number) => ({
  type: 'object',
  properties: { v: { $ref: '#/$defs/l0' } },
  $defs: Object.fromEntries(
    Array.from({ length: links }, (_, i) => [`l${i}`, i === links - 1 ? { type: 'integer' } : { $ref: `#/$defs/l${i + 1}` }]),
  ),
});

/** Each level refers to the next one twice: 2^depth subschemas once expanded. */
const fanOut = (depth: number) => ({
  type: 'object',
  properties: { v: { $ref: '#/$defs/d0' } },
  $defs: Object.fromEntries(
    Array.from({ length: depth }, (_, i) => [
      `d${i}`,
      i === depth - 1
        ? { type: 'integer' }
        : { type: 'object', properties: { l: { $ref: `#/$defs/d${i + 1}` }, r: { $ref: `#/$defs/d${i + 1}` } } },
    ]),
  ),
});

/** The same with allOf: every branch validates the same value again, 2^depth times. */
const allOfFanOut = (depth: number) => ({
  type: 'object',
  properties: { v: { $ref: '#/$defs/d0' } },
  $defs: Object.fromEntries(
    Array.from({ length: depth }, (_, i) => [
      `d${i}`,
      i === depth - 1 ? { type: 'integer' } : { allOf: [{ $ref: `#/$defs/d${i + 1}` }, { $ref: `#/$defs/d${i + 1}` }] },
    ]),
  ),
});

const deepNesting = (levels: number) => {
  let schema: Record<string, unknown> = { type: 'integer' };
  for (let i = 0; i < levels; i++) schema = { type: 'object', properties: { x: schema } };
  return schema;
};

const HOSTILE: { tool: FixtureTool; reason: RegExp }[] = [
  { tool: { name: 'ref_chain', inputSchema: refChain(40) }, reason: /\$ref chains are longer than 32/ },
  { tool: { name: 'fan_out', inputSchema: fanOut(30) }, reason: /expands to more than 50000 subschemas through \$ref/ },
  { tool: { name: 'all_of_fan_out', inputSchema: allOfFanOut(16) }, reason: /expands to more than 50000 subschemas through \$ref/ },
  {
    tool: {
      name: 'wide_any_of',
      inputSchema: { type: 'object', properties: { v: { anyOf: Array.from({ length: 5_000 }, (_, i) => ({ const: i })) } } },
    },
    reason: /anyOf has 5000 branches \(limit 128\)/,
  },
  { tool: { name: 'deep', inputSchema: deepNesting(500) }, reason: /nested deeper than 64 levels/ },
  {
    tool: {
      name: 'giant',
      inputSchema: {
        type: 'object',
        properties: Object.fromEntries(
          Array.from({ length: 20_000 }, (_, i) => [`field_${i}`, { type: 'string', description: 'x'.repeat(20) }]),
        ),
      },
    },
    reason: /the schema is \d+ bytes \(limit 262144\)/,
  },
  {
    tool: { name: 'remote', inputSchema: { type: 'object', properties: { v: { $ref: 'https://evil.example/schema.json' } } } },
    reason: /remote \$ref "https:\/\/evil.example\/schema.json" is not loaded/,
  },
  {
    tool: {
      name: 'nested_composition',
      inputSchema: (() => {
        let s: Record<string, unknown> = { type: 'integer' };
        for (let i = 0; i < 20; i++) s = { anyOf: [s, { type: 'null' }] };
        return { type: 'object', properties: { v: s } };
      })(),
    },
    reason: /anyOf\/oneOf\/allOf are nested deeper than 16/,
  },
];

describe('hostile schemas', () => {
  it('default policy (skip): each is scanned fast, not validated, and reported once with the reason; calls go through', async () => {
    const upstream = schemaServer(HOSTILE.map((h) => h.tool));
    const warnings: ValidationWarningEvent[] = [];
    const bridge = await started({ servers: { s: upstream.config }, plugins: [validation()] });
    bridge.on('validation:warning', (w) => warnings.push(w));
    for (const { tool, reason } of HOSTILE) {
      const t0 = performance.now();
      const result = await bridge.callTool(tool.name, { v: 1 });
      const ms = performance.now() - t0;
      expect(result.isError, tool.name).toBeFalsy();
      // Generous for a loaded host; a stall would take minutes (or forever).
      expect(ms, tool.name).toBeLessThan(2_000);
      const warning = warnings.find((w) => w.tool === tool.name);
      expect(warning?.kind, tool.name).toBe('schema');
      expect(warning?.message, tool.name).toMatch(reason);
      await bridge.callTool(tool.name, { v: 2 });
    }
    // Scanned once per schema, whatever the number of calls.
    expect(warnings).toHaveLength(HOSTILE.length);
    expect(bridge.validation.stats().unsafeSchemas).toBe(HOSTILE.length);
    expect(upstream.calls).toHaveLength(HOSTILE.length * 2);
  });

  it('policy refuse: calls to those tools are answered with the reason and never sent', async () => {
    const upstream = schemaServer(HOSTILE.map((h) => h.tool));
    const bridge = await started({ servers: { s: upstream.config }, plugins: [validation({ onUnsafeSchema: 'refuse' })] });
    for (const { tool, reason } of HOSTILE) {
      const result = await bridge.callTool(tool.name, { v: 1 });
      expect(result.isError, tool.name).toBe(true);
      expect(text(result), tool.name).toMatch(reason);
    }
    expect(upstream.calls).toHaveLength(0);
  });

  it('limits are configurable', async () => {
    const upstream = schemaServer([{ name: 'ref_chain', inputSchema: refChain(40) }]);
    const bridge = await started({ servers: { s: upstream.config }, plugins: [validation({ limits: { maxRefDepth: 64 } })] });
    expect(text(await bridge.callTool('ref_chain', { v: 'x' }))).toMatch(/\/v: must be integer/);
    expect(upstream.count('ref_chain')).toBe(0);
  });

  it('a catastrophic-backtracking pattern never runs: the keyword is dropped (warning), the rest still validated, and the call returns fast', async () => {
    const redos = {
      name: 'redos',
      inputSchema: {
        type: 'object',
        properties: {
          id: { type: 'string', pattern: '^(a|aa)+$', maxLength: 100_000 },
          code: { type: 'string', pattern: '^[A-Z]{3}-\\d{4}$' },
          n: { type: 'integer' },
        },
      },
    };
    const upstream = schemaServer([redos]);
    const warnings: ValidationWarningEvent[] = [];
    // A wide analysis budget: this host is shared and noisy, and the safe pattern must be cleared.
    const bridge = await started({ servers: { s: upstream.config }, plugins: [validation({ patternCheckMs: 400 })] });
    bridge.on('validation:warning', (w) => warnings.push(w));
    // With a backtracking engine, ^(a|aa)+$ against 'a' * 50 + '!' takes longer than the universe has.
    const evil = `${'a'.repeat(50_000)}!`;
    const t0 = performance.now();
    const result = await bridge.callTool('redos', { id: evil, code: 'bad', n: 'x' });
    expect(performance.now() - t0).toBeLessThan(2_000);
    expect(result.isError).toBe(true);
    // The safe pattern and the other rules are still enforced.
    expect(text(result)).toMatch(/\/code: must match pattern "\^\[A-Z\]\{3\}-\\d\{4\}\$" \[rule: pattern/);
    expect(text(result)).toMatch(/\/n: must be integer/);
    expect(text(result)).not.toMatch(/\/id:/);
    expect(warnings.map((w) => w.kind)).toEqual(['schema']);
    expect(warnings[0]!.message).toMatch(/1 unsafe "pattern" keyword\(s\) are not checked: "\^\(a\|aa\)\+\$"/);
    expect((await bridge.callTool('redos', { id: evil, code: 'ABC-1234', n: 1 })).isError).toBeFalsy();
    expect(upstream.count('redos')).toBe(1);
  });

  it('unsafePatterns: reject treats such a schema as unsafe (then onUnsafeSchema decides)', async () => {
    const upstream = schemaServer([
      { name: 'redos', inputSchema: { type: 'object', properties: { id: { type: 'string', pattern: '(x+x+)+y' } } } },
    ]);
    const bridge = await started({
      servers: { s: upstream.config },
      plugins: [validation({ unsafePatterns: 'reject', onUnsafeSchema: 'refuse' })],
    });
    const t0 = performance.now();
    const result = await bridge.callTool('redos', { id: 'x'.repeat(40) });
    expect(performance.now() - t0).toBeLessThan(2_000);
    expect(text(result)).toMatch(/regular expression "\(x\+x\+\)\+y" is unsafe/);
    expect(upstream.calls).toHaveLength(0);
  });

  it('a self-referencing schema that recurses without consuming data fails at run time without crashing the host', async () => {
    const loop = {
      name: 'loop',
      inputSchema: {
        type: 'object',
        properties: { v: { $ref: '#/$defs/a' } },
        $defs: { a: { anyOf: [{ $ref: '#/$defs/a' }, { type: 'string' }] } },
      },
    };
    const upstream = schemaServer([loop]);
    const warnings: ValidationWarningEvent[] = [];
    const bridge = await started({ servers: { s: upstream.config }, plugins: [validation({ onUnsafeSchema: 'refuse' })] });
    bridge.on('validation:warning', (w) => warnings.push(w));
    const result = await bridge.callTool('loop', { v: 1 });
    expect(result.isError).toBe(true);
    expect(text(result)).toMatch(/validation failed to run: Maximum call stack size exceeded/);
    expect(warnings[0]!.message).toMatch(/is not used: validation failed to run/);
    expect(upstream.calls).toHaveLength(0);
  });
});

describe('compile budget', () => {
  it('many patterns that cannot be cleared: the analysis stops at maxCompileMs and the schema is unsafe', () => {
    const compiler = new SchemaCompiler({ limits: { ...DEFAULT_LIMITS, maxCompileMs: 300 }, unsafePatterns: 'drop', patternCheckMs: 100 });
    const properties = Object.fromEntries(
      Array.from({ length: 40 }, (_, i) => [`p${i}`, { type: 'string', pattern: `^(a|a${'a'.repeat(i % 5)})+x${i}$` }]),
    );
    const t0 = performance.now();
    const result = compiler.compile({ type: 'object', properties });
    const ms = performance.now() - t0;
    expect(result).toMatchObject({ ok: false, reason: expect.stringMatching(/took longer than 300 ms|no time left/) });
    // 40 patterns at 100 ms each would be 4 s; the budget stops it near 300 ms (wide margin for a loaded host).
    expect(ms).toBeLessThan(2_500);
  });

  it('an unsafe patternProperties key makes the schema unsafe (it cannot be dropped on its own)', () => {
    const compiler = new SchemaCompiler({ limits: DEFAULT_LIMITS, unsafePatterns: 'drop', patternCheckMs: 100 });
    const result = compiler.compile({ type: 'object', patternProperties: { '^(a+)+$': { type: 'string' } } });
    expect(result).toMatchObject({ ok: false, reason: expect.stringMatching(/regular expression "\^\(a\+\)\+\$" is unsafe/) });
  });
});

describe('scanSchema and PatternGuard', () => {
  it('lets ordinary schemas through, with their patterns', () => {
    const result = scanSchema(
      {
        type: 'object',
        properties: { a: { type: 'string', pattern: '^x$' }, pattern: { type: 'string' } },
        patternProperties: { '^p_': { type: 'number' } },
        $defs: { t: { $ref: '#/$defs/t' } },
      },
      DEFAULT_LIMITS,
    );
    expect(result).toEqual({
      ok: true,
      patterns: [
        { source: '^p_', kind: 'patternProperties' },
        { source: '^x$', kind: 'pattern' },
      ],
    });
  });

  it('allows a $ref to an $id the schema declares itself', () => {
    const schema = {
      $id: 'https://example.com/root',
      type: 'object',
      properties: { v: { $ref: 'item' } },
      $defs: { item: { $id: 'item', type: 'integer' } },
    };
    expect(scanSchema(schema, DEFAULT_LIMITS).ok).toBe(true);
  });

  it('clears linear patterns and flags backtracking ones within its budget', () => {
    const guard = new PatternGuard();
    for (const safe of ['^[a-z0-9_-]{3,16}$', '^\\d{4}-\\d{2}-\\d{2}$', '^https?://\\S+$'])
      expect(guard.check(safe, 100).safe, safe).toBe(true);
    for (const unsafe of ['^(a+)+$', '^(a|aa)+$', '(\\d|\\d\\d)+x']) {
      const t0 = performance.now();
      expect(guard.check(unsafe, 50).safe, unsafe).toBe(false);
      expect(performance.now() - t0).toBeLessThan(1_000);
    }
    expect(guard.check('([a-', 50)).toMatchObject({ safe: false, reason: expect.stringMatching(/invalid regular expression/) });
  });
});
