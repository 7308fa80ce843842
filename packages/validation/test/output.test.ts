import { describe, expect, it } from 'vitest';
import { ValidationError } from '@mcp-bridge/core';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { validation, type ValidationWarningEvent } from '../src/index.js';
import { schemaServer, text, useBridges } from './schema-server.js';

const { started } = useBridges();

const outputSchema = { type: 'object', properties: { sum: { type: 'number' } }, required: ['sum'] };
/** A tool whose answer is chosen per call by `args.mode`. */
const sumTool = {
  name: 'sum',
  inputSchema: { type: 'object', properties: { mode: { type: 'string' } } },
  outputSchema,
  result: (args: Record<string, unknown> | undefined): CallToolResult => {
    switch (args?.mode) {
      case 'good':
        return { content: [{ type: 'text', text: '3' }], structuredContent: { sum: 3 } };
      case 'wrong':
        return { content: [{ type: 'text', text: 'three' }], structuredContent: { sum: 'three' } };
      case 'missing':
        return { content: [{ type: 'text', text: 'no structure' }] };
      default:
        return { content: [{ type: 'text', text: 'failed' }], isError: true };
    }
  },
};

describe('structuredContent against outputSchema', () => {
  it('strict (default): a mismatch becomes an isError result that says the tool ran and why it was rejected', async () => {
    const upstream = schemaServer([sumTool]);
    const bridge = await started({ servers: { s: upstream.config }, plugins: [validation()] });
    expect((await bridge.callTool('sum', { mode: 'good' })).structuredContent).toEqual({ sum: 3 });

    const wrong = await bridge.callTool('sum', { mode: 'wrong' });
    expect(wrong.isError).toBe(true);
    expect(wrong.structuredContent).toBeUndefined();
    expect(text(wrong)).toContain('Tool "sum" ran, but its result does not match its declared outputSchema');
    expect(text(wrong)).toMatch(/\/structuredContent\/sum: must be number \[rule: type; expected: number; given: "three"\]/);
    // The tool's own content follows the explanation.
    expect((wrong.content[1] as { text: string }).text).toBe('three');

    // MCP: a tool with an outputSchema must return structuredContent.
    const missing = await bridge.callTool('sum', { mode: 'missing' });
    expect(missing.isError).toBe(true);
    expect(text(missing)).toMatch(/declares an outputSchema but returned no structuredContent/);

    // isError results are not checked.
    const failed = await bridge.callTool('sum', { mode: 'fail' });
    expect(failed).toMatchObject({ isError: true, content: [{ type: 'text', text: 'failed' }] });
    expect(bridge.validation.stats().outputRejected).toBe(2);
  });

  it('strict with outputFailure: error throws a ValidationError naming the tool and the field', async () => {
    const upstream = schemaServer([sumTool]);
    const bridge = await started({ servers: { s: upstream.config }, plugins: [validation({ outputFailure: 'error' })] });
    const error = await bridge.callTool('sum', { mode: 'wrong' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).code).toBe('VALIDATION_FAILED');
    expect((error as Error).message).toMatch(
      /\[@mcp-bridge\/validation\] tool "sum" of server "s": the result does not match its outputSchema: \/sum: must be number/,
    );
    expect((error as ValidationError).data).toMatchObject({ kind: 'output', server: 's', tool: 'sum' });
  });

  it('lenient: passes the result through and emits validation:warning', async () => {
    const upstream = schemaServer([sumTool]);
    const bridge = await started({ servers: { s: upstream.config }, plugins: [validation({ output: 'lenient' })] });
    const warnings: ValidationWarningEvent[] = [];
    bridge.on('validation:warning', (w) => warnings.push(w));
    const wrong = await bridge.callTool('sum', { mode: 'wrong' });
    expect(wrong.structuredContent).toEqual({ sum: 'three' });
    expect(wrong.isError).toBeFalsy();
    const missing = await bridge.callTool('sum', { mode: 'missing' });
    expect(missing.isError).toBeFalsy();
    expect(warnings.map((w) => [w.kind, w.tool, w.issues?.[0]?.rule])).toEqual([
      ['output', 'sum', 'type'],
      ['output', 'sum', 'outputSchema'],
    ]);
    expect(warnings[0]!.message).toMatch(/\/structuredContent\/sum: must be number/);
  });

  it('an outputSchema past the limits: skipped with a warning, or (refuse) the call is refused before it is sent', async () => {
    const hostile = {
      ...sumTool,
      name: 'wide',
      outputSchema: { type: 'object', properties: { sum: { anyOf: Array.from({ length: 500 }, (_, i) => ({ const: i })) } } },
    };
    const upstream = schemaServer([hostile]);
    const warnings: ValidationWarningEvent[] = [];
    const skipping = await started({ servers: { s: upstream.config }, plugins: [validation()] });
    skipping.on('validation:warning', (w) => warnings.push(w));
    expect((await skipping.callTool('wide', { mode: 'wrong' })).structuredContent).toEqual({ sum: 'three' });
    expect(warnings[0]!.message).toMatch(/outputSchema of tool "wide" is not used \(it is not validated\): anyOf has 500 branches/);
    const refusing = await started({ servers: { s: upstream.config }, plugins: [validation({ onUnsafeSchema: 'refuse' })] });
    const refused = await refusing.callTool('wide', { mode: 'good' });
    expect(text(refused)).toMatch(/its outputSchema was refused by validation \(anyOf has 500 branches/);
    expect(upstream.count('wide')).toBe(1);
  });

  it('off: results are not checked', async () => {
    const upstream = schemaServer([sumTool]);
    const bridge = await started({ servers: { s: upstream.config }, plugins: [validation({ output: 'off' })] });
    expect((await bridge.callTool('sum', { mode: 'wrong' })).structuredContent).toEqual({ sum: 'three' });
  });
});

describe('per-server and per-tool overrides', () => {
  it('a tool override wins over a server override, which wins over the defaults', async () => {
    const strictArgs = { type: 'object', properties: { n: { type: 'integer' } } };
    const a = schemaServer([
      { name: 'a1', inputSchema: strictArgs },
      { ...sumTool, name: 'a2' },
    ]);
    const b = schemaServer([
      { name: 'b1', inputSchema: strictArgs },
      { name: 'b2', inputSchema: strictArgs },
    ]);
    const bridge = await started({
      servers: { alpha: a.config, beta: b.config },
      plugins: [
        validation({ servers: { alpha: 'off', beta: { input: 'lenient' } }, tools: { a2: { output: 'strict' }, 'beta/b2': 'strict' } }),
      ],
    });
    // alpha is off: bad arguments go through.
    expect((await bridge.callTool('a1', { n: 'x' })).isError).toBeFalsy();
    // a2: input still off (from the server), output strict (from the tool).
    const a2 = await bridge.callTool('a2', { mode: 'wrong' });
    expect(text(a2)).toMatch(/does not match its declared outputSchema/);
    // beta is lenient; beta/b2 (by upstream name) is strict.
    expect((await bridge.callTool('b1', { n: 'x' })).isError).toBeFalsy();
    expect((await bridge.callTool('b2', { n: 'x' })).isError).toBe(true);
    expect(a.count('a1') + a.count('a2')).toBe(2);
    expect(b.count('b1')).toBe(1);
    expect(b.count('b2')).toBe(0);
  });
});
