import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { TestLedger } from './ledger.js';

/** Runs one tool execution and records it (start, then ok / error / cancelled) in the ledger. */
export async function track(
  ledger: TestLedger,
  tool: string,
  signal: AbortSignal,
  run: () => CallToolResult | Promise<CallToolResult>,
): Promise<CallToolResult> {
  const end = ledger.begin(tool);
  try {
    const result = await run();
    end(signal.aborted ? 'cancelled' : result.isError ? 'error' : 'ok');
    return result;
  } catch (error) {
    end(signal.aborted ? 'cancelled' : 'error');
    throw error;
  }
}
