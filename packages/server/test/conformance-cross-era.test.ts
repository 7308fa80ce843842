import { createBridge, type Bridge } from '@mcp-bridge/core';
import { conformanceServerCommand, modernConformanceServerCommand } from '@mcp-bridge/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { gatewayClientCapabilities, serveHttp, type HttpGateway } from '../src/index.js';
import { formatTable, passedCount, runConformance, type SuiteResult } from './support/conformance.js';

// Issue 15, cross-era conformance: the official 2025-11-25 server scenarios (conformance 0.1.13)
// run through the gateway twice, once in front of the 2025-era fixture (SDK 1.x) and once in front
// of the same fixture rebuilt on the v2 SDK and speaking only 2026-07-28 (it rejects initialize).
// The suite's client stays 2025-era: the gateway translates (discover, per-request _meta,
// input_required answered by asking the suite's client, subscriptions/listen). Both must pass the
// same number of scenarios.

type ServerEntry = ReturnType<typeof conformanceServerCommand> & { protocol?: '2025-11-25' | '2026-07-28' };

describe('official conformance suite across protocol eras', () => {
  const open: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const o of open.splice(0).reverse()) await o.close().catch(() => undefined);
  });

  /** The suite through a gateway whose one upstream is `fixture`; upstream errors kept for the failure message. */
  async function throughGateway(
    fixture: ServerEntry,
  ): Promise<{ results: SuiteResult; output: string; errors: string[]; eras: (string | undefined)[] }> {
    const errors: string[] = [];
    const bridge: Bridge = createBridge({
      servers: { fixture },
      clientCapabilities: gatewayClientCapabilities(),
      onError: (error) => void errors.push(error instanceof Error ? error.message : String(error)),
    });
    open.push(bridge);
    const gateway: HttpGateway = await serveHttp(bridge, { onError: () => undefined });
    open.push(gateway);
    const run = await runConformance(gateway.url);
    // The protocol the gateway really spoke to the fixture (a silent fallback would void the comparison).
    const eras = bridge.status().flatMap((s) => s.upstreams.map((u) => u.protocolVersion));
    await gateway.close();
    await bridge.close();
    return { ...run, errors, eras };
  }

  it(
    'the gateway in front of the modern-only fixture passes as many scenarios as in front of the legacy one',
    { timeout: 240_000 },
    async () => {
      const legacy = await throughGateway(conformanceServerCommand());
      const modern = await throughGateway({ ...modernConformanceServerCommand({ era: 'modern-only' }), protocol: '2026-07-28' });

      console.log(
        `\nMCP conformance suite (@modelcontextprotocol/conformance 0.1.13, 2025-11-25 server scenarios) through the gateway\n` +
          `${formatTable(legacy.results, modern.results, ['legacy fixture (2025-11-25)', 'modern-only fixture (2026-07-28)'])}\n`,
      );
      const failing = (r: SuiteResult): string[] => [...r].filter(([, v]) => v.failed > 0).map(([s, v]) => `${s}: ${v.errors.join('; ')}`);
      if (failing(modern.results).length > 0) console.log(`modern-only failures:\n${failing(modern.results).join('\n')}`);

      expect(legacy.eras).toEqual(['2025-11-25']);
      expect(modern.eras).toEqual(['2026-07-28']);
      // The suite really ran against both (a broken run reports no scenarios, and 0 = 0 proves nothing).
      expect(legacy.results.size, legacy.output.slice(-3000)).toBeGreaterThanOrEqual(25);
      expect(modern.results.size, modern.output.slice(-3000)).toBe(legacy.results.size);
      // The legacy gateway passes the whole suite today (conformance.test.ts): the bar the modern side must meet.
      expect(failing(legacy.results)).toEqual([]);
      expect(
        { passed: passedCount(modern.results), failing: failing(modern.results), upstreamErrors: modern.errors.slice(0, 5) },
        'scenarios the gateway passes with the legacy fixture but not with the modern-only one',
      ).toEqual({ passed: passedCount(legacy.results), failing: [], upstreamErrors: modern.errors.slice(0, 5) });
    },
  );
});
