import semver from 'semver';
import { PluginError } from './errors.js';
import type { Plugin } from './plugin-api.js';
import type { Services } from './types.js';

/**
 * Checks a plugin list against the contract of DESIGN 3.1 and returns it in setup order:
 * dependencies and service providers first, soft `after` hints honoured, ties in the user's order.
 * Every failure is a {@link PluginError} naming the plugin.
 */
export function orderPlugins(plugins: readonly Plugin[], coreVersion: string, defaultServices: ReadonlySet<keyof Services>): Plugin[] {
  const byName = new Map<string, { plugin: Plugin; index: number }>();
  plugins.forEach((plugin, index) => {
    checkShape(plugin, index);
    const seen = byName.get(plugin.name);
    if (seen) {
      throw new PluginError(
        'PLUGIN_DUPLICATE',
        plugin.name,
        `is listed twice (positions ${seen.index} and ${index}); each plugin may appear once`,
      );
    }
    byName.set(plugin.name, { plugin, index });
  });

  for (const plugin of plugins) checkCoreRange(plugin, coreVersion);
  for (const plugin of plugins) checkDependencies(plugin, byName);
  const providers = checkServices(plugins, defaultServices);

  const edges = new Map<string, Set<string>>(); // before -> after
  const addEdge = (from: string, to: string): void => {
    if (from === to) return;
    let set = edges.get(from);
    if (!set) edges.set(from, (set = new Set()));
    set.add(to);
  };
  for (const plugin of plugins) {
    for (const dep of dependencyNames(plugin)) addEdge(dep, plugin.name);
    for (const soft of plugin.after ?? []) if (byName.has(soft)) addEdge(soft, plugin.name);
    for (const slot of plugin.requires ?? []) {
      const provider = providers.get(slot);
      if (provider) addEdge(provider, plugin.name);
    }
  }
  return topoSort(plugins, edges);
}

function checkShape(plugin: Plugin, index: number): void {
  const label = typeof plugin?.name === 'string' && plugin.name ? plugin.name : `plugins[${index}]`;
  if (typeof plugin !== 'object' || plugin === null) {
    throw new PluginError(
      'PLUGIN_INVALID',
      label,
      `is not a plugin object (got ${plugin === null ? 'null' : typeof plugin}); did you forget to call the factory, e.g. cache() instead of cache?`,
    );
  }
  if (typeof plugin.name !== 'string' || plugin.name.trim() === '') {
    throw new PluginError('PLUGIN_INVALID', label, 'has no name: `name` must be a non-empty string');
  }
  if (typeof plugin.version !== 'string' || !semver.valid(plugin.version)) {
    throw new PluginError(
      'PLUGIN_INVALID',
      label,
      `has an invalid version ${JSON.stringify(plugin.version)}: \`version\` must be semver like "1.2.3"`,
    );
  }
  if (typeof plugin.setup !== 'function') {
    throw new PluginError('PLUGIN_INVALID', label, '`setup` must be a function');
  }
}

function checkCoreRange(plugin: Plugin, coreVersion: string): void {
  if (plugin.core === undefined) return;
  if (!semver.validRange(plugin.core)) {
    throw new PluginError('PLUGIN_INVALID', plugin.name, `has an invalid \`core\` range ${JSON.stringify(plugin.core)}`);
  }
  if (!semver.satisfies(coreVersion, plugin.core, { includePrerelease: true })) {
    throw new PluginError(
      'PLUGIN_CORE_RANGE',
      plugin.name,
      `supports @mcp-bridge/core ${plugin.core}, but this is @mcp-bridge/core ${coreVersion}`,
      { data: { range: plugin.core, coreVersion } },
    );
  }
}

function dependencyNames(plugin: Plugin): string[] {
  const deps = plugin.dependsOn;
  if (!deps) return [];
  return Array.isArray(deps) ? [...(deps as readonly string[])] : Object.keys(deps);
}

function checkDependencies(plugin: Plugin, byName: Map<string, { plugin: Plugin }>): void {
  const deps = plugin.dependsOn;
  if (!deps) return;
  const ranges: Record<string, string | undefined> = Array.isArray(deps)
    ? Object.fromEntries((deps as readonly string[]).map((d) => [d, undefined]))
    : (deps as Record<string, string>);
  for (const [name, range] of Object.entries(ranges)) {
    const dep = byName.get(name);
    if (!dep) {
      throw new PluginError(
        'PLUGIN_MISSING_DEPENDENCY',
        plugin.name,
        `depends on "${name}", which is not in the plugin list; add ${name} to \`plugins\``,
        {
          data: { dependency: name },
        },
      );
    }
    if (range !== undefined) {
      if (!semver.validRange(range)) {
        throw new PluginError(
          'PLUGIN_INVALID',
          plugin.name,
          `has an invalid version range ${JSON.stringify(range)} for dependency "${name}"`,
        );
      }
      if (!semver.satisfies(dep.plugin.version, range, { includePrerelease: true })) {
        throw new PluginError(
          'PLUGIN_DEPENDENCY_RANGE',
          plugin.name,
          `needs "${name}" ${range}, but version ${dep.plugin.version} is installed`,
          { data: { dependency: name, range, version: dep.plugin.version } },
        );
      }
    }
  }
}

function checkServices(plugins: readonly Plugin[], defaults: ReadonlySet<keyof Services>): Map<keyof Services, string> {
  const providers = new Map<keyof Services, string>();
  for (const plugin of plugins) {
    for (const slot of plugin.provides ?? []) {
      const other = providers.get(slot);
      if (other) {
        throw new PluginError(
          'SERVICE_CONFLICT',
          plugin.name,
          `provides the "${String(slot)}" service, which "${other}" already provides; keep only one of them`,
          { data: { slot, providers: [other, plugin.name] } },
        );
      }
      providers.set(slot, plugin.name);
    }
  }
  for (const plugin of plugins) {
    for (const slot of plugin.requires ?? []) {
      if (!providers.has(slot) && !defaults.has(slot)) {
        throw new PluginError('SERVICE_MISSING', plugin.name, `requires the "${String(slot)}" service, but no plugin provides it`, {
          data: { slot },
        });
      }
    }
  }
  return providers;
}

/** Kahn's algorithm; among ready plugins the one listed first by the user goes first. */
function topoSort(plugins: readonly Plugin[], edges: Map<string, Set<string>>): Plugin[] {
  const indegree = new Map<string, number>(plugins.map((p) => [p.name, 0]));
  for (const targets of edges.values()) for (const t of targets) indegree.set(t, (indegree.get(t) ?? 0) + 1);
  const remaining = [...plugins];
  const out: Plugin[] = [];
  while (remaining.length > 0) {
    const i = remaining.findIndex((p) => indegree.get(p.name) === 0);
    if (i === -1) {
      const cycle = findCycle(
        remaining.map((p) => p.name),
        edges,
      );
      throw new PluginError('PLUGIN_CYCLE', cycle[0] ?? remaining[0]!.name, `is part of a dependency cycle: ${cycle.join(' -> ')}`, {
        data: { cycle },
      });
    }
    const [next] = remaining.splice(i, 1);
    out.push(next!);
    for (const t of edges.get(next!.name) ?? []) indegree.set(t, (indegree.get(t) ?? 1) - 1);
  }
  return out;
}

function findCycle(names: string[], edges: Map<string, Set<string>>): string[] {
  const inSet = new Set(names);
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string): string[] | undefined => {
    state.set(n, 'visiting');
    stack.push(n);
    for (const m of edges.get(n) ?? []) {
      if (!inSet.has(m)) continue;
      if (state.get(m) === 'visiting') return [...stack.slice(stack.indexOf(m)), m];
      if (!state.has(m)) {
        const found = visit(m);
        if (found) return found;
      }
    }
    stack.pop();
    state.set(n, 'done');
    return undefined;
  };
  for (const n of names) {
    if (!state.has(n)) {
      const found = visit(n);
      if (found) return found;
    }
  }
  return names;
}
