import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createBridge, parsePluginOptions, PluginError, type Plugin } from '../src/index.js';

const schema = z.strictObject({
  attempts: z.number().int().min(1).default(3),
  perTool: z.record(z.string(), z.strictObject({ ttlMs: z.number() })).default({}),
});

function plugin(options: unknown): Plugin {
  return {
    name: 'mcp-bridge-plugin-opts',
    version: '1.0.0',
    setup(api) {
      parsePluginOptions(api.plugin, schema, options);
    },
  };
}

describe('parsePluginOptions', () => {
  it('returns parsed options with defaults', () => {
    expect(parsePluginOptions('p', schema, {})).toEqual({ attempts: 3, perTool: {} });
  });

  it('fails start() naming the plugin, the option path and the expected type', async () => {
    const bridge = createBridge({ plugins: [plugin({ attempts: '3', perTool: { 'a.b': { ttlMs: 'x' } }, colour: 1 })] });
    const error = await bridge.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PluginError);
    const e = error as PluginError;
    expect(e.code).toBe('PLUGIN_OPTIONS_INVALID');
    expect(e.message).toContain('mcp-bridge-plugin-opts');
    expect(e.message).toContain('attempts: expected number, got string ("3")');
    expect(e.message).toContain('perTool["a.b"].ttlMs: expected number, got string ("x")');
    expect(e.message).toContain('unknown option "colour"');
    expect(bridge.state).toBe('failed');
  });
});
