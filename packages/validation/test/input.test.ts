import { describe, expect, it } from 'vitest';
import { validation, VALIDATION_META_KEY, type ValidationWarningEvent } from '../src/index.js';
import { schemaServer, text, useBridges } from './schema-server.js';

const { started } = useBridges();

const searchTool = {
  name: 'search',
  inputSchema: {
    type: 'object',
    properties: {
      query: { type: 'string', minLength: 1 },
      limit: { type: 'integer', minimum: 1, maximum: 100 },
      sort: { enum: ['asc', 'desc'] },
      email: { type: 'string', format: 'email' },
    },
    required: ['query'],
    additionalProperties: false,
  },
};

describe('arguments against inputSchema', () => {
  it('answers an invalid call with an isError result naming every field, rule and value, without reaching the upstream', async () => {
    const upstream = schemaServer([searchTool]);
    const rejected: unknown[] = [];
    const bridge = await started({ servers: { s: upstream.config }, plugins: [validation()] });
    bridge.on('validation:rejected', (e) => rejected.push(e.issues));

    const result = await bridge.callTool('search', { limit: 500, sort: 'up', email: 'not-an-email', extra: 'x'.repeat(500) });
    expect(result.isError).toBe(true);
    expect(upstream.count('search')).toBe(0);
    const message = text(result);
    expect(message).toContain('Invalid arguments for tool "search"');
    expect(message).toContain('not sent to the server');
    expect(message).toMatch(/- \/query: must have required property 'query' \[rule: required; expected: present; given: nothing\]/);
    expect(message).toMatch(/- \/limit: must be <= 100 \[rule: maximum; expected: <= 100; given: 500\]/);
    expect(message).toMatch(
      /- \/sort: must be equal to one of the allowed values \[rule: enum; expected: one of "asc", "desc"; given: "up"\]/,
    );
    expect(message).toMatch(
      /- \/email: must match format "email" \[rule: format; expected: a string in format "email"; given: "not-an-email"\]/,
    );
    // The long value is truncated in the message.
    expect(message).toMatch(
      /- \/extra: must NOT have additional properties \[rule: additionalProperties; expected: no other properties; given: "x{20,}\.\.\.\]/,
    );
    expect(message).not.toContain('x'.repeat(200));
    expect(message).toContain('Expected arguments: { query: string, limit?: integer, sort?: "asc" | "desc", email?: string }');
    const meta = (result._meta as Record<string, { kind: string; issues: { path: string; rule: string }[] }>)[VALIDATION_META_KEY]!;
    expect(meta.kind).toBe('input');
    expect(meta.issues.map((i) => `${i.path}:${i.rule}`).sort()).toEqual([
      '/email:format',
      '/extra:additionalProperties',
      '/limit:maximum',
      '/query:required',
      '/sort:enum',
    ]);
    expect(rejected).toHaveLength(1);
    expect(bridge.validation.stats().inputRejected).toBe(1);

    // A valid call goes through unchanged.
    const ok = await bridge.callTool('search', { query: 'mcp', limit: 5 });
    expect(ok.isError).toBeFalsy();
    expect(upstream.calls).toEqual([{ name: 'search', args: { query: 'mcp', limit: 5 } }]);
  });

  it('caps the listed issues and says how many more there are', async () => {
    const properties = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`f${i}`, { type: 'integer' }]));
    const upstream = schemaServer([{ name: 'wide', inputSchema: { type: 'object', properties } }]);
    const bridge = await started({ servers: { s: upstream.config }, plugins: [validation({ maxErrors: 3 })] });
    const args = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`f${i}`, 'x']));
    const result = await bridge.callTool('wide', args);
    expect(result.isError).toBe(true);
    expect(text(result)).toContain('30 problems');
    expect(text(result).match(/^- \/f\d+:/gm)).toHaveLength(3);
    expect(text(result)).toContain('... and 27 more');
    expect(upstream.count('wide')).toBe(0);
  });

  it('validates missing arguments as an empty object', async () => {
    const upstream = schemaServer([searchTool]);
    const bridge = await started({ servers: { s: upstream.config }, plugins: [validation()] });
    const result = await bridge.callTool('search');
    expect(text(result)).toContain("/query: must have required property 'query'");
    expect(upstream.count('search')).toBe(0);
  });

  it('JSON Schema 2020-12 by default: prefixItems, $defs, dependentRequired, unevaluatedProperties', async () => {
    const upstream = schemaServer([
      {
        name: 'modern',
        inputSchema: {
          type: 'object',
          properties: {
            point: { type: 'array', prefixItems: [{ type: 'number' }, { type: 'string' }], items: false },
            owner: { $ref: '#/$defs/user' },
            card: { type: 'string' },
            billing: { type: 'string' },
          },
          dependentRequired: { card: ['billing'] },
          $defs: { user: { type: 'object', properties: { id: { type: 'integer' } }, required: ['id'], unevaluatedProperties: false } },
        },
      },
    ]);
    const bridge = await started({ servers: { s: upstream.config }, plugins: [validation()] });
    const bad = await bridge.callTool('modern', { point: ['x', 2, 3], owner: { id: 'one', nick: 'a' }, card: '4242' });
    const message = text(bad);
    expect(message).toMatch(/\/point\/0: must be number \[rule: type; expected: number; given: "x"\]/);
    expect(message).toMatch(/\/point\/1: must be string \[rule: type/);
    expect(message).toMatch(/\/point: must NOT have more than 2 items \[rule: items/);
    expect(message).toMatch(/\/owner\/id: must be integer/);
    expect(message).toMatch(/\/owner\/nick: must NOT have unevaluated properties \[rule: unevaluatedProperties/);
    expect(message).toMatch(
      /\/billing: must have property billing when property card is present \[rule: dependentRequired; expected: present \(required when "card" is given\)/,
    );
    expect(upstream.count('modern')).toBe(0);
    const good = await bridge.callTool('modern', { point: [1, 'a'], owner: { id: 1 }, card: '4242', billing: 'x' });
    expect(good.isError).toBeFalsy();
    expect(upstream.count('modern')).toBe(1);
  });

  it('draft-07 by $schema: definitions, dependencies, items as an array, additionalItems', async () => {
    const upstream = schemaServer([
      {
        name: 'legacy',
        inputSchema: {
          $schema: 'http://json-schema.org/draft-07/schema#',
          type: 'object',
          properties: {
            pair: { type: 'array', items: [{ type: 'integer' }, { type: 'boolean' }], additionalItems: false },
            owner: { $ref: '#/definitions/user' },
            card: { type: 'string' },
          },
          dependencies: { card: ['billing'] },
          definitions: { user: { type: 'object', required: ['id'] } },
        },
      },
    ]);
    const bridge = await started({ servers: { s: upstream.config }, plugins: [validation()] });
    const bad = await bridge.callTool('legacy', { pair: [1, 'no', 3], owner: {}, card: 'x' });
    const message = text(bad);
    expect(message).toMatch(/\/pair\/1: must be boolean/);
    expect(message).toMatch(/\/pair: must NOT have more than 2 items \[rule: additionalItems/);
    expect(message).toMatch(/\/owner\/id: must have required property 'id'/);
    expect(message).toMatch(/\/billing: must have property billing when property card is present \[rule: dependencies/);
    expect(upstream.count('legacy')).toBe(0);
    expect((await bridge.callTool('legacy', { pair: [1, true], owner: { id: 1 }, card: 'x', billing: 'y' })).isError).toBeFalsy();

    // The same keywords mean something else in 2020-12: there `items: [...]` is not the tuple form.
    const modern = schemaServer([
      { name: 'tuple', inputSchema: { type: 'object', properties: { pair: { type: 'array', items: [{ type: 'integer' }] } } } },
    ]);
    const warnings: ValidationWarningEvent[] = [];
    const b2 = await started({ servers: { m: modern.config }, plugins: [validation()] });
    b2.on('validation:warning', (w) => warnings.push(w));
    const r = await b2.callTool('tuple', { pair: ['a'] });
    // 2020-12 rejects the array form of items as an invalid schema: not validated, with a warning.
    expect(r.isError).toBeFalsy();
    expect(modern.count('tuple')).toBe(1);
    expect(warnings.map((w) => w.kind)).toEqual(['schema']);
    expect(warnings[0]!.message).toMatch(/does not compile/);
  });

  it('2019-09 and draft-06 by $schema', async () => {
    const upstream = schemaServer([
      {
        name: 'y2019',
        inputSchema: {
          $schema: 'https://json-schema.org/draft/2019-09/schema',
          type: 'object',
          properties: { a: { type: 'integer' } },
          dependentRequired: { a: ['b'] },
        },
      },
      {
        name: 'd6',
        inputSchema: {
          $schema: 'http://json-schema.org/draft-06/schema#',
          type: 'object',
          properties: { a: { type: 'integer', exclusiveMinimum: 0 } },
        },
      },
    ]);
    const bridge = await started({ servers: { s: upstream.config }, plugins: [validation()] });
    expect(text(await bridge.callTool('y2019', { a: 1 }))).toMatch(/\/b: must have property b when property a is present/);
    expect(text(await bridge.callTool('d6', { a: 0 }))).toMatch(/\/a: must be > 0 \[rule: exclusiveMinimum; expected: > 0; given: 0\]/);
    expect(upstream.calls).toHaveLength(0);
    expect((await bridge.callTool('d6', { a: 1 })).isError).toBeFalsy();
  });

  it('an unsupported $schema dialect is not validated, with a warning (or refused with onUnsafeSchema: refuse)', async () => {
    const tool = {
      name: 'old',
      inputSchema: { $schema: 'http://json-schema.org/draft-04/schema#', type: 'object', properties: { a: { type: 'integer' } } },
    };
    const upstream = schemaServer([tool]);
    const warnings: ValidationWarningEvent[] = [];
    const bridge = await started({ servers: { s: upstream.config }, plugins: [validation()] });
    bridge.on('validation:warning', (w) => warnings.push(w));
    expect((await bridge.callTool('old', { a: 'x' })).isError).toBeFalsy();
    expect(warnings[0]!.message).toMatch(/unsupported JSON Schema dialect "http:\/\/json-schema.org\/draft-04\/schema#"/);

    const refusing = schemaServer([tool]);
    const b2 = await started({ servers: { s: refusing.config }, plugins: [validation({ onUnsafeSchema: 'refuse' })] });
    const r = await b2.callTool('old', { a: 1 });
    expect(r.isError).toBe(true);
    expect(text(r)).toMatch(
      /cannot be called through this bridge: its inputSchema was refused by validation \(unsupported JSON Schema dialect/,
    );
    expect(refusing.count('old')).toBe(0);
  });

  it('lenient input sends the call anyway and emits a warning', async () => {
    const upstream = schemaServer([searchTool]);
    const bridge = await started({ servers: { s: upstream.config }, plugins: [validation({ input: 'lenient' })] });
    const warnings: ValidationWarningEvent[] = [];
    bridge.on('validation:warning', (w) => warnings.push(w));
    const result = await bridge.callTool('search', { limit: 'ten' });
    expect(result.isError).toBeFalsy();
    expect(upstream.count('search')).toBe(1);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.kind).toBe('input');
    expect(warnings[0]!.issues!.map((i) => i.rule).sort()).toEqual(['required', 'type']);
  });
});

describe('coercion', () => {
  const typed = {
    name: 'typed',
    inputSchema: {
      type: 'object',
      properties: { n: { type: 'number' }, flag: { type: 'boolean' }, count: { type: 'integer' } },
      required: ['n'],
    },
  };

  it('is off by default: "3" for a number is refused', async () => {
    const upstream = schemaServer([typed]);
    const bridge = await started({ servers: { s: upstream.config }, plugins: [validation()] });
    const result = await bridge.callTool('typed', { n: '3' });
    expect(text(result)).toMatch(/\/n: must be number \[rule: type; expected: number; given: "3"\]/);
    expect(upstream.count('typed')).toBe(0);
  });

  it("when on, sends the coerced copy and leaves the caller's object alone", async () => {
    const upstream = schemaServer([typed]);
    const bridge = await started({ servers: { s: upstream.config }, plugins: [validation({ coerce: true })] });
    const args = { n: '3', flag: 'true', count: '7' };
    const result = await bridge.callTool('typed', args);
    expect(result.isError).toBeFalsy();
    expect(upstream.calls[0]!.args).toEqual({ n: 3, flag: true, count: 7 });
    expect(args).toEqual({ n: '3', flag: 'true', count: '7' });
    expect(bridge.validation.stats().coerced).toBe(1);
    // What cannot be coerced is still refused, with the original value shown.
    const bad = await bridge.callTool('typed', { n: 'three' });
    expect(text(bad)).toMatch(/\/n: must be number \[rule: type; expected: number; given: "three"\]/);
    expect(upstream.count('typed')).toBe(1);
  });

  it('can be turned on for one tool only', async () => {
    const upstream = schemaServer([typed, { ...typed, name: 'typed2' }]);
    const bridge = await started({ servers: { s: upstream.config }, plugins: [validation({ tools: { typed2: { coerce: true } } })] });
    expect((await bridge.callTool('typed', { n: '1' })).isError).toBe(true);
    expect((await bridge.callTool('typed2', { n: '1' })).isError).toBeFalsy();
    expect(upstream.calls).toEqual([{ name: 'typed2', args: { n: 1 } }]);
  });
});
