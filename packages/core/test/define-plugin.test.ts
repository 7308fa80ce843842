import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CORE_VERSION, createBridge, definePlugin, PluginError, type Plugin } from '../src/index.js';
import { inMemory, useBridges } from './fixtures.js';

const { track } = useBridges();

const options = z.strictObject({ label: z.string().default('slow'), thresholdMs: z.number().min(0).default(500) });

const seen: unknown[] = [];
const timing = definePlugin({
  name: 'mcp-bridge-plugin-timing',
  version: '2.1.0',
  core: `^${CORE_VERSION}`,
  after: ['other'],
  options,
  setup(api, parsed) {
    seen.push({ plugin: api.plugin, parsed });
  },
});

describe('definePlugin', () => {
  it('makes a factory of fresh plugins with the name, version, core range and ordering fields', () => {
    const a = timing();
    const b = timing({ thresholdMs: 1 });
    expect(a).not.toBe(b);
    expect(a).toMatchObject({ name: 'mcp-bridge-plugin-timing', version: '2.1.0', core: `^${CORE_VERSION}`, after: ['other'] });
    expect(Object.keys(a).sort()).toEqual(['after', 'core', 'name', 'setup', 'version']);
  });

  it('calls setup with the validated options, defaults applied (omitted options validate as {})', async () => {
    seen.length = 0;
    const bridge = track(createBridge({ servers: { a: inMemory('a') }, plugins: [timing({ thresholdMs: 20 })] }));
    await bridge.start();
    const other = track(createBridge({ servers: { a: inMemory('a') }, plugins: [timing()] }));
    await other.start();
    expect(seen).toEqual([
      { plugin: 'mcp-bridge-plugin-timing', parsed: { label: 'slow', thresholdMs: 20 } },
      { plugin: 'mcp-bridge-plugin-timing', parsed: { label: 'slow', thresholdMs: 500 } },
    ]);
  });

  it('fails start() with PLUGIN_OPTIONS_INVALID naming the plugin, the option path and what was expected', async () => {
    const bad = timing({ thresholdMs: '20', colour: 1 } as never);
    const bridge = track(createBridge({ plugins: [bad] }));
    const error = await bridge.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(PluginError.isInstance(error)).toBe(true);
    const e = error as PluginError;
    expect(e.code).toBe('PLUGIN_OPTIONS_INVALID');
    expect(e.plugin).toBe('mcp-bridge-plugin-timing');
    expect(e.message).toContain('thresholdMs: expected number, got string ("20")');
    expect(e.message).toContain('unknown option "colour"');
  });

  it('keeps the core range check of boot', async () => {
    const old = definePlugin({ name: 'mcp-bridge-plugin-old', version: '1.0.0', core: '^99.0.0', options: z.strictObject({}), setup() {} });
    const error = await track(createBridge({ plugins: [old()] }))
      .start()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect((error as PluginError).code).toBe('PLUGIN_CORE_RANGE');
  });

  it('rejects a broken definition where it is defined, naming the plugin and the field', () => {
    const base = { name: 'mcp-bridge-plugin-x', version: '1.0.0', options: z.strictObject({}), setup() {} };
    expect(() => definePlugin({ ...base, name: '' })).toThrow(/definePlugin: a plugin: name must be a non-empty string/);
    expect(() => definePlugin({ ...base, version: undefined as never })).toThrow(/plugin "mcp-bridge-plugin-x": version must be/);
    expect(() => definePlugin({ ...base, options: { label: 'x' } as never })).toThrow(
      /plugin "mcp-bridge-plugin-x": options must be a zod schema/,
    );
    expect(() => definePlugin({ ...base, setup: 'nope' as never })).toThrow(/plugin "mcp-bridge-plugin-x": setup must be a function/);
  });

  it('types the factory from the schema: options are the schema input, setup gets its output', () => {
    const f: (options?: { label?: string; thresholdMs?: number }) => Plugin = timing;
    expect(typeof f).toBe('function');
    // @ts-expect-error thresholdMs is a number
    timing({ thresholdMs: 'x' });
  });
});
