import { formatCheckFailure, pluginName, runConformanceCheck, skipReason } from './check-plugin-conformance.js';
import type { PluginFactory } from './checks.js';
import { CONFORMANCE_CHECKS } from './types.js';
import type { PluginConformanceOptions } from './types.js';

/** The test functions of vitest (or jest, or mocha with `it.skip`) the suite registers its tests with. */
export interface ConformanceTestApi {
  describe(name: string, body: () => void): void;
  it: ((name: string, body: () => Promise<void>, timeout?: number) => void) & { skip?: (name: string, body: () => Promise<void>) => void };
}

/** Options of {@link describePluginConformance}. */
export interface DescribePluginConformanceOptions extends PluginConformanceOptions {
  /** Your test framework's functions: `import { describe, it } from 'vitest'` then `{ describe, it }`. */
  vitest: ConformanceTestApi;
  /** Per-test timeout, ms. Default 60_000. */
  timeout?: number;
}

/**
 * Registers the plugin conformance suite as tests: one `describe` with one test per check. Call it
 * at the top level of a test file. `@mcp-bridge/testing` does not import vitest; you pass its
 * functions in.
 *
 * @example
 * ```ts
 * import { describe, it } from 'vitest';
 * import * as core from '@mcp-bridge/core';
 * import { describePluginConformance } from '@mcp-bridge/testing';
 * import { myPlugin } from '../src/index.js';
 *
 * describePluginConformance(() => myPlugin({ limit: 5 }), { core, vitest: { describe, it } });
 * ```
 */
export function describePluginConformance(factory: PluginFactory, options: DescribePluginConformanceOptions): void {
  const { vitest, timeout = 60_000, ...suite } = options;
  const name = pluginName(factory);
  vitest.describe(`plugin conformance: ${name}`, () => {
    for (const check of CONFORMANCE_CHECKS) {
      const skipped = skipReason(check, suite);
      if (skipped !== undefined && vitest.it.skip) {
        vitest.it.skip(`${check} (${skipped})`, () => Promise.resolve());
        continue;
      }
      vitest.it(
        check,
        async () => {
          const result = await runConformanceCheck(check, factory, suite);
          if (result.status === 'failed') throw new Error(formatCheckFailure(name, result));
        },
        timeout,
      );
    }
  });
}
