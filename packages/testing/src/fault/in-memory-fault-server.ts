import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { createFaultCore, createFaultMcpServer } from './create-fault-server.js';
import type { FaultLedger } from './fault-ledger.js';
import type { FaultPlan, FaultServerOptions } from './fault-options.js';
import { FaultTransport } from './fault-transport.js';

/** A server object the in-memory connector of `@mcp-bridge/transports` accepts. */
export interface FaultServerInstance {
  connect(transport: Transport): Promise<void>;
  close(): Promise<void>;
}

/**
 * An in-memory upstream config for a bridge (`{ type: 'in-memory', server }`) with the fault
 * server's controls. Every connection gets a fresh server; all share one plan and one ledger.
 * A type alias, so it stays assignable to config types with an index signature.
 */
export type InMemoryFaultServerConfig = {
  type: 'in-memory';
  /** Makes a server per connection (after `startDelayMs`). */
  server: () => Promise<FaultServerInstance>;
  /** Shared by every connection. */
  ledger: FaultLedger;
  /** Replaces the fault plan (of one tool, or the global one) from the next request on. */
  setFaults(plan: FaultPlan, tool?: string): void;
  /** Connections made so far (a reconnect after a drop or crash is a new one). */
  readonly connections: number;
};

/**
 * A fault-injecting server in the same process, for bridge tests and big property loops.
 * `drop-*` and `crash` close the connection (the host sees the upstream go away and reconnects).
 *
 * @throws TypeError for invalid options.
 * @example
 * const flaky = inMemoryFaultServer({ seed: 7, faults: { rates: { 'drop-before': 0.1, error: 0.1 } } });
 * const bridge = createBridge({ servers: { flaky }, plugins: [retry()] });
 * await bridge.start();
 * await bridge.callTool('lookup', { key: 'k1' });
 * flaky.ledger.executions('k1'); // 1
 */
export function inMemoryFaultServer(options: FaultServerOptions = {}): InMemoryFaultServerConfig {
  const core = createFaultCore(options);
  let connections = 0;
  return {
    type: 'in-memory',
    server: async () => {
      if (options.startDelayMs) await new Promise((resolve) => setTimeout(resolve, options.startDelayMs));
      const mcp = createFaultMcpServer(options, core);
      return {
        async connect(transport) {
          connections++;
          let wrapped: FaultTransport | undefined = undefined;
          const drop = (): void => void wrapped?.close();
          wrapped = new FaultTransport(transport, core, { drop, crash: drop });
          await mcp.connect(wrapped);
        },
        close: () => mcp.close(),
      };
    },
    ledger: core.ledger,
    setFaults: (plan, tool) => core.engine.setPlan(plan, tool),
    get connections() {
      return connections;
    },
  };
}
