import type { BridgeServerConfig } from '@mcp-bridge/core';
import {
  conformanceServerCommand,
  modernCounterUri,
  modernStdioTestServer,
  startHttpTestServer,
  startModernHttpTestServer,
  stdioTestServer,
  testResourceUris,
} from '@mcp-bridge/testing';
import type { TestClient } from './clients.js';
import { serveFixtureHttp } from './fixture-http.js';

/** The six upstream kinds of the era matrix: three eras x two transports. */
export const UPSTREAM_KINDS = ['legacy stdio', 'legacy http', 'dual stdio', 'dual http', 'modern-only stdio', 'modern-only http'] as const;

/** One of {@link UPSTREAM_KINDS}. */
export type UpstreamKindName = (typeof UPSTREAM_KINDS)[number];

/** Tools that make the upstream ask the caller something, or change a watched resource. */
interface AskTools {
  elicit: string;
  sample: string;
  roots: string;
  bump: string;
}

/** Running upstreams of one kind, and how the shared suite drives them. */
export interface UpstreamKind {
  servers: Record<string, BridgeServerConfig>;
  /** The era the bridge should negotiate with every upstream of this kind. */
  expectedEra: 'legacy' | 'modern';
  ask: AskTools;
  askArgs: { elicit: Record<string, unknown>; sample: Record<string, unknown> };
  /** A resource the `bump` tool changes. */
  watchedUri: string;
  /** The execution ledger resource of the main server (same shape on the 2025 and the modern test server). */
  ledgerUri: string;
  /** `slow` runs the main server recorded as cancelled, read through the gateway. */
  cancelledSlow(c: TestClient): Promise<number>;
  /** `slow` runs in flight on the main server, read through the gateway. */
  inFlightSlow(c: TestClient): Promise<number>;
  close(): Promise<void>;
}

const MAIN = 'main';

/** Reads one counter of `slow` in the main server's ledger resource, through the gateway. */
async function slowTally(c: TestClient, uri: string, field: 'cancelled' | 'inFlight'): Promise<number> {
  const read = await c.client.readResource({ uri });
  const first = read.contents[0];
  const tallies = JSON.parse(first && 'text' in first ? first.text : '{}') as Record<string, Record<string, number> | undefined>;
  return tallies.slow?.[field] ?? 0;
}

function ledgerReaders(uri: string): Pick<UpstreamKind, 'cancelledSlow' | 'inFlightSlow' | 'ledgerUri'> {
  return {
    ledgerUri: uri,
    cancelledSlow: (c) => slowTally(c, uri, 'cancelled'),
    inFlightSlow: (c) => slowTally(c, uri, 'inFlight'),
  };
}

/**
 * A legacy upstream. The 2025 test server has no tools that ask the client or change a watched
 * resource (the modern one has `confirm_action`, `sample_text`, `client_roots`, `bump_resource`); the
 * closest equivalents are the conformance fixture's `test_elicitation`, `test_sampling`,
 * `test_list_roots` and `test_update_watched_resource`, so a legacy kind is two upstreams: the test
 * server and the conformance fixture, over the same transport.
 */
async function startLegacy(transport: 'stdio' | 'http'): Promise<UpstreamKind> {
  const common = {
    expectedEra: 'legacy' as const,
    ask: { elicit: 'test_elicitation', sample: 'test_sampling', roots: 'test_list_roots', bump: 'test_update_watched_resource' },
    askArgs: { elicit: { message: 'Confirm?' }, sample: { prompt: 'Say hi' } },
    watchedUri: 'test://watched-resource',
    ...ledgerReaders(testResourceUris(MAIN).ledger),
  };
  if (transport === 'stdio') {
    const servers = { [MAIN]: { ...stdioTestServer({ name: MAIN }) }, conf: { ...conformanceServerCommand({ name: 'conf' }) } };
    return { ...common, servers, close: () => Promise.resolve() };
  }
  const main = await startHttpTestServer({ name: MAIN });
  const conf = await serveFixtureHttp();
  return {
    ...common,
    servers: { [MAIN]: { url: main.url }, conf: { url: conf.url } },
    close: async () => void (await Promise.allSettled([main.close(), conf.close()])),
  };
}

/** A dual-era or modern-only upstream: the modern test server has every knob the suite needs in one server. */
async function startModern(era: 'dual' | 'modern-only', transport: 'stdio' | 'http'): Promise<UpstreamKind> {
  const common = {
    expectedEra: 'modern' as const,
    ask: { elicit: 'confirm_action', sample: 'sample_text', roots: 'client_roots', bump: 'bump_resource' },
    askArgs: { elicit: { action: 'deploy' }, sample: { prompt: 'Say hi' } },
    watchedUri: modernCounterUri(MAIN),
    ...ledgerReaders(testResourceUris(MAIN).ledger),
  };
  if (transport === 'stdio') {
    return { ...common, servers: { [MAIN]: { ...modernStdioTestServer({ name: MAIN, era }) } }, close: () => Promise.resolve() };
  }
  const main = await startModernHttpTestServer({ name: MAIN, era });
  return { ...common, servers: { [MAIN]: { url: main.url } }, close: () => main.close() };
}

/** Starts the upstreams of one kind (HTTP servers in this process; stdio ones are spawned by the bridge). */
export function startUpstreamKind(name: UpstreamKindName): Promise<UpstreamKind> {
  const [era, transport] = name.split(' ') as ['legacy' | 'dual' | 'modern-only', 'stdio' | 'http'];
  return era === 'legacy' ? startLegacy(transport) : startModern(era, transport);
}
