import { describe, expect, it } from 'vitest';
import { PluginError } from '@mcp-bridge/core';
import { validation, type ValidationWarningEvent } from '../src/index.js';
import { schemaServer, text, useBridges } from './schema-server.js';

const { started, track } = useBridges();

const version1 = { name: 'pick', inputSchema: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] } };
const version2 = { name: 'pick', inputSchema: { type: 'object', properties: { n: { type: 'string' } }, required: ['n'] } };

/** Resolves on the next `catalog:changed` for tools. */
const nextToolsChange = (bridge: { on: (e: 'catalog:changed', l: (p: { kinds: readonly string[] }) => void) => () => void }) =>
  new Promise<void>((resolve) => {
    const off = bridge.on('catalog:changed', ({ kinds }) => {
      if (kinds.includes('tools')) {
        off();
        resolve();
      }
    });
  });

describe('schemas and the catalog', () => {
  it('compiles each schema once per catalog version and recompiles when tools/list_changed brings a new one', async () => {
    const upstream = schemaServer([version1]);
    const bridge = await started({ servers: { s: upstream.config }, plugins: [validation()] });
    for (let i = 0; i < 20; i++) expect((await bridge.callTool('pick', { n: i })).isError).toBeFalsy();
    expect(bridge.validation.stats().compiled).toBe(1);

    const changed = nextToolsChange(bridge);
    await upstream.setTools([version2]);
    await changed;
    // The new schema applies at once: integers are now refused, strings accepted.
    expect(text(await bridge.callTool('pick', { n: 1 }))).toMatch(/\/n: must be string/);
    expect((await bridge.callTool('pick', { n: 'one' })).isError).toBeFalsy();
    expect(bridge.validation.stats().compiled).toBe(2);
  });

  it('precompile: compiles at start and on catalog changes, so the warning for a bad schema comes before any call', async () => {
    const upstream = schemaServer([version1, { name: 'bad', inputSchema: { type: 'object', properties: { a: { type: 'nope' } } } }]);
    const warnings: ValidationWarningEvent[] = [];
    const { createBridge } = await import('@mcp-bridge/core');
    const bridge = track(createBridge({ servers: { s: upstream.config }, plugins: [validation({ precompile: true })] }));
    bridge.on('validation:warning', (w) => warnings.push(w));
    await bridge.start();
    expect(bridge.validation.stats().compiled).toBe(2);
    expect(warnings.map((w) => `${w.kind}:${w.tool}`)).toEqual(['schema:bad']);
    expect(warnings[0]!.message).toMatch(/inputSchema of tool "bad" is not used \(it is not validated\): the schema does not compile/);
    await bridge.callTool('pick', { n: 1 });
    expect(bridge.validation.stats().compiled).toBe(2);
  });

  it('tools of different servers with the same $id compile side by side', async () => {
    const withId = (type: string) => ({
      name: 't',
      inputSchema: { $id: 'https://example.com/args', type: 'object', properties: { v: { type } } },
    });
    const a = schemaServer([withId('integer')]);
    const b = schemaServer([withId('string')]);
    const bridge = await started({ servers: { a: a.config, b: b.config }, plugins: [validation()] });
    expect((await bridge.callTool('a__t', { v: 1 })).isError).toBeFalsy();
    expect((await bridge.callTool('b__t', { v: 'x' })).isError).toBeFalsy();
    expect(text(await bridge.callTool('b__t', { v: 1 }))).toMatch(/\/v: must be string/);
  });

  it('tools called by upstream name that the catalog does not list are not validated (their schema is unknown)', async () => {
    const upstream = schemaServer([version1]);
    const bridge = await started({ servers: { s: upstream.config }, plugins: [validation()] });
    const result = await bridge.callTool('s/hidden', { anything: true });
    expect(text(result)).toBe('no tool hidden');
    expect(upstream.count('hidden')).toBe(1);
  });
});

describe('options', () => {
  it('a wrong option fails start() naming the plugin, the path and the expected type', async () => {
    const cases: [unknown, RegExp][] = [
      [{ input: 'loose' }, /\[@mcp-bridge\/validation\] invalid options: input: .*"strict".*"lenient".*"off"/],
      [{ coerce: 'yes' }, /coerce: expected boolean, got string \("yes"\)/],
      [{ limits: { maxDepth: 'deep' } }, /limits\.maxDepth: expected number, got string/],
      [{ servers: { a: { input: 'strict', extra: 1 } } }, /servers\.a: /],
      [{ maxErrors: 0 }, /maxErrors: /],
      [{ onUnsafeSchema: 'ignore' }, /onUnsafeSchema: /],
      [{ unknownOption: true }, /unknown option "unknownOption"/],
    ];
    const { createBridge } = await import('@mcp-bridge/core');
    for (const [options, message] of cases) {
      const bridge = track(createBridge({ plugins: [validation(options as never)] }));
      const error = await bridge.start().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PluginError);
      expect((error as PluginError).code).toBe('PLUGIN_OPTIONS_INVALID');
      expect((error as Error).message).toMatch(message);
    }
  });
});
