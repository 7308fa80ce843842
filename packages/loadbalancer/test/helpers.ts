import type { CallContext, Upstream } from '@mcp-bridge/core';

/** An upstream whose fields a test may set (the host's own are read-only). */
export type FakeUpstream = { -readonly [K in keyof Upstream]: Upstream[K] };

/** A replica as core builds it, for picker simulations (no bridge, no process). */
export function fakeUpstream(id: string, config: Record<string, unknown> = {}, kind: Upstream['kind'] = 'stdio'): FakeUpstream {
  return {
    id,
    server: id.split('#')[0]!,
    config: { command: 'node', ...config },
    kind,
    status: 'ready',
    health: 'healthy',
    lastError: undefined,
    inFlight: 0,
    capabilities: undefined,
    serverInfo: undefined,
  };
}

/** A call context with just what pickers read. */
export function fakeContext(server: string, extra: Partial<CallContext> = {}): CallContext {
  return { server, method: 'tools/call', params: {}, tried: new Set<string>(), caller: undefined, ...extra } as unknown as CallContext;
}

/** A seeded RNG (mulberry32), so runs are reproducible. */
export { seededRandom as seeded } from '@mcp-bridge/testing';
