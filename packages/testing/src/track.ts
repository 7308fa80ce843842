import type { TestLedger } from './ledger.js';

/**
 * Runs one tool execution and records it (start, then ok / error / cancelled) in the ledger.
 * Generic over the result so both SDK majors' result types pass through unchanged.
 */
export async function track<R extends { isError?: boolean }>(
  ledger: TestLedger,
  tool: string,
  signal: AbortSignal,
  run: () => R | Promise<R>,
): Promise<R> {
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
