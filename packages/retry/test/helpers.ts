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

/** A seeded RNG (mulberry32), so runs are reproducible. */
export { seededRandom as seeded } from '@mcp-bridge/testing';
