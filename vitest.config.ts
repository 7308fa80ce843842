import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Tests run against TypeScript sources through the packages' custom export condition: no build needed.
    conditions: ['@mcp-bridge/source'],
  },
  ssr: {
    resolve: { conditions: ['@mcp-bridge/source'], externalConditions: ['@mcp-bridge/source'] },
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'plugins/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    reporters: ['default', './scripts/summary-reporter.ts'],
    pool: 'forks',
    // Gateways started by tests keep their catalog snapshots here, never in the user's ~/.cache.
    env: { MCP_BRIDGE_CACHE_DIR: mkdtempSync(join(tmpdir(), 'mcp-bridge-test-cache-')) },
  },
});
