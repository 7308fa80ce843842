import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { jsonSchemaValidator } from '@modelcontextprotocol/sdk/validation';

/**
 * The JSON Schema validator the SDK's `Server` uses only to check what a client answers to
 * `elicitInput`. The example servers never elicit; without this the SDK builds an Ajv instance with
 * every format at start (5-10 ms of each example's boot, paid three times by `serve --examples`).
 */
export const noElicitation: jsonSchemaValidator = {
  getValidator: () => () => ({ valid: false, data: undefined, errorMessage: 'the mcp-bridge example servers do not elicit input' }),
};

/**
 * Serves `server` over this process's stdin/stdout and exits when the client goes away (stdin EOF)
 * or on SIGTERM/SIGINT, so a bundled example never outlives the gateway that spawned it.
 */
export async function runStdio(server: McpServer): Promise<void> {
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    // A slow tool's pending timer must not keep the process alive once the client is gone.
    setTimeout(() => process.exit(0), 500).unref();
    void server.close().finally(() => process.exit(0));
  };
  process.stdin.on('end', stop);
  process.stdin.on('close', stop);
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  await server.connect(new StdioServerTransport());
}

/** Resolves after `ms`, or rejects when `signal` aborts (the client cancelled the call). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
