import { runCheck, toolsOf, type PluginFactory } from './checks.js';
import { CONFORMANCE_CHECKS } from './types.js';
import type { ConformanceCheckName, ConformanceCheckResult, ConformanceReport, PluginConformanceOptions } from './types.js';

/**
 * Runs one check of the plugin conformance suite. Each check creates its own bridges from the
 * factory, with fresh servers, and closes them.
 */
export async function runConformanceCheck(
  check: ConformanceCheckName,
  factory: PluginFactory,
  options: PluginConformanceOptions,
): Promise<ConformanceCheckResult> {
  const started = performance.now();
  const skipped = skipReason(check, options);
  if (skipped !== undefined) return { check, status: 'skipped', problems: [skipped], durationMs: 0 };
  const problems = await runCheck(check, factory, options);
  return { check, status: problems.length ? 'failed' : 'passed', problems, durationMs: performance.now() - started };
}

/** Why a check does not run (listed in `options.skip`, or no tool to run it on), or undefined. */
export function skipReason(check: ConformanceCheckName, options: PluginConformanceOptions): string | undefined {
  const reason = options.skip?.[check];
  if (reason !== undefined) return reason || 'skipped by options.skip';
  if (check === 'abort' && !toolsOf(options).hang) return 'no `tools.hang` given: nothing to abort';
  return undefined;
}

/**
 * The plugin conformance suite, framework-agnostic: runs every check on plugins made by `factory`
 * and returns a report. The checks: `metadata` (name, semver version, a valid `core` range the
 * installed core satisfies), `fresh-hosts` (setup works on several fresh bridges, one after another
 * and side by side), `late-next` (no middleware calls `next()` after it settled), `abort` (a
 * cancelled call settles promptly, leaves no middleware running, and the upstream is told),
 * `close-releases` (after `close()` no timer or handle is left), `errors` (middleware reject only
 * with BridgeErrors or with what `next()` gave them; upstream JSON-RPC errors pass through).
 *
 * Do not run it under fake timers: it waits on real time for things to settle.
 *
 * @example
 * ```ts
 * import * as core from '@mcp-bridge/core';
 * import { checkPluginConformance } from '@mcp-bridge/testing';
 * const report = await checkPluginConformance(() => myPlugin({ limit: 5 }), { core });
 * if (!report.ok) console.error(report.checks.filter((c) => c.status === 'failed'));
 * ```
 */
export async function checkPluginConformance(factory: PluginFactory, options: PluginConformanceOptions): Promise<ConformanceReport> {
  const checks: ConformanceCheckResult[] = [];
  for (const check of CONFORMANCE_CHECKS) checks.push(await runConformanceCheck(check, factory, options));
  return { plugin: pluginName(factory), ok: checks.every((c) => c.status !== 'failed'), checks };
}

/** The plugin's name for titles, without failing when the factory is broken. */
export function pluginName(factory: PluginFactory): string {
  try {
    const name = (factory() as { name?: unknown } | undefined)?.name;
    return typeof name === 'string' && name ? name : '(unnamed plugin)';
  } catch {
    return '(factory threw)';
  }
}

/** A failed check as one readable message. */
export function formatCheckFailure(plugin: string, result: ConformanceCheckResult): string {
  return `[mcp-bridge] [@mcp-bridge/testing] plugin "${plugin}" fails the "${result.check}" conformance check:\n${result.problems.map((p) => `  - ${p}`).join('\n')}`;
}
