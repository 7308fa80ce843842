import { afterEach } from 'vitest';
import { createBridge, type Bridge, type BridgeOptions } from '@mcp-bridge/core';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { createTestServer, inMemoryTestServer, TestLedger, type TestServerOptions } from '@mcp-bridge/testing';

/** Bridges made here are closed after each test. */
export function useBridges() {
  const open: Bridge[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((b) => b.close()));
  });
  return {
    async started(options: BridgeOptions): Promise<Bridge> {
      const bridge = createBridge({ onError: () => undefined, ...options });
      open.push(bridge);
      await bridge.start();
      return bridge;
    },
  };
}

/** An in-memory test server config marked trusted (its annotations are believed). */
export function trustedServer(options: TestServerOptions = {}) {
  return { ...inMemoryTestServer(options), trusted: true };
}

/** A settable clock for TTL tests. */
export function manualClock(start = 1_700_000_000_000) {
  let t = start;
  return {
    now: () => t,
    advance(ms: number) {
      t += ms;
    },
  };
}

/** The text of a tool result's first content block. */
export const text = (result: unknown): string => (result as { content: { text: string }[] }).content[0]!.text;

/**
 * A trusted in-memory test server whose current instance is at hand (to send notifications or
 * close it), and that can be taken down: while `down`, new connections fail.
 */
export function controllableServer(options: TestServerOptions = {}) {
  const ledger = new TestLedger();
  let current: McpServer | undefined;
  const state = { down: false };
  const config = {
    type: 'in-memory' as const,
    trusted: true,
    server: () => {
      if (state.down) throw new Error('server is down');
      current = createTestServer({ ...options, ledger });
      return current;
    },
  };
  return {
    config,
    ledger,
    state,
    /** The server instance of the live connection. */
    get server(): McpServer {
      if (!current) throw new Error('not connected yet');
      return current;
    },
    /** Takes the server down: closes the live connection; reconnects fail until `up()`. */
    async down(): Promise<void> {
      state.down = true;
      await current?.close();
    },
    up(): void {
      state.down = false;
    },
  };
}
