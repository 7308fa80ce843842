// What most benches share: the echo test server, a bare SDK client to it (the baseline), a started
// bridge in front of it, and a check that every variant really answers before it is timed.
import { setMaxListeners } from 'node:events';
import { createBridge, type Bridge, type Plugin } from '@mcp-bridge/core';
import { createTestServer, type BuiltinToolName } from '@mcp-bridge/testing';
import { Client as ModernClient, StreamableHTTPClientTransport as ModernHttpTransport } from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { CallToolResultSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { spawnEchoUpstream } from './echo-upstream.js';

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

/**
 * Two started bridges with no plugins, over the echo test server in each protocol era, both over
 * Streamable HTTP on 127.0.0.1 (a modern upstream cannot be linked in memory), the era pinned so
 * neither probes: `legacy` over the SDK 1.x server (2025-11-25, one session), `modern` over the v2
 * modern-only server (2026-07-28, stateless). Each server runs in its own process (shared by the
 * era's bridge and bare SDK client): this process's CPU time per call is the calling side's alone,
 * and the servers' own CPU time per call is read apart (`legacyPid`, `modernPid`).
 */
export async function eraBridges(): Promise<EraVariants> {
  const [legacyUp, modernUp] = await Promise.all([spawnEchoUpstream('legacy'), spawnEchoUpstream('modern')]);
  const legacy = await echoBridgeOver({ url: legacyUp.url, protocol: '2025-11-25' });
  const modern = await echoBridgeOver({ url: modernUp.url, protocol: '2026-07-28' });
  // The bare SDK of each era against the same servers: what each era costs without the bridge.
  const sdkLegacy = new Client({ name: 'bench-client', version: '1.0.0' });
  await sdkLegacy.connect(new StreamableHTTPClientTransport(new URL(legacyUp.url), { fetch: fetchWithoutListenerLimit }));
  const sdkModern = new ModernClient({ name: 'bench-client', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
  await sdkModern.connect(new ModernHttpTransport(new URL(modernUp.url)));
  return {
    legacy,
    modern,
    // The SDK's raw request, as the bridge sends it (callTool adds its own per-call work in both SDKs).
    sdkLegacy: (args) => sdkLegacy.request({ method: 'tools/call', params: { name: 'echo', arguments: args } }, CallToolResultSchema),
    sdkModern: (args) => sdkModern.request({ method: 'tools/call', params: { name: 'echo', arguments: args } }, CallToolResultSchema),
    legacyPid: legacyUp.pid,
    modernPid: modernUp.pid,
    close: async () => {
      await Promise.all([legacy.close(), modern.close(), sdkLegacy.close(), sdkModern.close()]);
      legacyUp.close();
      modernUp.close();
    },
  };
}

/** What {@link eraBridges} gives: a bridge and a bare SDK client per era, all over HTTP. */
export interface EraVariants {
  legacy: Bridge;
  modern: Bridge;
  /** SDK 1.x `request(tools/call echo)` straight to the 2025-11-25 server. */
  sdkLegacy: (args: Record<string, unknown>) => Promise<unknown>;
  /** SDK v2 `request(tools/call echo)` straight to the 2026-07-28 server. */
  sdkModern: (args: Record<string, unknown>) => Promise<unknown>;
  /** The process of the 2025-11-25 server. */
  legacyPid: number;
  /** The process of the 2026-07-28 server. */
  modernPid: number;
  close: () => Promise<void>;
}

/**
 * The global fetch, the listener limit of each signal it is given lifted, as the bridge's own 1.x
 * transports do (transports' quiet-signal-fetch.ts): otherwise the bare 1.x client, which hands every
 * fetch its transport's one signal, prints a MaxListenersExceededWarning per call past 1500 calls
 * between two garbage collections, and the baseline would pay for a warning flood the bridge does not.
 */
const fetchWithoutListenerLimit = (url: string | URL, init?: RequestInit): Promise<Response> => {
  if (init?.signal) setMaxListeners(0, init.signal);
  return fetch(url, init);
};

/** A started bridge over server `bench` at this entry; throws when it did not connect. */
async function echoBridgeOver(entry: Record<string, unknown>): Promise<Bridge> {
  const bridge = createBridge({ servers: { bench: entry } });
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
