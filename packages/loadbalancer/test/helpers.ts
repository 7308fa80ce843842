import type { CallContext, Upstream } from '@mcp-bridge/core';

/** A replica as core builds it, for picker simulations (no bridge, no process). */
export function fakeUpstream(id: string, config: Record<string, unknown> = {}, kind: Upstream['kind'] = 'stdio'): Upstream {
  return {
    id,
    server: id.split('#')[0]!,
    config: { command: 'node', ...config } as unknown as Upstream['config'],
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

/** mulberry32: a small seeded PRNG, so simulations are reproducible. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
