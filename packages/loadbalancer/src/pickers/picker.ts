import type { CallContext, Upstream } from '@mcp-bridge/core';

/**
 * One picking strategy. `eligible` are the replicas the call may use now (healthy or panic-spread,
 * not yet tried); `all` is every replica of the server, for strategies that need a stable frame
 * (the consistent-hash ring is built over `all`, so skipping one replica moves only its keys).
 */
export interface Picker {
  pick(ctx: CallContext, eligible: readonly Upstream[], all: readonly Upstream[]): Upstream | undefined;
}

/** A source of uniform numbers in [0, 1): `Math.random` by default, a seeded one in tests. */
export type Random = () => number;

/** A clock in ms: `Date.now` by default. */
export type Clock = () => number;
