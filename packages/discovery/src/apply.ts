import type { Bridge } from '@mcp-bridge/core';
import { bridgeServers } from './discover.js';
import type { DiscoveryChange } from './types.js';

/** One server change `applyChange` could not make. */
export interface ApplyFailure {
  server: string;
  /** `replace`: a changed server; when its removal worked but the add did not, it is gone from the bridge. */
  action: 'add' | 'remove' | 'replace';
  error: unknown;
}

/** Thrown by {@link applyChange} after every change was tried, when some failed. */
export class DiscoveryApplyError extends AggregateError {
  readonly code = 'DISCOVERY_APPLY_FAILED';
  readonly failures: readonly ApplyFailure[];

  constructor(failures: ApplyFailure[], total: number) {
    const lines = failures.map(
      (f) => `server "${f.server}" (${f.action}): ${f.error instanceof Error ? f.error.message : String(f.error)}`,
    );
    super(
      failures.map((f) => f.error),
      `[mcp-bridge] [@mcp-bridge/discovery] ${failures.length} of ${total} server changes failed: ${lines.join('; ')}`,
    );
    this.name = 'DiscoveryApplyError';
    this.failures = failures;
  }
}

/**
 * Applies a discovery change to a running bridge, touching only what changed: removed servers are
 * removed, changed ones are removed and added back with their new config (a reconnect), new ones
 * are added. Unchanged servers keep their connections. Core emits `upstream:remove` /
 * `upstream:add` for each. Every change is tried; failures are collected and thrown together as a
 * {@link DiscoveryApplyError}, so nothing is half-applied silently.
 *
 * @example
 * const watcher = await watchConfigs(options, (change) => applyChange(bridge, change), { initial: result });
 */
export async function applyChange(bridge: Bridge, change: DiscoveryChange): Promise<void> {
  const configs = bridgeServers(change.result);
  const failures: ApplyFailure[] = [];
  const attempt = async (server: string, action: ApplyFailure['action'], fn: () => Promise<unknown>): Promise<boolean> => {
    try {
      await fn();
      return true;
    } catch (error) {
      failures.push({ server, action, error });
      return false;
    }
  };
  const configOf = (name: string): Record<string, unknown> => {
    const config = configs[name];
    if (!config) throw new Error(`server "${name}" is not in the change's result`);
    return config;
  };
  await Promise.all([
    ...change.removed.map((name) => attempt(name, 'remove', () => bridge.removeServer(name))),
    ...change.changed.map(async (name) => {
      if (await attempt(name, 'replace', () => bridge.removeServer(name)))
        await attempt(name, 'replace', () => bridge.addServer(name, configOf(name)));
    }),
    ...change.added.map((name) => attempt(name, 'add', () => bridge.addServer(name, configOf(name)))),
  ]);
  if (failures.length > 0) throw new DiscoveryApplyError(failures, change.removed.length + change.changed.length + change.added.length);
}
