import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { FaultEngine } from './fault-engine.js';
import { FaultLedger } from './fault-ledger.js';
import { DEFAULT_FAULT_TOOLS, LEDGER_TOOL, validateFaultServerOptions, type FaultServerOptions } from './fault-options.js';
import type { FaultCore } from './fault-transport.js';

/** The shared state of one fault server (decisions, ledger), validated from its options. */
export function createFaultCore(options: FaultServerOptions): FaultCore {
  validateFaultServerOptions(options);
  const ledger = options.ledger ?? new FaultLedger(options.ledgerFile);
  return { engine: resumedFaultEngine(options, ledger), ledger };
}

/**
 * A fault engine whose scripts resume after the requests `ledger` already holds (a ledger continued
 * from its file): a stdio server respawned after a `drop-*` or `crash` step goes on with its script
 * instead of repeating it. Shared by the fault server and the modern test server.
 */
export function resumedFaultEngine(
  options: Pick<FaultServerOptions, 'seed' | 'random' | 'faults' | 'toolFaults'>,
  ledger: FaultLedger,
): FaultEngine {
  const perTool = new Set(Object.keys(options.toolFaults ?? {}));
  // Requests already decided: the global plan counts every tool without its own plan.
  const decided = (tool: string | undefined): number => {
    if (tool !== undefined) return ledger.tool(tool).received;
    let n = 0;
    for (const [name, t] of Object.entries(ledger.snapshot().tools)) if (!perTool.has(name)) n += t.received;
    return n;
  };
  return new FaultEngine(options, ledger.totalReceived > 0 ? decided : undefined);
}

/**
 * One SDK `McpServer` with the fault server's tools, recording executions into `core.ledger`.
 * Faults are applied by the {@link FaultTransport} it is connected through, not here.
 */
export function createFaultMcpServer(options: FaultServerOptions, core: FaultCore): McpServer {
  const name = options.name ?? 'fault-server';
  const mcp = new McpServer({ name, version: options.version ?? '1.0.0' });
  const tools = options.tools ?? DEFAULT_FAULT_TOOLS;
  for (const [tool, annotations] of Object.entries(tools)) {
    mcp.registerTool(
      tool,
      {
        description: `Fault server tool: records one execution of \`key\` and echoes it. Annotations: ${JSON.stringify(annotations)}.`,
        inputSchema: { key: z.string().optional(), text: z.string().optional() },
        annotations,
      },
      ({ key, text }) => {
        const k = key ?? tool;
        const execution = core.ledger.recordExecution(k, tool);
        return {
          content: [
            { type: 'text', text: JSON.stringify({ tool, key: k, execution, server: name, ...(text !== undefined ? { text } : {}) }) },
          ],
        };
      },
    );
  }
  mcp.registerTool(
    LEDGER_TOOL,
    { description: 'Returns the execution ledger as JSON (never faulted, never counted).', annotations: { readOnlyHint: true } },
    () => ({ content: [{ type: 'text', text: JSON.stringify(core.ledger.snapshot()) }] }),
  );
  return mcp;
}
