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
 * neither probes: `legacy` over 2025-11-25 (one session), `modern` over 2026-07-28 (stateless).
 * `upstreams: 'sdk'` (default): each era its SDK test server, the 1.x one and the v2 modern-only one,
 * each in its own process; `'equal'`: both eras over ONE hand-written echo process that does the same
 * work per call in either era (lib/equal-cost-echo.ts), so the call-time ratio measures the bridge.
 * The servers are shared by the era's bridge and bare SDK client, and run apart from this process:
 * its CPU time per call is the calling side's alone, the servers' is read apart (`legacyPid`, `modernPid`).
 * Throws unless each bridge negotiated its era's version.
 */
export async function eraBridges(upstreams: 'sdk' | 'equal' = 'sdk'): Promise<EraVariants> {
  const [legacyUp, modernUp] =
    upstreams === 'equal'
      ? await spawnEchoUpstream('equal').then((up) => [up, up] as const)
      : await Promise.all([spawnEchoUpstream('legacy'), spawnEchoUpstream('modern')]);
  const legacy = await echoBridgeOver({ url: legacyUp.url, protocol: '2025-11-25' });
  const modern = await echoBridgeOver({ url: modernUp.url, protocol: '2026-07-28' });
  // The bare SDK of each era against the same servers: what each era costs without the bridge.
  const sdkLegacy = new Client({ name: 'bench-client', version: '1.0.0' });
  await sdkLegacy.connect(new StreamableHTTPClientTransport(new URL(legacyUp.url), { fetch: fetchWithoutListenerLimit }));
  const sdkModern = new ModernClient({ name: 'bench-client', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
  await sdkModern.connect(new ModernHttpTransport(new URL(modernUp.url)));
  const protocols = {
    legacy: legacy.status()[0]?.upstreams[0]?.protocolVersion,
    modern: modern.status()[0]?.upstreams[0]?.protocolVersion,
  };
  if (protocols.legacy !== '2025-11-25' || protocols.modern !== '2026-07-28')
    throw new Error(`the era bridges negotiated ${JSON.stringify(protocols)} (expected legacy 2025-11-25, modern 2026-07-28)`);
  return {
    legacy,
    modern,
    // The SDK's raw request, as the bridge sends it (callTool adds its own per-call work in both SDKs).
    sdkLegacy: (args) => sdkLegacy.request({ method: 'tools/call', params: { name: 'echo', arguments: args } }, CallToolResultSchema),
    sdkModern: (args) => sdkModern.request({ method: 'tools/call', params: { name: 'echo', arguments: args } }, CallToolResultSchema),
    legacyPid: legacyUp.pid,
    modernPid: modernUp.pid,
    protocols,
    url: { legacy: legacyUp.url, modern: modernUp.url },
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
  /** The protocol version each era's bridge negotiated (read from its status). */
  protocols: { legacy: string | undefined; modern: string | undefined };
  /** Each era's upstream URL (the same one for `equal`). */
  url: { legacy: string; modern: string };
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
