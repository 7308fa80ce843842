import { describe, expect, it } from 'vitest';
import { buildPlugins, CliError, KNOWN_PLUGINS, type ModuleLoader } from '../src/index.js';

const missing: ModuleLoader = (specifier) => {
  const error = Object.assign(new Error(`Cannot find package '${specifier}' imported from cli`), { code: 'ERR_MODULE_NOT_FOUND' });
  return Promise.reject(error);
};

describe('buildPlugins', () => {
  it('builds the default set from the installed first-party packages, in a stable order', async () => {
    const { plugins, reports } = await buildPlugins(undefined, undefined);
    const defaults = Object.entries(KNOWN_PLUGINS)
      .filter(([, k]) => k.default)
      .map(([key]) => key);
    expect(reports.map((r) => r.key)).toEqual(defaults);
    const loaded = reports.filter((r) => r.status === 'loaded');
    expect(plugins.map((p) => p.name)).toEqual(loaded.map((r) => r.package));
    expect(loaded.map((r) => r.key)).toContain('retry');
  });

  it('passes config options to the factory and skips plugins set to false', async () => {
    const seen: unknown[] = [];
    const load: ModuleLoader = async () => ({
      retry: (o: unknown) => (seen.push(o), { name: '@mcp-bridge/retry', version: '0', setup() {} }),
    });
    const { reports } = await buildPlugins({ retry: { attempts: 5 }, cache: false }, 'x.json', { load });
    expect(seen).toEqual([{ attempts: 5 }]);
    expect(reports).toEqual([{ key: 'retry', package: '@mcp-bridge/retry', status: 'loaded', from: 'config' }]);
  });

  it('a missing default package is reported; a missing configured one is an error naming the package', async () => {
    const defaults = await buildPlugins(undefined, undefined, { load: missing });
    expect(defaults.plugins).toEqual([]);
    expect(new Set(defaults.reports.map((r) => r.status))).toEqual(new Set(['not-installed']));
    const configured = buildPlugins({ cache: true }, 'gw.json', { load: missing });
    await expect(configured).rejects.toThrow(CliError);
    await expect(configured).rejects.toThrow('plugin "cache" needs @mcp-bridge/cache, which is not installed');
  });

  // A key that is not built in now names a third-party package (third-party-plugins.test.ts covers those);
  // one that is nowhere installed is still an error naming the file, the key and the built-in plugins.
  it('rejects keys found nowhere and non-object options with the file and key', async () => {
    const unknown = buildPlugins({ 'no-such-plugin-7f3a': {} }, 'gw.json');
    await expect(unknown).rejects.toThrow('gw.json: plugins.no-such-plugin-7f3a: plugin package "no-such-plugin-7f3a" not found');
    await expect(unknown).rejects.toThrow('built-in plugins: validation, cache, retry');
    await expect(buildPlugins({ retry: 3 }, 'gw.json')).rejects.toThrow(
      'gw.json: plugins.retry: expected an options object, true or false',
    );
    await expect(buildPlugins('retry', 'gw.json')).rejects.toThrow('gw.json: "plugins" must be an object');
    await expect(buildPlugins(undefined, undefined, { only: ['nope'] })).rejects.toThrow('--plugins: unknown plugin "nope"');
  });
});
