// What most benches share: the echo test server, a bare SDK client to it (the baseline), a started
// bridge in front of it, and a check that every variant really answers before it is timed.
import { createBridge, type Bridge, type Plugin } from '@mcp-bridge/core';
import { createTestServer, type BuiltinToolName } from '@mcp-bridge/testing';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

/** The arguments every timed call sends to `echo`. */
export const ECHO_ARGS = { text: 'hello' };

/** The test server with only these tools (default: `echo`), named `bench`. */
export function echoServer(tools: readonly BuiltinToolName[] = ['echo']): McpServer {
  return createTestServer({ name: 'bench', tools, resources: false, prompts: false });
}

/** The bare SDK: a Client over an in-memory pair to a fresh echo server. */
export async function sdkEchoClient(tools?: readonly BuiltinToolName[]): Promise<{ client: Client; close: () => Promise<void> }> {
  const server = echoServer(tools);
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'bench-client', version: '1.0.0' });
  await client.connect(clientSide);
  return {
    client,
    close: async () => {
      await client.close();
      await server.close();
    },
  };
}

/**
 * A started bridge over server `bench` (`{ type: 'in-memory', server: () => echoServer(tools) }`
 * plus `entry`, e.g. `{ trusted: true }` or `{ replicas: 3 }`); throws when it did not connect.
 */
export async function echoBridge(
  plugins: Plugin[],
  entry: Record<string, unknown> = {},
  tools?: readonly BuiltinToolName[],
): Promise<Bridge> {
  const bridge = createBridge({ servers: { bench: { type: 'in-memory', server: () => echoServer(tools), ...entry } }, plugins });
  await bridge.start();
  const status = bridge.status()[0];
  if (status?.state !== 'ok') throw new Error(`the bench bridge did not start: ${JSON.stringify(status)}`);
  return bridge;
}

/** Throws unless `result` is the echo of {@link ECHO_ARGS}: a variant that fails must not be timed. */
export function checkEcho(name: string, result: unknown): void {
  const text = (result as CallToolResult).content?.[0];
  if (!text || text.type !== 'text' || text.text !== ECHO_ARGS.text) throw new Error(`variant ${name} returned ${JSON.stringify(result)}`);
}
