import { createBridge, type Bridge } from '@mcp-bridge/core';
import { conformanceServerCommand } from '@mcp-bridge/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { gatewayClientCapabilities, serveHttp, type HttpGateway } from '../src/index.js';
import { formatTable, runConformance } from './support/conformance.js';
import { serveFixtureHttp } from './support/fixture-http.js';

// The official MCP conformance suite (@modelcontextprotocol/conformance 0.1.13, active server
// scenarios) against the fixture served directly, then against the gateway serving that same
// fixture as an upstream reached over stdio. The gateway must pass every scenario the fixture passes.
describe('official conformance suite', () => {
  let fixture: Awaited<ReturnType<typeof serveFixtureHttp>> | undefined;
  let bridge: Bridge | undefined;
  let gateway: HttpGateway | undefined;

  afterAll(async () => {
    await gateway?.close();
    await bridge?.close();
    await fixture?.close();
  });

  it('the gateway passes every scenario the fixture passes directly', { timeout: 150_000 }, async () => {
    fixture = await serveFixtureHttp();
    const direct = await runConformance(fixture.url);
    await fixture.close();
    fixture = undefined;

    bridge = createBridge({
      servers: { fixture: conformanceServerCommand() },
      clientCapabilities: gatewayClientCapabilities(),
      onError: () => undefined,
    });
    // Per-caller upstream sessions (`sessions: 'auto'`) must not cost a process per short client session.
    const spawned: number[] = [];
    bridge.on('connect:after', ({ connection }) => void (connection.pid !== undefined && spawned.push(connection.pid)));
    gateway = await serveHttp(bridge, { onError: () => undefined });
    const viaGateway = await runConformance(gateway.url);
    console.log(`upstream processes spawned for the suite through the gateway: ${spawned.length}`);

    console.log(
      `\nMCP conformance suite (@modelcontextprotocol/conformance 0.1.13, active server scenarios)\n${formatTable(direct.results, viaGateway.results)}\n`,
    );
    expect(direct.results.size, direct.output.slice(-3000)).toBeGreaterThanOrEqual(25);
    const passedDirectly = [...direct.results].filter(([, r]) => r.failed === 0).map(([s]) => s);
    // The fixture is built for the suite: it must pass all of it, or the comparison proves little.
    expect([...direct.results].filter(([, r]) => r.failed > 0).map(([s, r]) => `${s}: ${r.errors.join('; ')}`)).toEqual([]);
    const regressions = passedDirectly
      .filter((s) => (viaGateway.results.get(s)?.failed ?? 1) > 0)
      .map((s) => `${s}: ${viaGateway.results.get(s)?.errors.join('; ') ?? 'not run'}`);
    expect(regressions).toEqual([]);
    expect(spawned.length).toBeLessThanOrEqual(2);
  });
});
