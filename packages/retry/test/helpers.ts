import { createBridge, type Bridge, type BridgeOptions, type Plugin, type Upstream } from '@mcp-bridge/core';

/**
 * The "minimal replica list" balancer the retry tests need (the load balancer package builds the
 * real one): round robin over a server's replicas, skipping replicas this call already tried.
 */
export function roundRobin(): Plugin {
  let turn = 0;
  return {
    name: 'test-round-robin',
    version: '1.0.0',
    provides: ['balancer'],
    setup(api) {
      api.provide('balancer', {
        pick(ctx, candidates: readonly Upstream[]) {
          for (let i = 0; i < candidates.length; i++) {
            const up = candidates[(turn + i) % candidates.length]!;
            if (!ctx.tried.has(up.id)) {
              turn = (turn + i + 1) % candidates.length;
              return up;
            }
          }
          return candidates[turn++ % candidates.length];
        },
      });
    },
  };
}

/** A started bridge that is closed by the returned function; errors go to `errors`. */
export async function startBridge(options: BridgeOptions): Promise<{ bridge: Bridge; errors: unknown[] }> {
  const errors: unknown[] = [];
  const bridge = createBridge({ onError: (e) => errors.push(e), ...options });
  await bridge.start();
  return { bridge, errors };
}

/** A seeded RNG (mulberry32) for jitter. */
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
